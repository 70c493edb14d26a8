"""Forwarding a call's request to the process that holds the call.

A browser's trickled ICE, a renegotiation, the call-center agent's audio leg: each must reach the
process whose memory holds the call's peer connection or pipeline. When a request lands elsewhere
(any load balancer, no sticky sessions), it is sent on, as it came (method, path, body, the caller's
`Authorization`), to the owner's own port (`core.cluster`), and the owner's answer is returned. The
owner checks the request again as if it had come straight to it. A forwarded request carries
`X-Convonet-Forwarded` and is never forwarded twice.

A phone call's media stream (a websocket) that reaches a process too busy for another call while some
other process has room is relayed there (`relay_stream`), message for message, for as long as it lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
import websockets
from fastapi import HTTPException, Request, WebSocket, status
from fastapi.responses import Response
from starlette.websockets import WebSocketDisconnect, WebSocketState

from core.cluster import NodeState
from core.runtime import Runtime

log = logging.getLogger(__name__)

FORWARDED = "X-Convonet-Forwarded"
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
PASSED_ON = ("authorization", "content-type", "accept", "user-agent")
UNREACHABLE = "The server carrying this call did not answer; try again."
RELAYED_HEADERS = ("x-twilio-signature", "x-twilio-webhooks-signature-settings", "user-agent")
MAX_MESSAGE = 256 * 1024  # as `convonet serve` accepts


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


async def relay_stream(websocket: WebSocket, node: NodeState) -> bool:
    """Carry the accepted `websocket` to the same path on `node` and relay both ways until either side
    ends; False (nothing was read) when `node` cannot be reached, so the caller serves the stream itself."""
    url = "ws" + node.address.removeprefix("http").rstrip("/") + websocket.url.path
    headers = {k: v for k, v in websocket.headers.items() if k.lower() in RELAYED_HEADERS}
    headers[FORWARDED] = "1"
    try:
        upstream = await websockets.connect(url, additional_headers=headers, max_size=MAX_MESSAGE, open_timeout=3)
    except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
        log.warning("relay to process %s failed: %s", node.id, type(exc).__name__)
        return False
    log.info("relaying a stream to process %s", node.id)

    async def inbound() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text") if message.get("text") is not None else message.get("bytes")
            if data is not None:
                await upstream.send(data)

    async def outbound() -> None:
        async for data in upstream:
            await (websocket.send_text(data) if isinstance(data, str) else websocket.send_bytes(data))

    tasks = [asyncio.create_task(inbound()), asyncio.create_task(outbound())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception) and not isinstance(
                    result, (websockets.ConnectionClosed, WebSocketDisconnect, RuntimeError, OSError)):
                log.warning("stream relay to process %s ended with %s", node.id, type(result).__name__)
        await upstream.close()
        if websocket.client_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError):
                await websocket.close(code=_sendable(upstream.close_code))
    return True


def _sendable(code: int | None) -> int:
    """A close code that may be sent on (1005, 1006 and 1015 only describe a connection that was lost)."""
    return code if code is not None and 1000 <= code < 5000 and code not in (1005, 1006, 1015) else 1000
