"""Liveness and dependencies (`/health`: the database and the store), and readiness for new calls
(`/health/ready`: 503 while the process is full, busy or draining, so a load balancer sends calls elsewhere)."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from api import cluster
from api.deps import RuntimeDep
from core.calls import Refusal
from core.cluster import node_id
from core.db import ping

router = APIRouter(tags=["health"], lifespan=cluster.running)
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


class ReadyOut(BaseModel):
    """Whether this process takes a new call now: "full" past MAX_CALLS_PER_PROCESS, LOAD_THRESHOLD or
    LOOP_LAG_THRESHOLD, and `reason` says which ("calls", "load", "loop_lag"; "draining")."""

    status: Literal["ready", "full", "draining"]
    reason: Refusal | None = None
    node: str
    load: float
    loop_lag: float  # seconds: the moving average of how late the event loop runs
    calls: CallsOut


@router.get("/health/ready", responses={status.HTTP_503_SERVICE_UNAVAILABLE: {"model": ReadyOut}})
async def ready(runtime: RuntimeDep, response: Response) -> ReadyOut:
    calls = runtime.calls
    reason = calls.refusal()
    state: Literal["ready", "full", "draining"] = (
        "ready" if reason is None else "draining" if reason == "draining" else "full")
    if state != "ready":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadyOut(status=state, reason=reason, node=node_id(), load=round(calls.load, 3),
                    loop_lag=round(calls.lag, 4), calls=CallsOut(live=calls.count, accepting=reason is None))
