"""Twilio request signatures (`X-Twilio-Signature`) and the public URLs they are computed over.

Twilio signs each request with the account's auth token over the URL it requested — the
server's *public* URL, not what the proxy in front hands us — plus, for form webhooks, the
POST parameters. The Media Streams websocket upgrade is signed over its `wss://` URL alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator, get_signature_algorithm

from core.config import Settings

SIGNATURE_HEADER = "x-twilio-signature"
SIGNATURE_SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"


def public_url(settings: Settings, path: str, query: str = "") -> str:
    """The address Twilio used for `path` on this server (PUBLIC_URL may carry a path prefix)."""
    base = settings.public_url.rstrip("/")
    return f"{base}{path}" + (f"?{query}" if query else "")


def stream_url(settings: Settings, path: str = "/twilio/ws") -> str:
    """The Media Streams websocket URL: wss:// behind an https PUBLIC_URL, ws:// only behind http."""
    parts = urlsplit(settings.public_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}{path}"


class _Params:
    """Form parameters as RequestValidator reads them (`getlist`), all strings."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def __iter__(self) -> Any:
        return iter({k for k, _ in self._items})

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self._items if k == name]


def is_valid(
    auth_token: str,
    url: str,
    signature: str | None,
    params: list[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bool:
    """True when `signature` is Twilio's for this URL and these parameters."""
    if not signature:
        return False
    algorithm = get_signature_algorithm((headers or {}).get(SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(auth_token)
    return bool(validator.validate(url, _Params(params or []), signature, algorithm))


def sign(auth_token: str, url: str, params: Mapping[str, str] | None = None) -> str:
    """The signature Twilio would send (for tests and tools that play Twilio's part)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params or {})))
