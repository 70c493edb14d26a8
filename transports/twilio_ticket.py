"""Stream tickets: what ties a Media Streams websocket to the signed webhook that asked for it.

Twilio's `<Stream>` URL takes no query string and its websocket signature covers only that fixed
URL, so the signature alone says nothing about which call a stream belongs to, and a leaked one
would open streams forever. Instead each TwiML answer that connects a stream (the incoming-call
webhook, the way back from a transfer) mints a ticket: a random value kept in the store for a
minute with the CallSid and the numbers from the *signed* request, and carried to the stream as
a `<Parameter>`. The stream's `start` must present it, for the same CallSid, once; who is calling
comes from the ticket, never from the `start` message.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from core.store import Store

TICKET_PARAMETER = "StreamTicket"
TICKET_SECONDS = 60.0  # Twilio opens the stream within a second or two of our answer


@dataclass(frozen=True)
class StreamTicket:
    """The call a ticket was issued for, as the signed webhook described it."""

    call_sid: str
    from_number: str
    to_number: str
    resume: str | None = None
    outbound: str | None = None  # the call center's id of an agent's outbound call this stream carries


def _key(ticket: str) -> str:
    return f"twilio:stream-ticket:{ticket}"


async def issue_ticket(store: Store, call: StreamTicket) -> str:
    """A fresh single-use ticket for `call`, valid for TICKET_SECONDS."""
    ticket = secrets.token_urlsafe(24)
    await store.set(_key(ticket), json.dumps(asdict(call)), ttl=TICKET_SECONDS)
    return ticket


async def redeem_ticket(store: Store, ticket: str | None, call_sid: str | None) -> StreamTicket | None:
    """The call behind `ticket` if it is live, unused and issued for `call_sid` (when the stream names
    one); None otherwise. A ticket is spent by its first presentation, right or wrong."""
    if not ticket or len(ticket) > 64:
        return None
    raw = await store.get(_key(ticket))
    if raw is None or not await store.delete(_key(ticket)):  # another stream spent it first
        return None
    call = StreamTicket(**json.loads(raw))
    if call_sid and call_sid != call.call_sid:
        return None
    return call
