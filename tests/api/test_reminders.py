"""Reminders fire: once, at their time, on the user's open pages and by SMS; late when missed.

Time is driven by the scheduler's clock, never by sleeping. Twilio is the fake REST server on
loopback, spoken to by the real twilio client; the page feed is read from a real uvicorn server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from api.app import create_app
from api.reminders import ReminderScheduler
from core import accounts
from core.config import Settings
from core.grammar.registry import REFERENCE_NOW, install, interpret
from core.runtime import Runtime
from core.tools import ToolContext, run_tool
from domains import registry
from domains.productivity.models import Reminder
from domains.productivity.reminder_firing import BATCH, REMINDER_DUE
from domains.productivity.reminder_tools import create_reminder, get_reminders, update_reminder
from tests.api.test_team_events import Feed, serve
from tests.conftest import Backend
from tests.fakes.twilio_client import FakeTwilio
from tests.helpers import register
from tests.voice import speech_models

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FROM_NUMBER = "+15550009999"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def make_user(runtime: Runtime, name: str, phone: str | None = None) -> uuid.UUID:
    async with runtime.sessions() as session, session.begin():
        user = await accounts.register_user(session, email=f"{name}@example.com", password="password123",
                                            first_name=name.title(), phone_number=phone, rounds=4)
    return user.id


async def remind(runtime: Runtime, user_id: uuid.UUID, message: str, at: datetime, **more: str) -> str:
    """Set a reminder through the tool, as a call would, with the clock an hour before it is due."""
    ctx = ToolContext.for_user(runtime, user_id, clock=lambda: at - timedelta(hours=1))
    ctx.settings = runtime.settings.model_copy(update={"timezone": "UTC"})
    result = await run_tool(create_reminder, ctx, {"message": message,
                                                   "remind_at": at.replace(tzinfo=None).isoformat(), **more})
    assert result.ok, result.error
    return str(result.content["created"]["id"])


async def row(runtime: Runtime, reminder_id: str) -> Reminder:
    async with runtime.sessions() as session:
        found = await session.get(Reminder, uuid.UUID(reminder_id))
    assert found is not None
    return found


async def test_a_reminder_fires_once_at_its_time_with_a_notice(runtime: Runtime) -> None:
    alice = await make_user(runtime, "alice")
    reminder_id = await remind(runtime, alice, "call the dentist", NOON, importance="high")
    clock = Clock(NOON - timedelta(seconds=1))
    scheduler = ReminderScheduler(runtime, clock=clock)
    notices = await runtime.store.subscribe(REMINDER_DUE)
    try:
        assert await scheduler.sweep() == []
        clock.now = NOON
        fired = await scheduler.sweep()
        assert [str(r.id) for r in fired] == [reminder_id]
        raw = await notices.get(wait=5)
        assert raw is not None
        assert json.loads(raw) == {
            "kind": REMINDER_DUE, "user_id": str(alice), "reminder_id": reminder_id, "message": "call the dentist",
            "remind_at": NOON.isoformat(), "importance": "high", "late": False,
        }
        clock.now = NOON + timedelta(minutes=5)
        assert await scheduler.sweep() == []
        assert await notices.get(wait=0.2) is None
    finally:
        await notices.close()
    stored = await row(runtime, reminder_id)
    assert stored.is_done and stored.fired_at == NOON and not stored.fired_late
    assert stored.importance == "high"


async def test_a_reminder_said_twice_is_set_and_fired_once(runtime: Runtime) -> None:
    ada = await make_user(runtime, "ada")
    first = await remind(runtime, ada, "call mum", NOON)
    assert await remind(runtime, ada, "call mum", NOON) == first
    other = await remind(runtime, ada, "call mum", NOON + timedelta(hours=1))  # another time is another reminder
    assert other != first
    fired = await ReminderScheduler(runtime, clock=Clock(NOON + timedelta(hours=1))).sweep()
    assert sorted(str(r.id) for r in fired) == sorted([first, other])


async def test_a_reminder_missed_while_down_fires_late(runtime: Runtime) -> None:
    bob = await make_user(runtime, "bob")
    missed = await remind(runtime, bob, "water the plants", NOON)
    on_time = await remind(runtime, bob, "stand up", NOON + timedelta(hours=2) - timedelta(seconds=30))
    fired = await ReminderScheduler(runtime, clock=Clock(NOON + timedelta(hours=2))).sweep()
    assert {str(r.id): r.late for r in fired} == {missed: True, on_time: False}
    assert (await row(runtime, missed)).fired_late


async def test_replicas_sweeping_together_fire_each_reminder_once(settings: Settings, runtime: Runtime) -> None:
    carol = await make_user(runtime, "carol")
    ids = {await remind(runtime, carol, f"thing {i}", NOON + timedelta(seconds=i)) for i in range(12)}
    replicas = [Runtime.build(settings) for _ in range(3)]
    try:
        clock = Clock(NOON + timedelta(minutes=1))
        schedulers = [ReminderScheduler(r, clock=clock) for r in [runtime, *replicas]]
        rounds = await asyncio.gather(*(s.sweep() for s in schedulers for _ in range(2)))
    finally:
        for replica in replicas:
            await replica.close()
    fired = [str(r.id) for found in rounds for r in found]
    assert sorted(fired) == sorted(ids)  # every one, none twice


async def test_a_new_time_sets_a_fired_reminder_to_fire_again(runtime: Runtime) -> None:
    dana = await make_user(runtime, "dana")
    reminder_id = await remind(runtime, dana, "feed the cat", NOON)
    assert len(await ReminderScheduler(runtime, clock=Clock(NOON)).sweep()) == 1
    ctx = ToolContext.for_user(runtime, dana, clock=lambda: NOON)
    ctx.settings = runtime.settings.model_copy(update={"timezone": "UTC"})
    listed = await run_tool(get_reminders, ctx, {"include_done": True})
    assert listed.ok and listed.content["reminders"][0]["late"] is False
    moved = await run_tool(update_reminder, ctx, {"reminder": "cat", "remind_at": "2026-11-23T18:00:00"})
    assert moved.ok, moved.error
    evening = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert await ReminderScheduler(runtime, clock=Clock(evening - timedelta(seconds=1))).sweep() == []
    again = await ReminderScheduler(runtime, clock=Clock(evening)).sweep()
    assert [str(r.id) for r in again] == [reminder_id]


@asynccontextmanager
async def twilio_runtime(settings: Settings) -> AsyncIterator[tuple[Runtime, FakeTwilio]]:
    async with FakeTwilio("http://127.0.0.1:9", auth_token="fake-token") as twilio:
        texting = settings.model_copy(update={
            "twilio_account_sid": twilio.account_sid, "twilio_auth_token": "fake-token",
            "twilio_api_base_url": twilio.rest_url, "twilio_from_number": FROM_NUMBER,
        })
        rt = Runtime.build(texting)
        try:
            yield rt, twilio
        finally:
            await rt.close()


async def test_a_reminder_is_texted_to_a_user_with_a_phone(settings: Settings, runtime: Runtime) -> None:
    async with twilio_runtime(settings) as (texting, twilio):
        erin = await make_user(texting, "erin", phone="+15550001111")
        frank = await make_user(texting, "frank")  # no phone: the page notice only
        await remind(texting, erin, "pick up the kids", NOON)
        await remind(texting, frank, "renew the passport", NOON)
        await remind(texting, erin, "call the bank", NOON - timedelta(hours=3), importance="high")
        fired = await ReminderScheduler(texting, clock=Clock(NOON)).sweep()
        assert len(fired) == 3
        await texting.background.drain()
    assert sorted((m.to, m.from_, m.body) for m in twilio.messages) == [
        ("+15550001111", FROM_NUMBER, "Important reminder (late): call the bank"),
        ("+15550001111", FROM_NUMBER, "Reminder: pick up the kids"),
    ]
    expected = "Basic " + base64.b64encode(f"{twilio.account_sid}:fake-token".encode()).decode()
    assert {m.authorization for m in twilio.messages} == {expected}


async def test_a_refused_text_is_logged_without_the_number_and_nothing_breaks(
    settings: Settings, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async with twilio_runtime(settings) as (texting, twilio):
        twilio.unreachable.add("+15550002222")
        gina = await make_user(texting, "gina", phone="+15550002222")
        reminder_id = await remind(texting, gina, "dentist", NOON)
        scheduler = ReminderScheduler(texting, clock=Clock(NOON))
        assert [str(r.id) for r in await scheduler.sweep()] == [reminder_id]
        await texting.background.drain()
        assert await scheduler.sweep() == []  # fired is fired, even though the text was refused
    assert twilio.messages == []
    refused = [r.getMessage() for r in caplog.records if "SMS was not sent" in r.getMessage()]
    assert len(refused) == 1 and "21211" in refused[0]
    assert "5550002222" not in caplog.text and "dentist" not in caplog.text


async def test_the_server_fires_what_it_missed_when_it_starts(runtime: Runtime) -> None:
    hank = await make_user(runtime, "hank")
    now = datetime.now(UTC)
    missed = await remind(runtime, hank, "take the medicine", now - timedelta(minutes=30))
    later = await remind(runtime, hank, "go to bed", now + timedelta(hours=3))
    async with runtime.sessions() as session, session.begin():  # a long downtime's backlog: more than a batch
        session.add_all(Reminder(user_id=hank, message=f"backlog {i}", remind_at=now - timedelta(days=1, minutes=i))
                        for i in range(BATCH + 20))
    app = create_app(runtime=runtime)
    app.state.speech = speech_models(runtime.settings)  # the test process's shared voice and turn models
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.reminders.first_sweep.wait(), 30)
        async with runtime.sessions() as session:
            unfired = (await session.exec(select(Reminder.message).where(col(Reminder.fired_at).is_(None)))).all()
    assert (await row(runtime, missed)).fired_late
    assert unfired == ["go to bed"]
    assert (await row(runtime, later)).fired_at is None


async def test_the_notice_reaches_only_its_users_open_pages(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ivy, jack = await register(client), await register(client)
    await remind(runtime, uuid.UUID(ivy.id), "book the flights", NOON)
    async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        feeds = []
        async with asyncio.timeout(20):
            for account in (ivy, jack):
                token = (await http.post("/api/notices/stream-token", headers=account.auth)).json()["token"]
                feeds.append(http.stream("GET", "/api/notices/stream", params={"token": token}))
            async with feeds[0] as ivys, feeds[1] as jacks:
                assert ivys.status_code == jacks.status_code == 200
                ivy_feed, jack_feed = Feed(ivys), Feed(jacks)
                assert await ivy_feed.next() == await jack_feed.next() == ("ready", {})
                await ReminderScheduler(runtime, clock=Clock(NOON)).sweep()
                event, notice = await ivy_feed.next()
                assert event == "reminder"
                assert notice["message"] == "book the flights" and notice["user_id"] == ivy.id
                with pytest.raises(TimeoutError):
                    await jack_feed.next(within=0.5)
        used = await http.get("/api/notices/stream", params={"token": token})
        assert used.status_code == 401  # a stream token opens one feed, once




async def test_a_reminder_fired_by_another_replica_reaches_the_page(
    backend: Backend, settings: Settings, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    if backend.redis_url is None:
        pytest.skip("the in-process store belongs to one process; replicas share Redis")
    max_ = await register(client)
    await remind(runtime, uuid.UUID(max_.id), "check the oven", NOON)
    other = Runtime.build(settings)  # a second server process: same database, same Redis
    try:
        async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            token = (await http.post("/api/notices/stream-token", headers=max_.auth)).json()["token"]
            async with http.stream("GET", "/api/notices/stream", params={"token": token}) as response:
                feed = Feed(response)
                assert await feed.next() == ("ready", {})
                clock = Clock(NOON)
                fired = await asyncio.gather(ReminderScheduler(other, clock=clock).sweep(),
                                             ReminderScheduler(runtime, clock=clock).sweep())
                assert sum(len(f) for f in fired) == 1
                event, notice = await feed.next()
                assert (event, notice["message"]) == ("reminder", "check the oven")
                with pytest.raises(TimeoutError):
                    await feed.next(within=0.5)  # once
    finally:
        await other.close()


# --- "call me at seven to remind me…": the reminder comes as a phone call that speaks it -----------------


def test_call_me_to_remind_me_asks_for_a_call() -> None:
    install(registry.grammar_set())
    asked = interpret("call me at seven pm to remind me to call the dentist", REFERENCE_NOW)
    assert asked is not None and asked.tool == "create_reminder"
    assert asked.args == {"deliver_by": "call", "remind_at": "2026-11-23T19:00:00", "message": "call the dentist"}
    plain = interpret("remind me to call the dentist at two", REFERENCE_NOW)  # "call" in the message is no cue
    assert plain is not None and "deliver_by" not in plain.args


async def test_a_reminder_asked_for_by_call_rings_and_says_it(settings: Settings, runtime: Runtime) -> None:
    async with twilio_runtime(settings) as (calling, twilio):
        ivan = await make_user(calling, "ivan", phone="+15550003333")
        judy = await make_user(calling, "judy")  # no phone: the page notice only
        called = await remind(calling, ivan, "take the cake out of the oven", NOON, deliver_by="call")
        await remind(calling, judy, "water the garden", NOON, deliver_by="call")
        await remind(calling, ivan, "pay the rent", NOON)  # not asked for a call: a text
        assert (await row(calling, called)).by_call
        fired = await ReminderScheduler(calling, clock=Clock(NOON)).sweep()
        assert len(fired) == 3
        await calling.background.drain()
    [placed] = twilio.placed
    assert (placed.to, placed.from_) == ("+15550003333", FROM_NUMBER)  # the caller ID defaults to the SMS number
    said = [s.text for s in ET.fromstring(placed.twiml).iter("Say")]
    assert said[0] == "Hello Ivan. This is Convonet with your reminder: take the cake out of the oven."
    assert said[1].startswith("Once more:") and ET.fromstring(placed.twiml).find("Hangup") is not None
    assert [(m.to, m.body) for m in twilio.messages] == [("+15550003333", "Reminder: pay the rent")]


async def test_a_refused_reminder_call_falls_back_to_a_text(settings: Settings, runtime: Runtime) -> None:
    async with twilio_runtime(settings) as (calling, twilio):
        twilio.unreachable.add("+15550004444")  # refuses calls and texts to it alike
        kate = await make_user(calling, "kate", phone="+15550004444")
        await remind(calling, kate, "call the plumber", NOON, deliver_by="call")
        await ReminderScheduler(calling, clock=Clock(NOON)).sweep()
        await calling.background.drain()
    assert twilio.placed == [] and twilio.messages == []  # both refused; the page notice went out regardless
