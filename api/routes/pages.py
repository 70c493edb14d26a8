"""The pages the app serves itself from `web/<page>/`: `index.html` at `/<page>`, its
scripts and styles at `/<page>/<file>`. No CDN: everything a page loads comes from here."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from api.web import WEB_DIR
from api.web import page as serve_page

WEB_ROOT = WEB_DIR.resolve()
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}

# Scripts, styles and connections only from this origin; the microphone only for this origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Permissions-Policy": "microphone=(self), camera=()",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(tags=["pages"], include_in_schema=False)


def page(name: str) -> FileResponse:
    return serve_page(name, SECURITY_HEADERS)


def asset(name: str, filename: str) -> FileResponse:
    """One file of a page's folder; nothing outside it, and only the types pages use."""
    folder = WEB_ROOT / name
    path = (folder / filename).resolve()
    media_type = ASSET_TYPES.get(path.suffix)
    if media_type is None or path.parent != folder or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not found")
    return FileResponse(path, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})


@router.get("/voice_assistant")
async def voice_assistant() -> FileResponse:
    return page("voice_assistant")


@router.get("/voice_assistant/{filename}")
async def voice_assistant_asset(filename: str) -> FileResponse:
    return asset("voice_assistant", filename)
