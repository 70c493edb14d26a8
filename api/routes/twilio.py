"""Twilio's doors: the incoming-call webhook (TwiML) and the Media Streams websocket.

With TWILIO_AUTH_TOKEN set, both must carry a valid `X-Twilio-Signature`: the webhook's over
its public URL and form parameters (403 otherwise), the websocket's over its `wss://` URL
(closed with 1008 otherwise). Whatever the token, a stream's `start` must present the single-use
ticket the webhook put in its TwiML (`transports.twilio_ticket`; 1008 otherwise), and the call's
CallSid and numbers are the ones the webhook saw.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from fastapi import APIRouter, HTTPException, Request, WebSocket, status
from fastapi.responses import Response
from starlette.websockets import WebSocketState

from api.deps import SettingsDep, StoreDep
from api.forward import FORWARDED, relay_stream
from api.voice import get_agent, get_runtime
from transports.twilio import StreamError, answer_twiml, busy_twiml, read_start, run_media_stream
from transports.twilio_signature import SIGNATURE_HEADER, is_valid, public_url, stream_url
from transports.twilio_ticket import TICKET_PARAMETER, StreamTicket, issue_ticket, redeem_ticket

PREFIX = "/twilio"
router = APIRouter(prefix=PREFIX, tags=["twilio"])
log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
PROTOCOL_ERROR = 1002
INTERNAL_ERROR = 1011


@router.post("/call", response_class=Response)
async def incoming_call(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """Answer a call by connecting its audio to our Media Streams websocket."""
    form = await request.form()
    params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    token = settings.twilio_auth_token
    if token:
        url = public_url(settings, f"{PREFIX}/call", request.url.query)
        signature = request.headers.get(SIGNATURE_HEADER)
        if len(params) != len(form.multi_items()) or not is_valid(token, url, signature, params, request.headers):
            log.warning("twilio webhook: rejected a request with a missing or wrong signature")
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid Twilio signature")
    runtime = get_runtime(request)
    # Full here but another process takes calls: answer anyway, the load balancer sends the stream there.
    if not runtime.calls.accepting() and (runtime.cluster is None or await runtime.cluster.accepting_peer() is None):
        log.warning("twilio webhook: full or draining; the caller hears that the lines are busy")
        return Response(busy_twiml(), media_type="application/xml")
    values = dict(params)
    call = StreamTicket(values.get("CallSid", ""), values.get("From", ""), values.get("To", ""))
    if not call.call_sid or len(call.call_sid) > 64:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "CallSid is missing.")
    twiml = answer_twiml(
        stream_url(settings, f"{PREFIX}/ws"),
        from_number=call.from_number,
        to_number=call.to_number,
        call_sid=call.call_sid,
        ticket=await issue_ticket(store, call),
    )
    return Response(twiml, media_type="application/xml")


@router.websocket("/ws")
async def media_stream(websocket: WebSocket) -> None:
    """One call's audio, both ways, for as long as the call lasts."""
    runtime = get_runtime(websocket)
    settings = runtime.settings
    await websocket.accept()
    token = settings.twilio_auth_token
    if token and not is_valid(
        token, stream_url(settings, f"{PREFIX}/ws"), websocket.headers.get(SIGNATURE_HEADER), headers=websocket.headers
    ):
        log.warning("twilio stream: rejected a websocket with a missing or wrong signature")
        await websocket.close(code=POLICY_VIOLATION, reason="invalid Twilio signature")
        return
    cluster = runtime.cluster
    if not runtime.calls.accepting() and cluster is not None and FORWARDED not in websocket.headers:
        # Full here (the load balancer had not noticed yet): the call runs where there is room, if anywhere.
        peer = await cluster.accepting_peer()
        if peer is not None and await relay_stream(websocket, peer):
            return
    try:
        start = await read_start(websocket)
    except StreamError as exc:
        log.warning("twilio stream: %s", exc)
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(code=PROTOCOL_ERROR, reason=str(exc))
        return
    ticket = await redeem_ticket(runtime.store, start.parameters.get(TICKET_PARAMETER), start.call_sid)
    if ticket is None:
        log.warning("twilio stream: refused a start without a live ticket for its call")
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(code=POLICY_VIOLATION, reason="no valid stream ticket")
        return
    # Who is calling comes from the signed webhook that issued the ticket, not from `start`.
    start = replace(start, call_sid=ticket.call_sid, from_number=ticket.from_number or None,
                    to_number=ticket.to_number or None)
    log.info("twilio stream %s for call %s started", start.stream_sid, start.call_sid)
    try:
        await run_media_stream(websocket, start, runtime, get_agent(websocket), outbound=ticket.outbound,
                               resume=ticket.resume)
    except Exception:  # run_call has logged it; this call is lost, every other call goes on
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.close(code=INTERNAL_ERROR)
