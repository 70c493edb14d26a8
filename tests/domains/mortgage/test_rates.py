"""The typical rates of payment estimates come from the database: staff change them through
`/api/staff/mortgage/rates`, and the estimate tool uses them at once."""

from __future__ import annotations

import httpx

from core.runtime import Runtime
from tests.domains.conftest import MakeCaller
from tests.domains.tool_calls import call, ok
from tests.helpers import make_staff, register

URL = "/api/staff/mortgage/rates"
DEFAULTS = {"excellent": 6.25, "good": 6.75, "fair": 7.5, "poor": 8.5}


async def test_staff_rates_change_the_estimates(client: httpx.AsyncClient, runtime: Runtime, caller: MakeCaller) -> None:
    carol = await caller("carol")
    staff = await make_staff(runtime, await register(client))
    assert (await client.get(URL, headers=staff.auth)).json() == DEFAULTS
    assert ok(await call(carol, "estimate_monthly_payment", loan_amount=400000))["interest_rate"] == 6.75

    saved = await client.put(URL, json={**DEFAULTS, "good": 5.5}, headers=staff.auth)
    assert saved.status_code == 200 and saved.json()["good"] == 5.5
    estimate = ok(await call(carol, "estimate_monthly_payment", loan_amount=400000))
    assert estimate["interest_rate"] == 5.5 and estimate["monthly_payment"] == 2271.16


async def test_bad_rates_are_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    member = await register(client)
    assert (await client.put(URL, json=DEFAULTS, headers=member.auth)).status_code == 403
    for bad in ({**DEFAULTS, "good": -1}, {**DEFAULTS, "poor": 31}, {"good": 6.0}, {**DEFAULTS, "superb": 5.0},
                {**DEFAULTS, "fair": "high"}):
        assert (await client.put(URL, json=bad, headers=staff.auth)).status_code == 422, bad
    assert (await client.get(URL, headers=staff.auth)).json() == DEFAULTS
