"""The ICE servers a browser page gets. STUN is open to anyone; a TURN relay account is handed out
only to a caller who has proved who they are (a signed-in user, or a right voice PIN), because
anyone holding it can relay traffic through the business's TURN server.

With `WEBRTC_TURN_SECRET` (coturn's `static-auth-secret`, the "TURN REST API" scheme) each page gets
its own account, valid `WEBRTC_TURN_TTL_SECONDS`: username `<expiry>:<user id>`, password
base64(HMAC-SHA1(secret, username)); the TURN server checks it with the same secret and no database.
Without it, the static `WEBRTC_TURN_USERNAME`/`WEBRTC_TURN_CREDENTIAL` account is handed out, still
only after the proof.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from core.config import Settings

TURN_SCHEMES = ("turn:", "turns:")


def is_turn(url: str) -> bool:
    return url.lower().startswith(TURN_SCHEMES)


def turn_account(secret: str, user: str, expires: datetime) -> tuple[str, str]:
    """A time-limited TURN username and password for `user` under the TURN REST API scheme."""
    username = f"{int(expires.timestamp())}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def page_ice_servers(settings: Settings, *, user: str | None, now: datetime) -> list[dict[str, object]]:
    """`RTCPeerConnection({iceServers})` for a page: the STUN servers, and the TURN servers with an
    account when `user` (who proved themselves) is given."""
    stun = [u for u in settings.webrtc_ice_urls if not is_turn(u)]
    turn = [u for u in settings.webrtc_ice_urls if is_turn(u)]
    servers: list[dict[str, object]] = [{"urls": stun}] if stun else []
    if user is None or not turn:
        return servers
    entry: dict[str, object] = {"urls": turn}
    if settings.webrtc_turn_secret:
        username, password = turn_account(settings.webrtc_turn_secret, user,
                                          now + timedelta(seconds=settings.webrtc_turn_ttl_seconds))
        entry |= {"username": username, "credential": password}
    elif settings.webrtc_turn_username and settings.webrtc_turn_credential:
        entry |= {"username": settings.webrtc_turn_username, "credential": settings.webrtc_turn_credential}
    return [*servers, entry]
