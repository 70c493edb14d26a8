"""The Agent Monitor filters by business line: records carry the number the call came in on, finished
calls are found by the number they called, and staff get the lines to choose from."""

from __future__ import annotations

import httpx

from bots.session import CallInfo, CallSession
from core import lines, monitor
from core.db import transaction
from core.models import CallRecording
from core.runtime import Runtime
from core.timeutil import utcnow
from domains.registry import names
from tests.api.test_monitor import INTERACTIONS, STATS, staff_account, turn_record
from tests.helpers import register

HANOK, CLINIC = "+15550100001", "+15550100002"


async def test_staff_filter_the_monitor_by_line(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await staff_account(client, runtime)
    member = await register(client)
    async with transaction(runtime.sessions) as session:
        hanok, _ = await lines.set_line(session, HANOK, known_domains=names(), name="Hanok Table",
                                        domains=["restaurant"], access="public")
        await lines.set_line(session, CLINIC, known_domains=names(), name="Clinic", domains=["healthcare"],
                             access="public")
        now = utcnow()
        session.add(CallRecording(call_sid="CA-hanok", channel="phone", to_number=HANOK, status="completed",
                                  started_at=now, ended_at=now))
        session.add(CallRecording(call_sid="CA-clinic", channel="phone", to_number=CLINIC, status="completed",
                                  started_at=now, ended_at=now))

    # A call on a line stamps its records with the line's number (bots.session.CallSession.call_info).
    info = CallInfo(call_sid="CA-hanok", channel="phone", from_number="+15551110001", to_number=HANOK)
    assert CallSession(runtime, None, info, hanok).call_info()["line"] == HANOK  # type: ignore[arg-type]
    await monitor.publish(runtime.store, turn_record(None, "CA-hanok", 1, line=HANOK, domain="restaurant"))
    await monitor.publish(runtime.store, turn_record(None, "CA-clinic", 1, line=CLINIC, domain="healthcare"))
    await monitor.publish(runtime.store, turn_record(None, "CA-pin", 1))

    stats = (await client.get(STATS, params={"line": HANOK}, headers=staff.auth)).json()
    assert stats["filters"]["lines"] == [{"number": CLINIC, "name": "Clinic"}, {"number": HANOK, "name": "Hanok Table"}]
    assert stats["counts"]["turns"] == 1
    recent = (await client.get(INTERACTIONS, params={"line": HANOK}, headers=staff.auth)).json()
    assert [i["call_sid"] for i in recent["items"]] == ["CA-hanok"]
    calls = (await client.get(INTERACTIONS, params={"line": CLINIC, "source": "calls"}, headers=staff.auth)).json()
    assert [i["call_sid"] for i in calls["items"]] == ["CA-clinic"]
    everything = (await client.get(INTERACTIONS, headers=staff.auth)).json()
    assert len(everything["items"]) == 3

    mine = (await client.get(STATS, headers=member.auth)).json()
    assert mine["filters"]["lines"] == []  # a line's calls are many callers': staff only
