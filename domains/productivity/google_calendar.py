"""Mirror calendar events to Google Calendar (Calendar API v3, through google-api-python-client).

Convonet's own table stays the source of truth; this module copies events into one Google calendar
(`GOOGLE_CALENDAR_ID`, default `primary`) and reads them back. Credentials are an OAuth
*authorized-user* JSON file (client_id, client_secret, refresh_token, optionally token_uri and
scopes), as written by `google-auth-oauthlib`'s `InstalledAppFlow` / `creds.to_json()`.

Design notes
------------
* The client library is blocking, so every call runs in `asyncio.to_thread` and is bounded as a
  whole by `timeout` seconds (default 5); the httplib2 socket timeout is the same, so a thread
  abandoned by the deadline also finishes soon.
* The API description comes from the discovery document shipped inside google-api-python-client
  (`static_discovery=True`): building the service needs no network, and is done once per mirror.
* Thread safety: `httplib2.Http` (its connection pool and socket state) is not thread-safe, so
  each call gets its own `AuthorizedHttp(credentials, httplib2.Http(timeout))` and passes it to
  `request.execute(http=...)` - the pattern googleapiclient's thread-safety guide recommends. The
  shared service object only builds requests, which is safe. A lock would have serialised every
  call behind a possibly stalled one (blowing the callers' budgets); a fresh connection per call
  costs one TLS handshake, which is nothing for a mirror doing a few writes. The one piece of
  shared mutable state, the credentials' access token, is refreshed under a `threading.Lock` so
  concurrent calls do not stampede the token endpoint.
* Inserts are idempotent: the Google event id is derived from the Convonet event id (a UUID's hex
  digits are valid base32hex), so an insert that timed out on our side but reached Google is not
  duplicated on retry - the second insert gets 409 and becomes an update.
* `GOOGLE_CALENDAR_BASE_URL` is the API *host* (like `https://www.googleapis.com`); `/calendar/v3/`
  is appended unless already there, because googleapiclient's `api_endpoint` replaces rootUrl *and*
  servicePath.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from core.config import Settings
from domains.productivity.google_calendar_events import (  # noqa: F401  (re-exported)
    API_PATH,
    OWNER_PROPERTY,
    GoogleEvent,
    api_endpoint,
    client_event_id,
    event_body,
    parse_event,
    rfc3339,
)
from domains.productivity.models import CalendarEvent

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
PAGE_SIZE = 250
MAX_PAGES = 20  # 5,000 events in one window is more than any spoken question needs
GONE = (404, 410)


class CalendarUnavailable(Exception):
    """Google Calendar could not do what was asked; the message is short and safe to show or say."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _short(text: object, limit: int = 160) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def _http_status(exc: BaseException) -> int | None:
    return exc.resp.status if isinstance(exc, HttpError) else None


def _unavailable(exc: BaseException, timeout: float) -> CalendarUnavailable:
    """Turn whatever the client library raised into a short CalendarUnavailable."""
    if isinstance(exc, HttpError):
        status = exc.resp.status
        reason = _short(exc.reason or exc.resp.reason or "")
        return CalendarUnavailable(f"Google Calendar answered {status}: {reason}".rstrip(": "), status=status)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return CalendarUnavailable(f"Google refused the calendar credentials: {_short(exc)}")
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError since 3.10
        return CalendarUnavailable(f"Google Calendar did not answer within {timeout:g} s")
    if isinstance(exc, httplib2.ServerNotFoundError):
        return CalendarUnavailable("Cannot find the Google Calendar server")
    if isinstance(
        exc, google.auth.exceptions.TransportError | httplib2.HttpLib2Error | http.client.HTTPException
    ):
        return CalendarUnavailable(f"Cannot talk to Google Calendar: {_short(exc)}")
    if isinstance(exc, OSError):
        return CalendarUnavailable(f"Cannot reach Google Calendar: {_short(exc.strerror or exc)}")
    return CalendarUnavailable(f"Unexpected answer from Google Calendar: {_short(exc)}")


# What a call to Google may raise that means "Google did not do it" rather than a bug of ours.
# KeyError/ValueError/TypeError cover malformed answers (bad JSON, an event without start).
_EXPECTED = (
    HttpError,
    google.auth.exceptions.GoogleAuthError,
    httplib2.HttpLib2Error,
    http.client.HTTPException,
    OSError,
    KeyError,
    ValueError,
    TypeError,
)


