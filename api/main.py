"""ASGI entry point for `uvicorn api.main:app` (the container's command)."""

from api.app import create_app

app = create_app()
