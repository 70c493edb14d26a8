"""`WS /webrtc/ws`: the JSON voice channel clients of the replaced system speak (`transports.voice_ws`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from api.voice import get_agent, get_runtime
from transports.twilio import BUSY
from transports.voice_ws import authenticate, message, run_voice_socket

log = logging.getLogger(__name__)

router = APIRouter(tags=["voice"])

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


@router.websocket("/webrtc/ws")
async def voice_socket(websocket: WebSocket) -> None:
    """Sign in with a PIN, then push-to-talk turns with the assistant, for as long as the socket is open."""
    runtime = get_runtime(websocket)
    await websocket.accept()
    if not runtime.calls.accepting():
        await websocket.send_json(message("error", text=BUSY))
        await websocket.close(code=TRY_AGAIN_LATER)
        return
    try:
        caller = await authenticate(websocket, runtime)
    except WebSocketDisconnect:
        return
    if caller is None:
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(code=POLICY_VIOLATION)
        return
    log.info("voice socket opened for user %s", caller.user_id)
    try:
        await run_voice_socket(websocket, caller, runtime, get_agent(websocket))
    except Exception:  # run_call has logged it; this call is lost, every other call goes on
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(code=1011)
