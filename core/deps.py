"""Request dependencies that need no user: the runtime the app was started with, its settings and
store, and one database session per request. Routers in every layer use them (a domain's staff
routes included); who may call a route is decided where it is mounted (`api.deps`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.runtime import Runtime
from core.store import Store


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_store(runtime: RuntimeDep) -> Store:
    return runtime.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    async with runtime.sessions() as session, session.begin():
        yield session


# scope="function": the transaction commits before the response is sent, so a client that was
# told "created" can read it back at once, and a failed commit is an error response, not a lie.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
