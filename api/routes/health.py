"""Liveness and dependencies: the database and the store."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api.deps import RuntimeDep
from core.db import ping

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


class CheckOut(BaseModel):
    """One dependency's probe: `error` names the exception when it failed."""

    status: Literal["ok", "error"]
    backend: str
    error: str | None = None


class CallsOut(BaseModel):
    live: int
    accepting: bool


class HealthOut(BaseModel):
    """503 unless both dependencies answer; "draining" (503) once SIGTERM asked the process to stop."""

    status: Literal["ok", "unavailable", "draining"]
    database: CheckOut
    store: CheckOut
    calls: CallsOut


@router.get("/health", response_model_exclude_none=True,
            responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": HealthOut}})
async def health(runtime: RuntimeDep, response: Response) -> HealthOut:
    checks: dict[str, CheckOut] = {}
    for name, probe, backend in (
        ("database", ping(runtime.engine), runtime.engine.dialect.name),
        ("store", runtime.store.ping(), runtime.store.backend),
    ):
        try:
            await asyncio.wait_for(probe, timeout=3)
            checks[name] = CheckOut(status="ok", backend=backend)
        except Exception as exc:  # any failure of a dependency is reported, not raised
            log.warning("health check %s failed: %s", name, exc)
            checks[name] = CheckOut(status="error", backend=backend, error=type(exc).__name__)
    ok = all(c.status == "ok" for c in checks.values())
    calls = CallsOut(live=runtime.calls.count, accepting=runtime.calls.accepting())
    if runtime.calls.draining:  # the load balancer stops sending new work; live calls finish
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return HealthOut(status="draining", database=checks["database"], store=checks["store"], calls=calls)
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return HealthOut(status="ok" if ok else "unavailable", database=checks["database"], store=checks["store"],
                     calls=calls)
