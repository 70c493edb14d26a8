"""One call's state: who is calling, their agent conversation, what was said, how long it took.

A `CallSession` is what the pipeline's processors share: the PIN gate admits a caller into
it (`authenticate`), the agent bridge asks it for turns (`turn`), the timing observer hands
it per-turn records (`publish_turn`), and the aggregators add transcript lines. Its
`call_recordings` row is written when the call starts (in progress) and completed in one
transaction when it ends, so a call that breaks midway never leaves a half-written row.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bots.agent.agent import Agent, AgentSession, TurnResult
from bots.llm.providers import TextSink
from core import contacts, lines, monitor
from core.db import transaction
from core.lines import Access
from core.logging import describe_error, report_exception
from core.models import CallRecording, Contact, Line
from core.recordings import recording_key, recording_store
from core.runtime import Runtime
from core.timeutil import utcnow
from core.tools import ToolContext, TransferRequest
from domains.transfer.calls import TransferCall
from processors.pin_auth import Caller, PinVerifier
from processors.recorder import CallRecorder

log = logging.getLogger(__name__)

MONITOR_CHANNEL, MONITOR_RECENT = monitor.MONITOR_CHANNEL, monitor.MONITOR_RECENT  # where turn records go


TransferHandler = Callable[[TransferRequest], Awaitable[None]]


@dataclass(frozen=True)
class CallInfo:
    """What the transport knows about a call before anyone speaks."""

    call_sid: str
    channel: str  # phone | browser
    from_number: str | None = None
    to_number: str | None = None


async def find_line(runtime: Runtime, to_number: str | None) -> Line | None:
    """The line a call to `to_number` came in on (None: the default, a PIN line serving every domain)."""
    async with runtime.sessions() as session:
        return await lines.for_call(session, to_number)


class NotAuthenticated(RuntimeError):
    """A turn was asked for before the caller's PIN was accepted."""


