"""Liveness and dependencies: the database and the store."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep
from core.db import ping

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/health")
async def health(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, dict[str, str]] = {}
    for name, probe, backend in (
        ("database", ping(runtime.engine), runtime.engine.dialect.name),
        ("store", runtime.store.ping(), runtime.store.backend),
    ):
        try:
            await asyncio.wait_for(probe, timeout=3)
            checks[name] = {"status": "ok", "backend": backend}
        except Exception as exc:  # any failure of a dependency is reported, not raised
            log.warning("health check %s failed: %s", name, exc)
            checks[name] = {"status": "error", "backend": backend, "error": type(exc).__name__}
    ok = all(c["status"] == "ok" for c in checks.values())
    calls = {"live": runtime.calls.count, "accepting": runtime.calls.accepting()}
    if runtime.calls.draining:  # the load balancer stops sending new work; live calls finish
        return JSONResponse({"status": "draining", **checks, "calls": calls}, status_code=503)
    return JSONResponse({"status": "ok" if ok else "unavailable", **checks, "calls": calls},
                        status_code=200 if ok else 503)
