"""Request dependencies: a request has one database session, whichever layer's dependency asks for it."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event

from core.runtime import Runtime
from tests.helpers import make_staff, register


async def test_a_staff_request_reads_the_user_and_the_list_in_one_transaction(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The staff check (`api.deps`) and a domain's staff route (`core.deps`) share the request's session."""
    staff = await make_staff(runtime, await register(client))
    begun: list[Any] = []

    def on_begin(connection: Any) -> None:
        begun.append(connection)

    event.listen(runtime.engine.sync_engine, "begin", on_begin)
    try:
        response = await client.get("/api/staff/reservations", headers={"Authorization": f"Bearer {staff.access}"})
    finally:
        event.remove(runtime.engine.sync_engine, "begin", on_begin)
    assert response.status_code == 200, response.text
    assert len(begun) == 1