class CallSession:
    def __init__(self, runtime: Runtime, agent: Agent, info: CallInfo, line: Line | None = None) -> None:
        self.runtime = runtime
        self.agent = agent
        self.info = info
        self.line = line  # the number called, when it is a configured line (`core.lines`)
        self.caller: Caller | None = None
        self.contact: Contact | None = None
        self.conversation: AgentSession | None = None
        self.transcript: list[dict[str, Any]] = []
        self.timings: list[dict[str, Any]] = []
        self.recording_id: uuid.UUID | None = None
        self.failed = False
        self.transfer_handler: TransferHandler | None = None  # the call center's bridge (bots.pipeline)
        self.pbx_transfer: TransferHandler | None = None  # set by a channel that can dial a PBX
        self.outbound_call_id: str | None = None  # an agent placed this call: the callee joins them at once
        self.recorder: CallRecorder | None = None  # the call's audio, when RECORD_CALLS (bots.pipeline)
        self.unanswered_transfer: TransferCall | None = None  # back from a PBX transfer nobody took: offer a call back

    # --- who is calling -------------------------------------------------------------------------

    def pin_verifier(self) -> PinVerifier:
        rt = self.runtime
        return PinVerifier(rt.sessions, rt.store, rt.settings, self.info.from_number)

    async def authenticate(self, caller: Caller) -> None:
        """Open the agent conversation as `caller` (the PIN was right)."""
        ctx = ToolContext.for_user(self.runtime, caller.user_id, channel=self.info.channel, call_sid=self.info.call_sid,
                                   caller_name=caller.first_name, domains=self._served(),
                                   line_name=self.line.name if self.line else None)
        self.caller = caller
        self.conversation = self.agent.session(ctx, f"call-{self.info.call_sid}")

    @property
    def is_public(self) -> bool:
        return self.line is not None and self.line.access == Access.public

    def _served(self) -> tuple[str, ...] | None:
        return tuple(self.line.domains) if self.line is not None and self.line.domains else None

    async def admit_contact(self, contact: Contact | None = None) -> None:
        """Open the agent conversation for whoever called this public line, as `contact` or else the
        contact their caller ID names (made on their first call); no PIN."""
        if contact is None:
            contact = await contacts.open_for_call(self.runtime.sessions, self.info.from_number, utcnow())
        ctx = ToolContext.for_user(self.runtime, contact.user_id, channel=self.info.channel,
                                   call_sid=self.info.call_sid, caller_name=contact.name, contact_id=contact.id,
                                   domains=self._served(), line_name=self.line.name if self.line else None)
        self.contact = contact
        self.caller = Caller(contact.user_id, contact.name or "")
        self.conversation = self.agent.session(ctx, f"call-{self.info.call_sid}")

    async def turn(self, text: str, on_text: TextSink | None = None) -> TurnResult:
        if self.conversation is None:
            raise NotAuthenticated("no caller has been admitted to this call")
        return await self.conversation.turn(text, on_text)

    # --- what happened --------------------------------------------------------------------------

    def call_info(self) -> dict[str, Any]:
        return {
            "call_sid": self.info.call_sid,
            "channel": self.info.channel,
            "user_id": str(self.caller.user_id) if self.caller else None,
            "line": self.line.number if self.line else None,
        }

    def add_line(self, role: str, text: str | None, **extra: Any) -> None:
        if text and text.strip():
            self.transcript.append({"role": role, "text": text.strip(), "at": datetime.now(UTC).isoformat(), **extra})

    async def publish_turn(self, record: monitor.TurnRecord) -> None:
        """Keep a turn's timing for the call record and send it to the Agent Monitor."""
        self.timings.append(record.model_dump(mode="json"))
        await self._publish(record)

    async def request_transfer(self, request: TransferRequest) -> None:
        """Announce the transfer on the monitor bus, then carry it out: through the channel's PBX when it
        has one (`pbx_transfer`, Twilio → FusionPBX), else through the in-app call center (`transfer_handler`)."""
        await self._publish(monitor.TransferRecord(**self.call_info(), request=request))
        handler = self.pbx_transfer or self.transfer_handler
        if handler is not None:
            await handler(request)

    async def _publish(self, event: monitor.MonitorRecord) -> None:
        await monitor.publish(self.runtime.store, event)

    # --- the call_recordings row ----------------------------------------------------------------

    async def open_record(self) -> None:
        """Write the call's row, in progress. A reconnect of the same call reuses its row."""
        row = CallRecording(
            call_sid=self.info.call_sid,
            channel=self.info.channel,
            from_number=self.info.from_number,
            to_number=self.info.to_number,
        )
        try:
            async with transaction(self.runtime.sessions) as session:
                session.add(row)
            self.recording_id = row.id
        except IntegrityError:
            async with self.runtime.sessions() as session:
                found = await session.exec(select(CallRecording.id).where(CallRecording.call_sid == self.info.call_sid))
                self.recording_id = found.first()

    async def keep_recording(self) -> str | None:
        """Store the call's audio (`core.recordings`); its key, or None when there is none or it could not
        be kept (a full disk is logged; the call's record is completed all the same)."""
        if self.recorder is None:
            return None
        data = await asyncio.to_thread(self.recorder.wav)
        if data is None:
            return None
        key = recording_key(self.info.call_sid)
        try:
            await recording_store(self.runtime.settings).put(key, data)
        except OSError as exc:
            log.error("the recording of %s could not be kept: %s", self.info.call_sid, describe_error(exc))
            return None
        return key

    async def close_record(self) -> None:
        """Complete the row (transcript, timings, caller, end, recording) in one transaction; logged, never
        raised."""
        if self.recording_id is None:
            return
        audio_path = await self.keep_recording()
        try:
            async with transaction(self.runtime.sessions) as session:
                row = await session.get(CallRecording, self.recording_id)
                if row is None:
                    return
                row.transcript = [*row.transcript, *self.transcript]
                row.timings = [*row.timings, *self.timings]
                row.user_id = self.caller.user_id if self.caller else row.user_id
                row.status = "failed" if self.failed else "completed"
                row.ended_at = utcnow()
                row.audio_path = audio_path or row.audio_path
                session.add(row)
        except Exception as exc:  # the row stays "in-progress", complete as written at the start
            log.exception("could not close the call record for %s", self.info.call_sid)
            report_exception(exc)
