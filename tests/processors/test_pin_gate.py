"""The PIN gate over the real accounts table and store: keypad, voice, wrong PINs, lockout."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import EndWorkerFrame, Frame, InputDTMFFrame, TranscriptionFrame, TTSSpeakFrame
from pipecat.tests.utils import SleepFrame, run_test

from core.config import Settings
from core.models import User
from core.runtime import Runtime
from core.store import Store, create_store
from processors.frames import CallerAuthenticatedFrame
from processors.pin_auth import Caller, PinOutcome, PinVerifier
from processors.pin_gate import GOODBYE, GREETING, LOCKED, RETRY, WELCOME, PinGate
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

STRANGER = "+15559990000"


def keys(digits: str) -> list[Frame]:
    return [InputDTMFFrame(KeypadEntry(d)) for d in digits]


def spoken(text: str) -> TranscriptionFrame:
    return TranscriptionFrame(text, "caller", "2026-01-01T00:00:00Z", finalized=True)


def speech(frames: Sequence[Frame]) -> list[str]:
    return [f.text for f in frames if isinstance(f, TTSSpeakFrame)]


def verifier(runtime: Runtime, phone: str | None = CALLER_PHONE, store: Store | None = None) -> PinVerifier:
    return PinVerifier(runtime.sessions, store or runtime.store, runtime.settings, phone)


class Admitted:
    def __init__(self) -> None:
        self.callers: list[Caller] = []

    async def __call__(self, caller: Caller) -> None:
        self.callers.append(caller)


async def run_gate(gate: PinGate, frames: list[Frame], expected: list[type[Frame]]) -> Sequence[Frame]:
    down, _ = await run_test(gate, frames_to_send=[SleepFrame(sleep=0.1), *frames, SleepFrame(sleep=0.3)],
                             expected_down_frames=expected)
    return down


async def test_right_pin_by_keypad_admits_and_greets_by_name(runtime: Runtime, caller: User) -> None:
    admitted = Admitted()
    gate = PinGate(verifier(runtime), on_authenticated=admitted)
    after = spoken("create a todo to buy milk")
    down = await run_gate(
        gate,
        [*keys(CALLER_PIN + "#"), SleepFrame(sleep=0.3), after],
        [TTSSpeakFrame, CallerAuthenticatedFrame, TTSSpeakFrame, TranscriptionFrame],
    )
    assert speech(down) == [WELCOME, GREETING.format(name="Ann")]  # no name before the PIN
    assert [c.user_id for c in admitted.callers] == [caller.id]
    assert down[-1] is after  # once in, the caller's words flow on to the agent
    assert gate.authenticated


async def test_right_pin_by_voice_and_nothing_leaks_before(runtime: Runtime, caller: User) -> None:
    gate = PinGate(verifier(runtime))
    down = await run_gate(
        gate,
        [spoken("hello is anyone there"), SleepFrame(sleep=0.2), spoken("my pin is for eight"),
         spoken("to one"), SleepFrame(sleep=0.3)],  # as the recogniser spells "four" and "two"
        [TTSSpeakFrame, TTSSpeakFrame, CallerAuthenticatedFrame, TTSSpeakFrame],
    )
    said = speech(down)
    assert said[-1] == GREETING.format(name="Ann")
    assert not any(isinstance(f, TranscriptionFrame) for f in down)  # the PIN never reaches the agent


async def test_eight_heard_as_a_is_still_the_pin(runtime: Runtime, caller: User) -> None:
    """Moonshine on phone audio writes "four eight two one" as "for a two one" now and then."""
    gate = PinGate(verifier(runtime))
    await run_gate(gate, [spoken("for a two one"), SleepFrame(sleep=0.3)],
                   [TTSSpeakFrame, CallerAuthenticatedFrame, TTSSpeakFrame])
    assert gate.authenticated


async def test_keypad_pin_goes_in_after_a_pause(runtime: Runtime, caller: User) -> None:
    gate = PinGate(verifier(runtime), key_pause=0.3)
    await run_gate(gate, [*keys(CALLER_PIN), SleepFrame(sleep=0.6)],
                   [TTSSpeakFrame, CallerAuthenticatedFrame, TTSSpeakFrame])
    assert gate.authenticated


async def test_three_wrong_pins_say_goodbye_and_end_the_call(runtime: Runtime, caller: User) -> None:
    gate = PinGate(verifier(runtime))
    wrong = [*keys("1111#"), SleepFrame(sleep=0.2)]
    down = await run_gate(gate, wrong * 3, [TTSSpeakFrame, TTSSpeakFrame, TTSSpeakFrame, TTSSpeakFrame, EndWorkerFrame])
    assert speech(down)[1:] == [RETRY, RETRY, GOODBYE]
    assert not gate.authenticated
    assert await runtime.store.get(f"pin:fail:{CALLER_PHONE}") == "3"


async def test_voice_pin_without_voice_pin_user_opens_no_account(backend: Any, tmp_path: Any) -> None:
    """An unknown number with the right `VOICE_PIN` does not get the install's oldest account."""
    from tests.conftest import _reset_shared, make_settings

    settings: Settings = make_settings(tmp_path, backend.database_url, backend.redis_url, voice_pin="246810")
    runtime = Runtime.build(settings)
    await _reset_shared(runtime)
    try:
        await register_caller(runtime, email="owner@example.com", first_name="Olive", phone=None, pin=None)
        check = verifier(runtime, STRANGER)
        assert await check.check("246810") == (PinOutcome.WRONG, None)
    finally:
        await runtime.close()


