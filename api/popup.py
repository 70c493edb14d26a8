"""The call-center customer popup as its reader may read it: who is calling, the conversation so far
(health details only for clinical staff), and the caller's upcoming bookings, read now."""

from __future__ import annotations

import uuid

from api.routes.call_center_models import BookingOut, CustomerOut
from core import redaction
from core.models import User
from core.runtime import Runtime
from core.timeutil import utcnow
from domains import registry
from domains.transfer.calls import TransferCall


async def customer_popup(runtime: Runtime, call: TransferCall, reader: User) -> CustomerOut:
    view = await redaction.popup(runtime.sessions, runtime.store, call.view(), clinical=reader.is_clinical,
                                 domains=registry.sensitive())
    fields = {key: view[key] for key in CustomerOut.model_fields if key in view}
    return CustomerOut.model_validate({**fields, "bookings": await _bookings(runtime, call, reader)})


async def _bookings(runtime: Runtime, call: TransferCall, reader: User) -> list[BookingOut]:
    try:
        user_id = uuid.UUID(str(call.caller.get("user_id")))
    except ValueError:
        return []  # a caller with no account (an unknown number, a SIP user)
    async with runtime.sessions() as session:
        found = await registry.caller_bookings(session, user_id, utcnow(), clinical=reader.is_clinical,
                                               withheld=redaction.WITHHELD)
    return [BookingOut(business=b.business, kind=b.kind, starts_at=b.starts_at.isoformat(), details=b.details,
                       confirmation_code=b.confirmation_code) for b in found]
