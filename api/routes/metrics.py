"""`GET /metrics`: this process's numbers in Prometheus's text format (`core.metrics`).

Who may read them: with `METRICS_TOKEN` set, a request bearing it (`Authorization: Bearer …`), from
anywhere; without it, only a client on this machine's loopback that came straight here. A request
carrying a proxy's forwarding header (HAProxy's `option forwardfor`, any reverse proxy's
`Forwarded`/`X-Real-IP`) is not "straight here" even when the proxy itself is on loopback, so a
deployment behind a proxy shows nothing until it sets a token. The numbers name lines, tools and
providers, never callers, but they are still the business's own.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from api.deps import RuntimeDep
from core.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"])

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _allowed(request: Request, token: str | None) -> bool:
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())
    host = request.client.host if request.client else ""
    return host in LOOPBACK and not any(h in request.headers for h in PROXY_HEADERS)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    token = runtime.settings.metrics_token
    if not _allowed(request, token):
        if token:
            raise HTTPException(401, "A valid bearer token is needed.", headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(403, "Metrics are served to this machine only; set METRICS_TOKEN to read them remotely.")
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
