"""The application factory: one FastAPI app serving the API, the voice endpoints and the pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api import reminders, retention, voice, web
from api.body_limit import BodySizeLimit
from api.routes import (
    assistant,
    auth,
    call_center,
    call_center_agent,
    call_center_audio,
    call_center_consult,
    call_center_dial,
    call_center_sip,
    callbacks,
    contacts,
    health,
    incoming_calls,
    lines,
    mcp,
    metrics,
    monitor,
    notices,
    pages,
    recordings,
    staff,
    team_dashboard,
    teams,
    todos,
    tools,
    twilio,
    twilio_outbound,
    twilio_transfer,
    voice_ws,
    webrtc,
)
from api.security_headers import SecurityHeaders
from core.config import Settings, load_settings
from core.errors import DomainError
from core.logging import describe_error, report_exception, setup_logging, setup_sentry
from core.ratelimit import RateLimited
from core.runtime import Runtime
from core.security import HashingBusy

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. With `runtime`, the caller owns the shared resources (tests, embedding)."""
    settings = runtime.settings if runtime else (settings or load_settings())
    setup_logging(settings)
    setup_sentry(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            async with (mcp.serving(app, runtime), voice.serving(app, runtime), retention.running(app, runtime),
                        reminders.running(app, runtime), runtime.metrics.watching_loop(runtime.calls.observe_lag)):
                yield
            return
        owned = Runtime.build(settings)
        app.state.runtime = owned
        try:
            async with (mcp.serving(app, owned), voice.serving(app, owned), retention.running(app, owned),
                        reminders.running(app, owned), owned.metrics.watching_loop(owned.calls.observe_lag)):
                yield
        finally:
            await owned.close()

    app = FastAPI(
        title="Convonet",
        version="0.1.0",
        description="Voice AI productivity platform: todos, reminders, calendar, teams and three business domains.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(SecurityHeaders, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    @app.exception_handler(RateLimited)
    async def rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=429, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(HashingBusy)
    async def hashing_busy(_request: Request, _exc: HashingBusy) -> JSONResponse:
        return JSONResponse({"detail": "The server is busy; try again in a moment."}, status_code=503,
                            headers={"Retry-After": "2"})

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", describe_error(exc))
        return JSONResponse({"detail": "That conflicts with something that already exists."}, status_code=409)

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(ConnectionError)
    async def database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", describe_error(exc))
        report_exception(exc)
        return JSONResponse({"detail": "The database is unavailable; nothing was changed. Try again shortly."}, 503)

    for router in (health.router, metrics.router, auth.router, teams.router, todos.router, webrtc.router, pages.router):
        app.include_router(router)
    if settings.twilio_enabled:
        app.include_router(twilio.router)
        app.include_router(twilio_transfer.router)
        app.include_router(twilio_outbound.router)
    app.include_router(monitor.router)
    app.include_router(recordings.router)
    app.include_router(tools.router)
    app.include_router(staff.build_router())
    app.include_router(lines.router)
    app.include_router(contacts.router)
    app.include_router(team_dashboard.router)
    app.include_router(notices.router)
    app.include_router(call_center.router)
    app.include_router(call_center_agent.router)
    app.include_router(call_center_audio.router)
    app.include_router(call_center_consult.router)
    app.include_router(call_center_dial.router)
    app.include_router(call_center_sip.router)
    app.include_router(incoming_calls.router)
    app.include_router(callbacks.router)
    app.include_router(assistant.router)
    app.include_router(voice_ws.router)
    mcp.mount(app)
    web.mount(app)
    if runtime is not None:
        app.state.runtime = runtime
    return app
