"""Twilio's reports on calls an agent placed (`transports.twilio_outbound`):

* `POST /twilio/outbound/answer?call={id}` — the callee picked up: TwiML that streams their audio to us;
* `POST /twilio/outbound/status?call={id}` — the call ended (busy, no-answer, failed, canceled, completed).

Signed like every Twilio webhook: 403 without a valid `X-Twilio-Signature` when TWILIO_AUTH_TOKEN is set.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from api.deps import RuntimeDep
from core.config import Settings
from transports.twilio_outbound import ANSWER_PATH, STATUS_PATH, call_ended, callee_answered
from transports.twilio_signature import SIGNATURE_HEADER, is_valid, public_url

router = APIRouter(tags=["twilio"])
log = logging.getLogger(__name__)

CallId = Annotated[str, Query(alias="call", min_length=1, max_length=64)]


async def signed_form(request: Request, settings: Settings, path: str) -> dict[str, str]:
    """The webhook's form, once its signature is checked (403 otherwise)."""
    form = await request.form()
    params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    token = settings.twilio_auth_token
    if token:
        url = public_url(settings, path, request.url.query)
        signature = request.headers.get(SIGNATURE_HEADER)
        if len(params) != len(form.multi_items()) or not is_valid(token, url, signature, params, request.headers):
            log.warning("twilio outbound webhook: rejected a request with a missing or wrong signature")
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid Twilio signature")
    return dict(params)


@router.post(ANSWER_PATH, response_class=Response)
async def answered(request: Request, call_id: CallId, runtime: RuntimeDep) -> Response:
    form = await signed_form(request, runtime.settings, ANSWER_PATH)
    twiml = await callee_answered(runtime, call_id, form)
    return Response('<?xml version="1.0" encoding="UTF-8"?>' + twiml, media_type="application/xml")


@router.post(STATUS_PATH, response_class=Response)
async def call_status(request: Request, call_id: CallId, runtime: RuntimeDep) -> Response:
    form = await signed_form(request, runtime.settings, STATUS_PATH)
    await call_ended(runtime, call_id, form)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