class GoogleCalendarMirror:
    """Copies Convonet calendar events into one Google calendar."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        calendar_id: str = "primary",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.calendar_id = calendar_id
        self.timeout = timeout
        self._credentials = credentials
        self._refresh_lock = threading.Lock()
        options = {"api_endpoint": api_endpoint(base_url)} if base_url else None
        self.endpoint = options["api_endpoint"] if options else "https://www.googleapis.com/calendar/v3/"
        # Static discovery: the calendar v3 document ships with the library, nothing is fetched.
        # The service's own default http is never used: every call passes a fresh one.
        self._service: Any = build(
            "calendar",
            "v3",
            credentials=credentials,
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT
    ) -> GoogleCalendarMirror | None:
        """The mirror the settings describe, or None when no credentials file is configured.

        A configured file that cannot be used (missing, not JSON, not an authorized-user file)
        gives a mirror whose every call raises CalendarUnavailable saying so: the setting asks for
        mirroring, so callers should hear why it fails rather than silently run without it. Use
        `load_credentials` directly to fail fast instead.
        """
        path = settings.google_calendar_credentials_file
        if path is None or not str(path).strip():
            return None
        try:
            credentials = load_credentials(Path(path))
        except CalendarUnavailable as exc:
            log.warning("%s; Google Calendar calls will fail until it is fixed", exc.message)
            return _UnusableMirror(exc, calendar_id=settings.google_calendar_id, timeout=timeout)
        return cls(
            credentials,
            calendar_id=settings.google_calendar_id,
            base_url=settings.google_calendar_base_url,
            timeout=timeout,
        )

    # --- public API ----------------------------------------------------------------------------

    async def upsert(self, event: CalendarEvent) -> str:
        """Insert the event, or update it when it has a google_event_id; returns the Google id.

        An event deleted on Google's side (404/410 on update) is inserted again.
        """
        # Read the event here, on the loop: the worker thread must not touch the ORM object.
        body, google_id, client_id = event_body(event), event.google_event_id, client_event_id(event)
        return await self._run("upsert", lambda http: self._upsert_sync(http, body, google_id, client_id))

    async def delete(self, google_event_id: str) -> None:
        """Delete the event from Google; one that is already gone (404/410) counts as deleted."""
        await self._run("delete", lambda http: self._delete_sync(http, google_event_id))

    async def list_events(self, start: datetime, end: datetime, *, owner: uuid.UUID | None = None) -> list[GoogleEvent]:
        """Events overlapping [start, end), in start order (recurring events expanded); with `owner`,
        only the events Convonet wrote for that user (asked of Google, and checked again here)."""
        if _aware(end) <= _aware(start):
            return []
        found = await self._run("list", lambda http: self._list_sync(http, start, end, owner))
        return found if owner is None else [e for e in found if e.owner == str(owner)]

    async def test(self) -> dict[str, object]:
        """Check the credentials and the calendar: {"connected": True, "calendar": its summary}."""
        return await self._run("test", self._test_sync)

    # --- blocking helpers, run in a worker thread -------------------------------------------------

    def _http(self) -> google_auth_httplib2.AuthorizedHttp:
        """A fresh authorized http for one call (httplib2.Http must not be shared between threads)."""
        raw = httplib2.Http(timeout=self.timeout)
        with self._refresh_lock:
            if not self._credentials.valid:
                self._credentials.refresh(google_auth_httplib2.Request(raw))
        return google_auth_httplib2.AuthorizedHttp(self._credentials, http=raw)

    def _events(self) -> Any:
        return self._service.events()

    def _insert(self, http: Any, body: dict[str, Any]) -> str:
        created = self._events().insert(calendarId=self.calendar_id, body=body).execute(http=http)
        return str(created["id"])

    def _update(self, http: Any, google_id: str, body: dict[str, Any]) -> str:
        updated = (
            self._events()
            .update(calendarId=self.calendar_id, eventId=google_id, body=body)
            .execute(http=http)
        )
        return str(updated.get("id") or google_id)

    def _upsert_sync(
        self, http: Any, body: dict[str, Any], google_id: str | None, client_id: str | None
    ) -> str:
        if google_id:
            try:
                return self._update(http, google_id, body)
            except HttpError as exc:
                if exc.resp.status not in GONE:
                    raise
                log.info("Google event %s is gone (%s); inserting it again", google_id, exc.resp.status)
        if client_id and client_id != google_id:
            try:
                return self._insert(http, {**body, "id": client_id})
            except HttpError as exc:
                if exc.resp.status != 409:
                    raise
            # Already there (an earlier insert whose answer we never saw): update it instead.
            try:
                return self._update(http, client_id, body)
            except HttpError as exc:
                if exc.resp.status not in GONE:
                    raise
        # Deleted on Google's side, and its id stays reserved there: let Google pick a new one.
        return self._insert(http, body)

    def _delete_sync(self, http: Any, google_id: str) -> None:
        try:
            self._events().delete(calendarId=self.calendar_id, eventId=google_id).execute(http=http)
        except HttpError as exc:
            if exc.resp.status not in GONE:
                raise
            log.info("Google event %s was already deleted (%s)", google_id, exc.resp.status)

    def _list_sync(self, http: Any, start: datetime, end: datetime, owner: uuid.UUID | None) -> list[GoogleEvent]:
        events: list[GoogleEvent] = []
        page_token: str | None = None
        only_owner = {"privateExtendedProperty": f"{OWNER_PROPERTY}={owner}"} if owner is not None else {}
        for _ in range(MAX_PAGES):
            answer = (
                self._events()
                .list(
                    calendarId=self.calendar_id,
                    timeMin=rfc3339(start),
                    timeMax=rfc3339(end),
                    singleEvents=True,
                    orderBy="startTime",
                    maxResults=PAGE_SIZE,
                    pageToken=page_token,
                    **only_owner,
                )
                .execute(http=http)
            )
            events.extend(
                parse_event(item) for item in answer.get("items", []) if item.get("status") != "cancelled"
            )
            page_token = answer.get("nextPageToken")
            if not page_token:
                break
        else:
            log.warning("Google Calendar listing stopped after %d pages", MAX_PAGES)
        return events

    def _test_sync(self, http: Any) -> dict[str, object]:
        try:
            calendar = self._service.calendars().get(calendarId=self.calendar_id).execute(http=http)
        except HttpError as exc:
            if exc.resp.status != 403:
                raise
            # Granted only the calendar.events scope: reading the calendar's own metadata is
            # forbidden, but the events - all the mirror needs - may still be reachable.
            self._events().list(calendarId=self.calendar_id, maxResults=1).execute(http=http)
            return {"connected": True, "calendar": self.calendar_id}
        return {"connected": True, "calendar": str(calendar.get("summary") or self.calendar_id)}

    async def _run(self, what: str, call: Callable[[Any], T]) -> T:
        def work() -> T:
            return call(self._http())

        try:
            return await asyncio.wait_for(asyncio.to_thread(work), self.timeout)
        except TimeoutError as exc:
            # Either the socket timed out in the thread or the whole call overran its budget.
            log.warning("Google Calendar %s timed out after %g s", what, self.timeout)
            raise CalendarUnavailable(f"Google Calendar did not answer within {self.timeout:g} s") from exc
        except _EXPECTED as exc:
            error = _unavailable(exc, self.timeout)
            unexpected = isinstance(exc, KeyError | ValueError | TypeError) and not isinstance(
                exc, google.auth.exceptions.GoogleAuthError
            )
            log.warning("Google Calendar %s failed: %s", what, error.message, exc_info=unexpected)
            raise error from exc


class _UnusableMirror(GoogleCalendarMirror):
    """Configured, but the credentials cannot be used: every call raises the reason, nothing is sent."""

    def __init__(self, error: CalendarUnavailable, *, calendar_id: str, timeout: float) -> None:
        # No service is built: build() without credentials would go looking for ambient ones.
        self.calendar_id = calendar_id
        self.timeout = timeout
        self.endpoint = ""
        self._error = error

    async def _run(self, what: str, call: Callable[[Any], T]) -> T:
        raise CalendarUnavailable(self._error.message)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value


def load_credentials(path: Path) -> Credentials:
    """OAuth authorized-user credentials from a JSON file; scopes are whatever the file says.

    google-auth's `from_authorized_user_info` ignores the file's `token_uri` (it always uses
    Google's), so a `token_uri` in the file is applied with `with_token_uri` - the file already
    holds the refresh token and client secret, so trusting its token endpoint grants nothing new.
    """
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        credentials: Credentials = Credentials.from_authorized_user_info(info)
    except (OSError, ValueError) as exc:  # missing file, bad JSON, missing fields
        raise CalendarUnavailable(
            f"Cannot read the Google Calendar credentials file {path}: {_short(exc)}"
        ) from exc
    token_uri = info.get("token_uri")
    if isinstance(token_uri, str) and token_uri and token_uri != credentials.token_uri:
        expiry = credentials.expiry
        credentials = credentials.with_token_uri(token_uri)
        credentials.expiry = expiry  # with_token_uri's copy drops it
        log.info("Google Calendar tokens are refreshed at %s", token_uri)
    return credentials