async def test_voice_pin_stops_opening_after_too_many_wrong_tries_from_any_numbers(
    backend: Any, tmp_path: Any
) -> None:
    from tests.conftest import _reset_shared, make_settings

    settings: Settings = make_settings(tmp_path, backend.database_url, backend.redis_url, voice_pin="246810",
                                       voice_pin_user="desk@example.com", voice_pin_max_failures=3)
    runtime = Runtime.build(settings)
    await _reset_shared(runtime)
    try:
        await register_caller(runtime, email="desk@example.com", first_name="Dana", phone=None, pin=None)
        for i in range(3):  # each guess from a fresh number: no number reaches its own lockout
            assert (await verifier(runtime, f"+1555000100{i}").check("111111"))[0] is PinOutcome.WRONG
        outcome, who = await verifier(runtime, "+15550001009").check("246810")
        assert outcome is PinOutcome.LOCKED and who is None
        # an account's own PIN is not affected
        own = await register_caller(runtime, email="own@example.com", phone="+15550002000", pin="5678")
        assert (await verifier(runtime, "+15550002000").check("5678"))[1] == Caller(own.id, "Ann")
    finally:
        await runtime.close()


async def test_one_account_count_for_phone_and_browser(runtime: Runtime, caller: User) -> None:
    """Wrong PINs for an account add up across numbers and channels; the fifth locks the account."""
    from transports.webrtc import BrowserPinVerifier

    browser = BrowserPinVerifier(runtime.sessions, runtime.store, runtime.settings, caller.email)
    for _ in range(3):
        assert (await verifier(runtime).check("0000"))[0] is PinOutcome.WRONG
    assert (await browser.check("0000"))[0] is PinOutcome.WRONG
    assert (await browser.check("0000"))[0] is PinOutcome.LOCKED
    assert (await verifier(runtime).check(CALLER_PIN))[0] is PinOutcome.LOCKED
    assert await verifier(runtime).locked()
    assert (await BrowserPinVerifier(runtime.sessions, runtime.store, runtime.settings, caller.email)
            .check(CALLER_PIN))[0] is PinOutcome.LOCKED


async def test_voice_pin_user_names_the_account_it_opens(backend: Any, tmp_path: Any) -> None:
    from tests.conftest import _reset_shared, make_settings

    settings: Settings = make_settings(tmp_path, backend.database_url, backend.redis_url, voice_pin="246810",
                                       voice_pin_user="Desk@Example.com")
    runtime = Runtime.build(settings)
    await _reset_shared(runtime)
    try:
        await register_caller(runtime, email="owner@example.com", first_name="Olive", phone=None, pin=None)
        desk = await register_caller(runtime, email="desk@example.com", first_name="Dana", phone=None, pin=None)
        outcome, who = await verifier(runtime, STRANGER).check("246810")
        assert outcome is PinOutcome.OK and who == Caller(desk.id, "Dana")  # not the oldest account
        async with runtime.sessions() as session:
            (await session.get(User, desk.id)).is_active = False  # type: ignore[union-attr]
            await session.commit()
        assert (await verifier(runtime, STRANGER).check("246810"))[0] is PinOutcome.WRONG  # opens nothing else
    finally:
        await runtime.close()


@pytest.fixture
async def second_store(runtime: Runtime) -> AsyncIterator[Store]:
    """Another client of the same store, as a second server process would have."""
    if runtime.settings.redis_url is None:
        yield runtime.store  # the in-process store is one per process by design
        return
    other = create_store(runtime.settings.redis_url)
    try:
        yield other
    finally:
        await other.close()


async def test_five_failures_lock_the_number_out_everywhere(
    runtime: Runtime, caller: User, second_store: Store
) -> None:
    first_call = verifier(runtime)
    for _ in range(3):
        assert (await first_call.check("0000"))[0] is PinOutcome.WRONG
    second_call = verifier(runtime, store=second_store)  # the caller rings back, reaching another process
    assert (await second_call.check("0000"))[0] is PinOutcome.WRONG
    assert (await second_call.check("0000"))[0] is PinOutcome.LOCKED
    # Locked even for the right PIN, in every process, and said at once when a call starts.
    assert (await first_call.check(CALLER_PIN))[0] is PinOutcome.LOCKED
    gate = PinGate(verifier(runtime, store=second_store))
    down = await run_gate(gate, [*keys(CALLER_PIN + "#")], [TTSSpeakFrame, EndWorkerFrame])
    assert speech(down) == [LOCKED]
    # Other numbers are not affected.
    assert await verifier(runtime, STRANGER).locked() is False


async def test_unknown_number_without_voice_pin_is_never_admitted(runtime: Runtime) -> None:
    gate = PinGate(verifier(runtime, STRANGER))
    down = await run_gate(gate, [*keys("1234#"), SleepFrame(sleep=0.2)], [TTSSpeakFrame, TTSSpeakFrame])
    assert speech(down) == [WELCOME, RETRY]
