"""Forwarding a call's request to the process that holds the call.

A browser's trickled ICE, a renegotiation, the call-center agent's audio leg: each must reach the
process whose memory holds the call's peer connection or pipeline. When a request lands elsewhere
(any load balancer, no sticky sessions), it is sent on, as it came (method, path, body, the caller's
`Authorization`), to the owner's own port (`core.cluster`), and the owner's answer is returned. The
owner checks the request again as if it had come straight to it. A forwarded request carries
`X-Convonet-Forwarded` and is never forwarded twice.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import HTTPException, Request, status
from fastapi.responses import Response

from core.cluster import NodeState
from core.runtime import Runtime

log = logging.getLogger(__name__)

FORWARDED = "X-Convonet-Forwarded"
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
PASSED_ON = ("authorization", "content-type", "accept", "user-agent")
UNREACHABLE = "The server carrying this call did not answer; try again."


def was_forwarded(request: Request) -> bool:
    return FORWARDED in request.headers


async def owner_node(runtime: Runtime, request: Request, owner: str | None) -> NodeState | None:
    """The live process `owner` when it is another one and this request may still be forwarded."""
    cluster = runtime.cluster
    if owner is None or cluster is None or owner == cluster.id or was_forwarded(request):
        return None
    return await cluster.node(owner)


async def claimed_by(runtime: Runtime, request: Request, kind: str, key: str) -> NodeState | None:
    """The other live process that claimed the call `kind:key`, when this request may be forwarded to it."""
    if runtime.cluster is None or was_forwarded(request):
        return None
    return await owner_node(runtime, request, await runtime.cluster.owner(kind, key))


async def forward(request: Request, node: NodeState) -> Response:
    """Send `request` on to `node` and answer with its response (503 when it cannot be reached)."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in PASSED_ON}
    headers[FORWARDED] = "1"
    if request.client is not None:  # the owner counts sign-in attempts by the real client
        headers["X-Forwarded-For"] = request.client.host
    url = node.address.rstrip("/") + request.url.path
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = await client.request(request.method, url, params=request.query_params,
                                          content=await request.body(), headers=headers)
    except httpx.HTTPError as exc:
        log.warning("forward to process %s failed: %s", node.id, type(exc).__name__)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, UNREACHABLE, headers={"Retry-After": "1"}) from None
    log.info("forwarded %s %s to process %s: %d", request.method, request.url.path, node.id, answer.status_code)
    kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after", "www-authenticate")}
    return Response(answer.content, answer.status_code, headers=kept)
