"""Small helpers the API tests share."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

import httpx

_counter = itertools.count(1)
# What a server a test starts (`convonet serve`) inherits of the test's environment; PYTHONPATH too, so that a test
# run from a git worktree (PYTHONPATH=<worktree>) starts that tree's code, not the tree the venv was installed from.
SERVER_ENV = ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")


@dataclass
class Account:
    id: str
    email: str
    password: str
    access: str
    refresh: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


async def register(client: httpx.AsyncClient, name: str | None = None, **extra: object) -> Account:
    name = name or f"user{next(_counter)}"
    email = f"{name}@example.com"
    password = f"pw-{name}-secret"
    response = await client.post("/api/auth/register", json={"email": email, "password": password, **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(body["user"]["id"], email, password, body["access_token"], body["refresh_token"])


async def make_staff(runtime: object, account: Account) -> Account:
    """Grant staff access the way `convonet grant-staff` does."""
    import uuid

    from core.models import User

    sessions = runtime.sessions  # type: ignore[attr-defined]
    async with sessions() as session, session.begin():
        user = await session.get(User, uuid.UUID(account.id))
        assert user is not None
        user.is_staff = True
    return account


async def make_clinical(runtime: object, account: Account) -> Account:
    """Staff with the clinical role, the way `convonet grant-staff EMAIL --clinical` does."""
    import uuid

    from core.models import User

    await make_staff(runtime, account)
    sessions = runtime.sessions  # type: ignore[attr-defined]
    async with sessions() as session, session.begin():
        user = await session.get(User, uuid.UUID(account.id))
        assert user is not None
        user.is_clinical = True
    return account


async def well_inside_a_window(window: float = 60.0, margin: float = 10.0) -> None:
    """Wait, if need be, until a fixed rate-limit window (`core.ratelimit`: counts per `window` seconds since
    the epoch) has at least `margin` seconds left, so a test's requests all land in one window; a window
    opening between them would reset the count and let a request through that the test expects refused."""
    left = window - time.time() % window
    if left < margin:
        await asyncio.sleep(left + 0.05)
