"""The pages and their assets, served by the app itself (deployments may be offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import web

WEB_DIR = Path(web.__file__).parent


def page(folder: str, headers: dict[str, str] | None = None) -> FileResponse:
    """web/<folder>/index.html, never cached so a deploy shows at once."""
    return FileResponse(
        WEB_DIR / folder / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache", **(headers or {})}
    )


router = APIRouter(include_in_schema=False)


@router.get("/login")
async def login_page() -> FileResponse:
    return page("login")


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/voice_assistant")


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    app.include_router(router)
