"""The voice assistant page (static files served by api.routes.pages)."""
