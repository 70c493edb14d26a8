"""The reminder scheduler: each due reminder is delivered once, at its time, to the open pages of its
user (a `reminders:due` notice the page feeds pass on) and, when the user has a phone number, by a
phone call that speaks it if they asked to be called ("call me at seven to remind me…") and Twilio can
place calls, else by SMS when Twilio can send texts.

Every replica runs one scheduler for its app's lifetime; they all look every REMINDER_POLL_SECONDS,
and the database decides which one fires each reminder (`claim_due`). The first look is at start,
so reminders that fell due while the server was down fire then, marked late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime

import aiohttp
from fastapi import FastAPI
from twilio.base.exceptions import TwilioException, TwilioRestException

from core.events import publish_change
from core.logging import describe_error, report_exception
from core.models import User
from core.runtime import Runtime
from core.timeutil import utcnow
from domains.productivity.reminder_firing import BATCH, REMINDER_DUE, DueReminder, claim_due
from transports.twilio_outbound import call_and_say, outbound_enabled, say_twiml
from transports.twilio_sms import send_sms, sms_enabled

log = logging.getLogger(__name__)

SMS_MAX_CHARS = 600


def sms_text(reminder: DueReminder) -> str:
    head = "Reminder (late)" if reminder.late else "Reminder"
    if reminder.importance == "high":
        head = "Important " + head.lower()
    return f"{head}: {reminder.message}"[:SMS_MAX_CHARS]


def spoken_text(reminder: DueReminder, first_name: str = "") -> str:
    """What the reminder call says."""
    hello = f"Hello {first_name}. " if first_name else "Hello. "
    kind = "an important reminder" if reminder.importance == "high" else "your reminder"
    late = ", a little late" if reminder.late else ""
    return f"{hello}This is Convonet with {kind}{late}: {reminder.message[:SMS_MAX_CHARS]}."


def _why(exc: BaseException) -> str:
    """What to log of a failed send: never the message, which may quote the number."""
    if isinstance(exc, TwilioRestException):
        return f"TwilioRestException (HTTP {exc.status}, code {exc.code})"
    return describe_error(exc)


class ReminderScheduler:
    def __init__(self, runtime: Runtime, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._runtime = runtime
        self._clock = clock
        self.first_sweep = asyncio.Event()  # set once the look at start is done (missed reminders fired)

    async def sweep(self) -> list[DueReminder]:
        """Fire every reminder due now that no scheduler has fired yet; the ones this one fired."""
        runtime = self._runtime
        due = await claim_due(runtime.sessions, self._clock())
        for reminder in due:
            await publish_change(runtime.store, REMINDER_DUE, reminder.notice())
            if reminder.by_call and outbound_enabled(runtime.settings):
                runtime.background.spawn(self._call(reminder), name="reminder-call")
            elif sms_enabled(runtime.settings):
                runtime.background.spawn(self._text(reminder), name="reminder-sms")
            log.info("reminder %s fired%s", reminder.id, " late" if reminder.late else "")
        return due

    async def _text(self, reminder: DueReminder) -> None:
        runtime = self._runtime
        async with runtime.sessions() as session:
            user = await session.get(User, reminder.user_id)
        if user is None or not user.is_active or not user.phone_number:
            return
        try:
            await send_sms(runtime.settings, user.phone_number, sms_text(reminder))
        except (TwilioException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("reminder %s: the SMS was not sent: %s", reminder.id, _why(exc))
            return
        log.info("reminder %s sent by SMS", reminder.id)

    async def _call(self, reminder: DueReminder) -> None:
        runtime = self._runtime
        async with runtime.sessions() as session:
            user = await session.get(User, reminder.user_id)
        if user is None or not user.is_active or not user.phone_number:
            return
        try:
            await call_and_say(runtime.settings, user.phone_number, say_twiml(spoken_text(reminder, user.first_name)))
        except (TwilioException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("reminder %s: the call was not placed: %s", reminder.id, _why(exc))
            if sms_enabled(runtime.settings):  # the text still reaches them
                await self._text(reminder)
            return
        log.info("reminder %s delivered by a phone call", reminder.id)

    async def run(self, every: float) -> None:
        """Sweep now, then every `every` seconds, until cancelled."""
        while True:
            fired = 0
            try:
                fired = len(await self.sweep())
            except Exception as exc:  # the next sweep tries again; the server goes on
                log.error("reminders: sweep failed: %s", describe_error(exc))
                report_exception(exc)
            if fired < BATCH:  # a full batch (a long downtime's backlog): look again at once
                self.first_sweep.set()
                await asyncio.sleep(every)


@asynccontextmanager
async def running(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    """The reminder scheduler for the app's lifetime (`app.state.reminders`)."""
    scheduler = ReminderScheduler(runtime)
    app.state.reminders = scheduler
    task = asyncio.get_running_loop().create_task(scheduler.run(runtime.settings.reminder_poll_seconds),
                                                  name="reminders")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
