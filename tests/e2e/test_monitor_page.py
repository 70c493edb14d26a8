"""The Agent Monitor and tool-execution pages in headless Chromium against the app on uvicorn:
log in, watch a turn arrive live in the waterfall, run a tool through its generated form, and
watch a real phone call's turn (fake Twilio on the Media Streams protocol, hibari's voice, the
offline speech stack) show up in the waterfall of a staff user's open page.

Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core import monitor
from core.runtime import Runtime
from core.timeutil import utcnow
from tests.api.test_monitor import add_call, live_server, staff_account, turn_record
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.helpers import Account, make_staff, register
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

playwright_api = pytest.importorskip("playwright.async_api")

# The pages on the embedded backends: what the server gives them (the records, their scope, the live feed) is
# tests/api/test_monitor.py's, on both backends.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def log_in(page: Any, url: str, account: Account, then: str) -> None:
    await page.goto(f"{url}/login?next={then}")
    await page.fill("#email", account.email)
    await page.fill("#password", account.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}{then}")


async def some_history(runtime: Runtime, http: httpx.AsyncClient, me: Account, caller: Account) -> None:
    """A little of what a working day leaves: finished calls, a call in progress, recent turns, a tool run."""
    for n, (domain, status) in enumerate((("productivity", "completed"), ("restaurant", "completed"), ("mortgage", "failed"))):
        await add_call(runtime, caller if n else me, status=status, started_at=utcnow() - timedelta(hours=n + 1),
                       timings=[turn_record(me, f"CA-old{n}", 1, domain=domain).model_dump(mode="json")])
    live = await add_call(runtime, None, call_sid="CA7f3e21c9d04b4e55", status="in-progress", started_at=utcnow())
    spoken: list[tuple[str, str, dict[str, Any]]] = [
        ("add a high priority todo to call the bank", "Added “call the bank”, high priority.",
         {"stt_ms": 182.0, "agent_ms": 412.0, "llm_first_token_ms": 455.0, "eos_to_first_audio_ms": 702.0,
          "tool_calls": [{"name": "create_todo", "elapsed_ms": 38.2, "ok": True}]}),
        ("book a table for four tomorrow at seven", "I couldn't book that: the restaurant is full at seven.",
         {"domain": "restaurant", "stt_ms": 240.0, "agent_ms": 655.0, "llm_first_token_ms": 700.0,
          "eos_to_first_audio_ms": 1013.0, "tool_calls": [
              {"name": "check_availability", "elapsed_ms": 21.0, "ok": True},
              {"name": "create_reservation", "elapsed_ms": 64.5, "ok": False}]}),
        ("what are my todos", "You have one todo: call the bank.",
         {"stt_ms": 150.0, "agent_ms": 280.0, "llm_first_token_ms": 310.0, "eos_to_first_audio_ms": 560.0}),
    ]
    for n, (said, reply, fields) in enumerate(spoken, start=1):
        await monitor.publish(runtime.store, turn_record(caller, live, n, text_in=said, text_out=reply, **fields))
    ran = await http.post("/api/tools/get_available_departments", json={}, headers=me.auth)
    assert ran.status_code == 200, ran.text


async def test_monitor_shows_a_turn_live_and_tools_run_from_the_form(runtime: Runtime, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with live_server(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        me = await staff_account(http, runtime)
        caller = await register(http)
        await http.post("/api/todos/", json={"title": "Call the bank", "priority": "high"}, headers=me.auth)
        await some_history(runtime, http, me, caller)

        context = await browser.new_context(viewport={"width": 1360, "height": 1000})
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        await log_in(page, url, me, "/agent-monitor")
        live = page.locator("#live")
        await playwright_api.expect(live).to_have_text("● Live", timeout=5000)
        await playwright_api.expect(page.locator(".turn")).to_have_count(3)
        await playwright_api.expect(page.locator("#scope")).to_have_text("All users' calls (staff)")

        call_sid = f"CA{uuid.uuid4().hex[:16]}"
        record = turn_record(caller, call_sid, 1, text_in="cancel my reservation", text_out="Done, it's cancelled.",
                             domain="restaurant", eos_to_first_audio_ms=845.0)
        await monitor.publish(runtime.store, record)
        row = page.locator(f'[data-key="{call_sid}:1"]')
        # no test fails on wall-clock time: test_a_phone_calls_turn_shows_up_in_the_waterfall prints the delay
        await playwright_api.expect(row).to_be_visible(timeout=10_000)
        await playwright_api.expect(row.locator(".lane-label")).to_contain_text(["STT", "Agent", "⚙ get_todos"])
        await playwright_api.expect(row.locator(".turn-total")).to_have_text("845 ms")
        await playwright_api.expect(page.locator("#k-turns")).to_have_text("4", timeout=3000)
        await playwright_api.expect(page.locator("#tools tbody")).to_contain_text("get_available_departments")
        await playwright_api.expect(page.locator("#calls tbody")).to_contain_text("restaurant")
        await playwright_api.expect(page.locator("#active tbody")).to_contain_text(caller.email)
        await page.screenshot(path=str(ARTIFACTS / "agent_monitor.png"), full_page=True)
        await page.set_viewport_size({"width": 420, "height": 900})
        await page.wait_for_timeout(400)  # the charts redraw for the new width
        await page.screenshot(path=str(ARTIFACTS / "agent_monitor_narrow.png"), full_page=True)
        await page.set_viewport_size({"width": 1360, "height": 1000})

        await page.goto(f"{url}/tool-execution")
        await page.click('[data-tool="get_todos"]')
        await playwright_api.expect(page.locator("#tool-title")).to_have_text("get_todos")
        await page.select_option("#arg-priority", "high")
        await page.click("#run")
        result = page.locator("#result")
        await playwright_api.expect(result).to_contain_text('"count": 1')
        await playwright_api.expect(result).to_contain_text("Call the bank")
        await playwright_api.expect(page.locator("#result-status")).to_have_text("ok")
        await page.screenshot(path=str(ARTIFACTS / "tool_execution.png"), full_page=True)

        # a required field left empty comes back from the server as a message under that field
        await page.click('[data-tool="create_todo"]')
        await page.click("#run")
        await playwright_api.expect(page.locator("#arg-title-error")).to_have_text("Field required")

        await context.close()
        assert problems == []
        assert [f.split(" ")[0] + " " + f.split(url)[-1] for f in failed] == ["422 /api/tools/create_todo"]


async def test_monitor_empty_states_for_a_new_user(runtime: Runtime, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with live_server(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        someone_else = await register(http)
        await monitor.publish(runtime.store, turn_record(someone_else, "CA-not-yours", 1))
        me = await register(http)
        context = await browser.new_context(viewport={"width": 1360, "height": 1000})
        page = await context.new_page()
        await log_in(page, url, me, "/agent-monitor")
        await playwright_api.expect(page.locator("#live")).to_have_text("● Live", timeout=5000)
        await playwright_api.expect(page.locator("#scope")).to_have_text("Your calls")
        await playwright_api.expect(page.locator("#user-filter")).to_be_hidden()
        for empty in ("#turns-empty", "#tools-empty", "#calls-empty", "#active-empty"):
            await playwright_api.expect(page.locator(empty)).to_be_visible()
        await playwright_api.expect(page.locator("#k-turns")).to_have_text("0")
        await monitor.publish(runtime.store, turn_record(someone_else, "CA-still-not-yours", 2))
        await page.wait_for_timeout(300)
        await playwright_api.expect(page.locator(".turn")).to_have_count(0)
        await page.screenshot(path=str(ARTIFACTS / "agent_monitor_empty.png"), full_page=True)
        await context.close()


# --- a real phone call's turn ----------------------------------------------------------------------


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path) -> AsyncIterator[PhoneServer]:
    pytest.importorskip("bots.speech", reason="needs the offline speech services")
    async with open_phone_server(backend, tmp_path, data_dir=tmp_path / "data") as server:
        yield server


# Notes (in the page's own clock, Date.now()) when the first waterfall row of a call appears.
WATCH_FOR_TURN = """(prefix) => {
  window.turnShownAt = null;
  const seen = () => document.querySelector(`#turns .turn[data-key^="${prefix}"] .lane-label`);
  const observer = new MutationObserver(() => {
    if (window.turnShownAt === null && seen()) { window.turnShownAt = Date.now(); observer.disconnect(); }
  });
  observer.observe(document.getElementById("turns"), { childList: true, subtree: true });
}"""


@pytest.mark.slow
async def test_a_phone_calls_turn_shows_up_in_the_waterfall(phone: PhoneServer, browser: Any) -> None:
    """A staff user has the monitor open; a caller keys their PIN and says a command on the phone.

    The turn's waterfall (its stages and the tool call) appears on the page; the time from the turn
    record being emitted (its `at`) and from the bot's first audio at the caller to the row being on
    the page is printed. No test fails on wall-clock time: only "it showed up at all within 10 s"
    is asserted."""
    ARTIFACTS.mkdir(exist_ok=True)
    runtime = phone.runtime
    await register_caller(runtime)
    async with httpx.AsyncClient(base_url=phone.url, timeout=10) as http:
        me = await make_staff(runtime, await register(http))
        context = await browser.new_context(viewport={"width": 1360, "height": 1000})
        page = await context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        await log_in(page, phone.url, me, "/agent-monitor")
        await playwright_api.expect(page.locator("#live")).to_have_text("● Live", timeout=5000)
        await playwright_api.expect(page.locator("#turns-empty")).to_be_visible()

        call = await phone.twilio.place_call(CALLER_PHONE)
        await page.evaluate(WATCH_FOR_TURN, f"{call.call_sid}:")
        await call.wait_for_bot(time.monotonic() - 1.0, within=20)  # "Welcome to Convonet. Please say your PIN…"
        await call.wait_quiet()
        await call.press(CALLER_PIN + "#")
        await call.wait_for_bot(time.monotonic() - 1.0)  # "Hi Ann, how can I help?"
        await call.wait_quiet()
        await playwright_api.expect(page.locator(".turn")).to_have_count(0)  # the PIN is no turn

        await call.say("create a todo to buy milk")
        assert call.speech_ended_at is not None
        await call.wait_for_bot(call.speech_ended_at, within=15)
        first_audio = next(t for t in call.playback.first_audio_at if t > call.speech_ended_at)
        row = page.locator(f'#turns .turn[data-key^="{call.call_sid}:"]')
        await playwright_api.expect(row).to_be_visible(timeout=10_000)
        shown_at = await page.evaluate("window.turnShownAt")
        wall_minus_monotonic = time.time() - time.monotonic()

        recent = [json.loads(m) for m in await runtime.store.range("monitor:recent")]
        turns = [r for r in recent if r.get("type") == "turn" and r.get("call_sid") == call.call_sid]
        assert len(turns) == 1, turns
        turn = turns[0]
        assert turn["tool_calls"][0]["name"] == "create_todo", turn
        emitted_at = datetime.fromisoformat(turn["at"]).timestamp()
        after_record = shown_at / 1000 - emitted_at
        after_audio = shown_at / 1000 - (first_audio + wall_minus_monotonic)
        print(f"\nturn record emitted -> waterfall row on the page: {after_record * 1000:.0f} ms; "
              f"bot's first audio at the caller -> row on the page: {after_audio * 1000:.0f} ms; "
              f"end of caller speech -> bot's first audio: {(first_audio - call.speech_ended_at) * 1000:.0f} ms")
        assert after_record < 10.0, after_record  # a generous bound: the figure itself is only reported

        # The waterfall: every stage the record has, the tool call, the total, what was said and answered.
        await playwright_api.expect(row.locator(".lane-label")).to_contain_text(
            ["STT", "Agent", "⚙ create_todo", "First reply text", "TTS first audio", "End of speech → audio"]
        )
        await playwright_api.expect(row.locator(".turn-total")).to_have_text(re.compile(r"^\d[\d.]* (ms|s)$"))
        await playwright_api.expect(row.locator(".said")).to_contain_text("buy milk")
        await playwright_api.expect(row).to_contain_text("phone")
        await playwright_api.expect(row).to_contain_text("productivity")
        await playwright_api.expect(row).to_contain_text("ann@example.com")  # the caller, found by their PIN
        await playwright_api.expect(page.locator("#tools tbody")).to_contain_text("create_todo")
        await playwright_api.expect(page.locator("#tools tbody .args")).to_contain_text('"title": "buy milk"')
        await playwright_api.expect(page.locator("#k-turns")).to_have_text("1", timeout=3000)
        await call.wait_quiet()
        await page.screenshot(path=str(ARTIFACTS / "agent_monitor_phone_call.png"), full_page=True)

        await call.hang_up()
        await context.close()  # the live feed closes before the server stops
        assert problems == []
