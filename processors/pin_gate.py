"""The PIN gate: nothing the caller says reaches the agent until their voice PIN is right.

It sits between the STT and the user aggregator. Before the caller is let in it swallows
transcripts (a PIN must never reach the agent, the context or the transcript) and keypad
tones, reads a PIN from either (spoken digits via `parse_pin`; keys until `#`, six digits or
a pause), and answers by voice. Three wrong PINs end the call; a number locked out by
repeated failures hears so at once. Once the PIN is right it greets the caller by name and
lets every frame through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pipecat.frames.frames import (
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    InterimTranscriptionFrame,
    StartFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from core.grammar.digits import parse_pin, spoken_digits
from core.grammar.text import normalize
from core.logging import report_exception
from processors.frames import CallerAuthenticatedFrame
from processors.pin_auth import Caller, PinOutcome

log = logging.getLogger(__name__)

WELCOME = "Welcome to Convonet. Please say your PIN, or key it in and press pound."
GREETING = "Hi {name}, how can I help?"
RETRY = "That PIN isn't right. Please try again."
REPROMPT = "Please say your PIN one digit at a time, or key it in and press pound."
LENGTH = "A PIN has four to six digits. Please try again."
GOODBYE = "That PIN still isn't right, so I can't continue this call. Goodbye."
LOCKED = "This number is locked for fifteen minutes after too many wrong PINs. Please try again later. Goodbye."
UNAVAILABLE = "Sorry, I can't check PINs right now. Please call back in a little while. Goodbye."

MIN_DIGITS, MAX_DIGITS = 4, 6


class PinChecker(Protocol):
    """The checks the gate needs (`processors.pin_auth.PinVerifier`)."""

    async def locked(self) -> bool: ...
    async def check(self, pin: str) -> tuple[PinOutcome, Caller | None]: ...


# What a recogniser often writes for a digit word; only applied while a PIN is expected.
_HOMOPHONES = {"for": "four", "fore": "four", "to": "two", "too": "two", "won": "one", "ate": "eight", "a": "eight",
               "tree": "three", "free": "three", "sex": "six", "niner": "nine"}


def _digit_words(text: str) -> str:
    return " ".join(_HOMOPHONES.get(t, t) for t in normalize(text).replace("-", " ").split())


def _spoken_digit_count(text: str) -> int:
    """How many digits an utterance ends with when, past a lead-in ("my pin is"), it is only digits."""
    tokens = _digit_words(text).split()
    start = next((i for i, t in enumerate(tokens) if t in ("double", "triple") or spoken_digits([t])), len(tokens))
    digits = spoken_digits(tokens[start:]) if start < len(tokens) else None
    return len(digits) if digits else 0


class PinGate(FrameProcessor):
    """Holds the call at the PIN until it is right, then steps aside."""

    def __init__(
        self,
        checker: PinChecker,
        *,
        on_authenticated: Callable[[Caller], Awaitable[None]] | None = None,
        max_attempts: int = 3,
        key_pause: float = 3.0,
        greet_on_start: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._checker = checker
        self._on_authenticated = on_authenticated
        self._max_attempts = max_attempts
        self._key_pause = key_pause
        self._greet_on_start = greet_on_start
        self._authenticated = False
        self._closing = False
        self._attempts = 0
        self._keys = ""
        self._spoken = ""
        self._checking = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._key_timer: asyncio.Task[None] | None = None

    @property
    def authenticated(self) -> bool:
        return self._authenticated

    @property
    def attempts(self) -> int:
        return self._attempts

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if self._authenticated or direction == FrameDirection.UPSTREAM:
            await self.push_frame(frame, direction)
            return
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            if self._greet_on_start:
                self._run(self._open())
        elif isinstance(frame, TranscriptionFrame):
            self._on_speech(frame.text)
        elif isinstance(frame, InputDTMFFrame):
            self._on_key(str(frame.button.value))
        elif not isinstance(frame, InterimTranscriptionFrame):
            await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        await super().cleanup()
        for task in [*self._tasks, self._key_timer]:
            if task is not None and not task.done():
                await self.cancel_task(task)

    # --- input ----------------------------------------------------------------------------------

    def _busy(self) -> bool:
        """Input is ignored while a PIN is being checked and once the call is closing."""
        return self._closing or self._checking

    def _run(self, coro: Any) -> None:
        task = self.create_task(coro, name="pin_gate")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_speech(self, text: str) -> None:
        if self._busy():
            return
        pin = parse_pin(_digit_words(f"{self._spoken} {text}"))
        if pin is not None:
            self._spoken = ""
            self._start_check(pin)
            return
        heard = _spoken_digit_count(f"{self._spoken} {text}")
        if 0 < heard < MIN_DIGITS:
            self._spoken = f"{self._spoken} {text}".strip()  # the rest of the PIN may follow
            return
        self._spoken = ""
        self._run(self._say(LENGTH if heard > MAX_DIGITS else REPROMPT))

    def _on_key(self, key: str) -> None:
        if self._busy():
            return
        self._stop_key_timer()
        if key == "*":
            self._keys = ""
        elif key == "#":
            self._submit_keys()
        elif key.isdigit():
            self._keys += key
            if len(self._keys) >= MAX_DIGITS:
                self._submit_keys()
            else:
                self._key_timer = self.create_task(self._key_timeout(), name="pin_keys")

    def _submit_keys(self) -> None:
        keys, self._keys = self._keys, ""
        if MIN_DIGITS <= len(keys) <= MAX_DIGITS:
            self._start_check(keys)
        elif keys:
            self._run(self._say(LENGTH))

    def _start_check(self, pin: str) -> None:
        self._checking = True  # set now, so input arriving before the task runs is held back too
        self._run(self._submit(pin))

    async def _key_timeout(self) -> None:
        await asyncio.sleep(self._key_pause)
        self._key_timer = None
        if not self._busy():
            self._submit_keys()

    def _stop_key_timer(self) -> None:
        if self._key_timer is not None and not self._key_timer.done():
            self._key_timer.cancel()
        self._key_timer = None

    # --- outcomes -------------------------------------------------------------------------------

    async def _open(self) -> None:
        try:
            if await self._checker.locked():
                await self._close(LOCKED)
                return
        except Exception as exc:
            await self._unavailable(exc)
            return
        await self._say(WELCOME)  # no name yet: caller ID is easy to fake

    async def _submit(self, pin: str) -> None:
        self._checking = True
        try:
            try:
                outcome, caller = await self._checker.check(pin)
            except Exception as exc:
                await self._unavailable(exc)
                return
            if outcome is PinOutcome.OK and caller is not None:
                await self._admit(caller)
            elif outcome is PinOutcome.LOCKED:
                await self._close(LOCKED)
            else:
                self._attempts += 1
                if self._attempts >= self._max_attempts:
                    await self._close(GOODBYE)
                else:
                    await self._say(RETRY)
        finally:
            self._checking = False  # input is held back until the answer is on its way

    async def _admit(self, caller: Caller) -> None:
        if self._on_authenticated is not None:
            try:
                await self._on_authenticated(caller)
            except Exception as exc:
                await self._unavailable(exc)
                return
        self._authenticated = True
        self._stop_key_timer()
        await self.push_frame(CallerAuthenticatedFrame(user_id=caller.user_id, first_name=caller.first_name))
        await self._say(GREETING.format(name=caller.first_name))

    async def _unavailable(self, exc: Exception) -> None:
        log.exception("PIN check failed")
        report_exception(exc)
        await self._close(UNAVAILABLE)

    async def _close(self, text: str) -> None:
        self._closing = True
        await self._say(text)
        await self.push_frame(EndWorkerFrame(reason="voice PIN not accepted"))

    async def _say(self, text: str) -> None:
        await self.push_frame(TTSSpeakFrame(text))
