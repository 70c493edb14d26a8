"""`POST /twilio/transfer_callback`: Twilio's report of a transfer's `<Dial>` to FusionPBX.

Signed like every Twilio webhook (403 without a valid `X-Twilio-Signature` when
TWILIO_AUTH_TOKEN is set). `completed` hangs up; `busy`, `no-answer`, `failed` and `canceled`
answer TwiML that brings the caller back to the assistant.

`POST /twilio/transfer_refer` (the `<Dial>`'s `referUrl`, signed the same way): the agent's softphone
sent a SIP REFER (blind transfer); the TwiML answered dials its `ReferTransferTarget` or refuses it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from api.deps import RuntimeDep
from transports.twilio_signature import SIGNATURE_HEADER, is_valid, public_url
from transports.twilio_transfer import CALLBACK_PATH, REFER_PATH, dial_finished, refer_twiml

router = APIRouter(tags=["twilio"])
log = logging.getLogger(__name__)


async def _signed_form(request: Request, runtime: RuntimeDep, path: str) -> dict[str, str]:
    form = await request.form()
    params = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    token = runtime.settings.twilio_auth_token
    if token:
        url = public_url(runtime.settings, path, request.url.query)
        signature = request.headers.get(SIGNATURE_HEADER)
        if len(params) != len(form.multi_items()) or not is_valid(token, url, signature, params, request.headers):
            log.warning("twilio %s: rejected a request with a missing or wrong signature", path)
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Invalid Twilio signature")
    return dict(params)


def _xml(twiml: str) -> Response:
    return Response('<?xml version="1.0" encoding="UTF-8"?>' + twiml, media_type="application/xml")


@router.post(CALLBACK_PATH, response_class=Response)
async def transfer_callback(request: Request, runtime: RuntimeDep) -> Response:
    return _xml(await dial_finished(runtime, await _signed_form(request, runtime, CALLBACK_PATH)))


@router.post(REFER_PATH, response_class=Response)
async def transfer_refer(request: Request, runtime: RuntimeDep) -> Response:
    return _xml(await refer_twiml(runtime, await _signed_form(request, runtime, REFER_PATH)))
