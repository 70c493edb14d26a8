"""Logging set-up, and Sentry when (and only when) SENTRY_DSN is set."""

from __future__ import annotations

import logging

from core.config import Settings

log = logging.getLogger("convonet")


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def setup_sentry(settings: Settings) -> bool:
    """Initialise Sentry with the FastAPI, SQLAlchemy and asyncio integrations; False when not configured."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.asyncio import AsyncioIntegration
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        profiles_sample_rate=settings.sentry_profiles_sample_rate,
        integrations=[FastApiIntegration(), SqlalchemyIntegration(), AsyncioIntegration()],
        send_default_pii=False,
    )
    return True


def report_exception(exc: BaseException) -> None:
    """Send an exception to Sentry when it is configured; a no-op otherwise."""
    import sentry_sdk

    if sentry_sdk.is_initialized():
        sentry_sdk.capture_exception(exc)
