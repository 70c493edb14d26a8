"""Logging set-up, and Sentry when (and only when) SENTRY_DSN is set.

Neither may carry what callers told us. Database errors are logged by class (`describe_error`):
their text can hold the statement's values (names, dates of birth, symptoms, password hashes),
and the engine hides bound parameters anyway. Sentry gets no local variables, no request bodies,
query strings, cookies or credentials, and `scrub_event` masks e-mail addresses, phone numbers and
SQL parameters in whatever text is left. Of the user only the account's id is kept (a call's scope
sets it, `core.tracing`).
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

from sentry_sdk.types import Event, Hint

from core.config import Settings

log = logging.getLogger("convonet")

_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(\(Background on this error|$))", re.S)
_KEY_DETAIL = re.compile(r"(Key \([^)]*\))=\((.*?)\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d[\d\s().-]{6,18}\d")
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-twilio-signature", "x-api-key"})
REDACTED = "[redacted]"


def describe_error(exc: BaseException) -> str:
    """What to log about an exception whose text may hold people's data: its class, and for a
    database error the driver error's class."""
    orig = getattr(exc, "orig", None)
    return f"{type(exc).__name__} ({type(orig).__name__})" if orig is not None else type(exc).__name__


def scrub_text(text: str) -> str:
    """`text` with SQL parameters, key values, e-mail addresses and phone numbers masked."""
    text = _SQL_PARAMETERS.sub(f"[parameters: {REDACTED}]", text)
    text = _KEY_DETAIL.sub(rf"\1=({REDACTED})", text)
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub("[phone]", text)


def scrub_event(sentry_event: Event, _hint: Hint | None = None) -> Event:
    """Sentry's `before_send`: the event without personal data."""
    event = cast(dict[str, Any], sentry_event)
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    logentry = event.get("logentry") or {}
    for key in ("message", "formatted"):
        if isinstance(logentry.get(key), str):
            logentry[key] = scrub_text(logentry[key])
    if "params" in logentry:
        logentry["params"] = [REDACTED for _ in logentry["params"] or []]
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"])
    crumbs = event.get("breadcrumbs")
    for crumb in (crumbs.get("values") if isinstance(crumbs, dict) else crumbs) or []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = scrub_text(crumb["message"])
        crumb.pop("data", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "query_string", "cookies"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {k: v for k, v in headers.items() if k.lower() not in _SECRET_HEADERS}
    user = event.pop("user", None)
    if isinstance(user, dict) and user.get("id"):
        event["user"] = {"id": str(user["id"])}  # the account's id (`core.tracing`); no name, e-mail or address
    return sentry_event


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
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
    )
    return True


def report_exception(exc: BaseException) -> None:
    """Send an exception to Sentry when it is configured; a no-op otherwise."""
    import sentry_sdk

    if sentry_sdk.is_initialized():
        sentry_sdk.capture_exception(exc)
