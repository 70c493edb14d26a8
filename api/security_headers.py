"""Security headers on every page: what a browser may load and run, and who may frame us.

The staff pages show other people's transcripts and keep tokens in localStorage, so an injected
script or a clickjacking frame would matter: every HTML response gets a strict Content-Security-
Policy (scripts, styles and connections from this origin only; the call-center softphone's SIP
websocket added when one is configured), `frame-ancestors 'none'`, nosniff and a same-origin
referrer. Behind an https PUBLIC_URL every response also carries HSTS. Headers a route set
itself are left as they are.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.config import Settings

HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(settings: Settings) -> str:
    connect = "'self'"
    if settings.sip_domain:
        connect += " " + (settings.sip_ws_url or f"wss://{settings.sip_domain}:{settings.sip_wss_port}")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"media-src 'self' blob: mediastream:; connect-src {connect}; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def page_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "microphone=(self), camera=()",
    }


class SecurityHeaders:
    """ASGI middleware: the page headers on HTML responses, HSTS on all when served over https."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.page = page_headers(settings)
        self.hsts = urlsplit(settings.public_url).scheme == "https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    for name, value in self.page.items():
                        headers.setdefault(name, value)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
