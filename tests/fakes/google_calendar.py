"""A fake Google Calendar v3 + OAuth token endpoint, on 127.0.0.1, for tests that must not reach Google.

Implements just what `domains.productivity.google_calendar` uses, at the paths googleapiclient
produces when `api_endpoint` is `<url>/calendar/v3/`:

    POST   /token                                             OAuth refresh_token grant
    POST   /calendar/v3/calendars/{cal}/events                insert (client-chosen id allowed)
    GET    /calendar/v3/calendars/{cal}/events                list (timeMin/timeMax, maxResults, pageToken,
                                                              privateExtendedProperty)
    GET    /calendar/v3/calendars/{cal}/events/{id}           get
    PUT    /calendar/v3/calendars/{cal}/events/{id}           update (replace)
    PATCH  /calendar/v3/calendars/{cal}/events/{id}           patch (merge)
    DELETE /calendar/v3/calendars/{cal}/events/{id}           delete (kept as a cancelled tombstone)
    GET    /calendar/v3/calendars/{cal}                       calendar metadata (summary)
    GET    /calendar/v3/users/me/calendarList/{cal}           calendar list entry (summary)

Every request is recorded (`requests`). API requests need `Authorization: Bearer <issued token>`
(else 401, as Google does). `fail()` and `stall()` inject faults.

    with FakeGoogleCalendar() as fake:
        fake.url        # http://127.0.0.1:<port>   (the GOOGLE_CALENDAR_BASE_URL)
        fake.token_uri  # http://127.0.0.1:<port>/token
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.google_calendar_wire import API, Fault, RecordedRequest, _error, _parse_dt, _when

CLIENT_ID_RE = re.compile(r"[a-v0-9]{5,1024}")
EVENTS_RE = re.compile(r"/calendar/v3/calendars/(?P<cal>[^/]+)/events(?:/(?P<event>[^/]+))?")
CALENDAR_RE = re.compile(r"/calendar/v3/calendars/(?P<cal>[^/]+)")
CALENDAR_LIST_RE = re.compile(r"/calendar/v3/users/me/calendarList/(?P<cal>[^/]+)")


@dataclass
class FakeGoogleCalendar:
    client_id: str = "fake-client-id.apps.googleusercontent.com"
    client_secret: str = "fake-client-secret"
    refresh_token: str = "fake-refresh-token"
    calendars: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"primary": {"summary": "convonet@example.com", "timeZone": "UTC"}}
    )

    def __post_init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.issued_tokens: list[str] = []
        self.valid_tokens: set[str] = set()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeGoogleCalendar:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._released.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-google-calendar", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # let stalled handlers finish
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGoogleCalendar:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def authorized_user_info(self, **overrides: object) -> dict[str, object]:
        """The content of an authorized-user JSON file whose token_uri is this fake."""
        info: dict[str, object] = {
            "type": "authorized_user",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "token_uri": self.token_uri,
        }
        info.update(overrides)
        return info

    # --- test controls -------------------------------------------------------------------------

    def fail(
        self,
        status: int = 500,
        *,
        times: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer matching requests with `status` (path None = any /calendar/v3 request)."""
        with self._lock:
            self._faults.append(Fault(status, 0.0, method, path, times))

    def stall(
        self, seconds: float, *, times: int | None = None, method: str | None = None, path: str | None = None
    ) -> None:
        """Hold matching requests for `seconds` (released early by stop()) before answering."""
        with self._lock:
            self._faults.append(Fault(None, seconds, method, path, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def revoke_tokens(self) -> None:
        """Make every issued access token invalid (the next API call gets 401)."""
        with self._lock:
            self.valid_tokens.clear()

    def add_event(self, calendar_id: str = "primary", **event: Any) -> dict[str, Any]:
        """Seed an event as if created in Google directly; `start`/`end` take datetimes or dates."""
        for key in ("start", "end"):
            value = event.get(key)
            if isinstance(value, datetime):
                event[key] = {"dateTime": value.astimezone(UTC).isoformat().replace("+00:00", "Z")}
            elif isinstance(value, date):
                event[key] = {"date": value.isoformat()}
        event.setdefault("id", uuid.uuid4().hex)
        event.setdefault("status", "confirmed")
        with self._lock:
            self.events[(calendar_id, event["id"])] = event
        return event

    def api_requests(self, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.path.startswith(API + "/") and (method is None or r.method == method)
        ]

    def token_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/token"]

    # --- request handling (server threads) --------------------------------------------------------

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> tuple[int, Any]:
        split = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(split.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        body: Any = None
        if raw_body:
            if path == "/token":
                body = dict(urllib.parse.parse_qsl(raw_body.decode()))
            else:
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    body = raw_body.decode(errors="replace")
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, body, headers))

        fault = self._fault_for(method, path)
        if fault is not None:
            if fault.stall:
                self._released.wait(fault.stall)
            if fault.status is not None:
                return fault.status, _error(fault.status, "Injected failure")

        if path == "/token":
            return self._token(method, body)
        if not path.startswith(API + "/"):
            return 404, _error(404, "Not Found")
        auth = headers.get("authorization", "")
        with self._lock:
            authorized = auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.valid_tokens
        if not authorized:
            return 401, _error(401, "Request had invalid authentication credentials.", "authError")
        with self._lock:
            return self._api(method, path, query, body)

    def _token(self, method: str, form: Any) -> tuple[int, Any]:
        if method != "POST" or not isinstance(form, dict):
            return 400, {"error": "invalid_request"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        if form.get("refresh_token") != self.refresh_token:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        token = f"fake-access-token-{next(self._counter)}"
        with self._lock:
            self.issued_tokens.append(token)
            self.valid_tokens.add(token)
        return 200, {
            "access_token": token,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/calendar",
        }

    def _api(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if match := EVENTS_RE.fullmatch(path):
            cal, event_id = match["cal"], match["event"]
            if cal not in self.calendars:
                return 404, _error(404, "Not Found")
            if event_id is None:
                if method == "POST":
                    return self._insert(cal, body)
                if method == "GET":
                    return self._list(cal, query)
                return 405, _error(405, "Method Not Allowed")
            return self._one(method, cal, event_id, body)
        if method == "GET" and (match := CALENDAR_LIST_RE.fullmatch(path) or CALENDAR_RE.fullmatch(path)):
            cal = match["cal"]
            if cal not in self.calendars:
                return 404, _error(404, "Not Found")
            kind = "calendar#calendarListEntry" if "calendarList" in path else "calendar#calendar"
            return 200, {"kind": kind, "id": cal, **self.calendars[cal]}
        return 404, _error(404, "Not Found")

    def _check_times(self, body: Any) -> tuple[int, Any] | None:
        if not isinstance(body, dict):
            return 400, _error(400, "Invalid JSON body", "parseError")
        try:
            start, end = _when(body["start"]), _when(body["end"])
        except (KeyError, TypeError, ValueError):
            return 400, _error(400, "Missing or invalid start/end.", "required")
        if end < start:
            return 400, _error(400, "The specified time range is empty.", "timeRangeEmpty")
        return None

    def _stored(self, cal: str, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event = {**body, "kind": "calendar#event", "id": event_id, "status": body.get("status", "confirmed")}
        event.setdefault("created", now)
        event["updated"] = now
        event["etag"] = f'"{next(self._counter)}"'
        self.events[(cal, event_id)] = event
        return event

    def _insert(self, cal: str, body: Any) -> tuple[int, Any]:
        if problem := self._check_times(body):
            return problem
        event_id = body.get("id") or uuid.uuid4().hex
        if not CLIENT_ID_RE.fullmatch(event_id):
            return 400, _error(400, "Invalid resource id value.", "invalid")
        if (cal, event_id) in self.events:  # tombstones keep their id reserved, as on Google
            return 409, _error(409, "The requested identifier already exists.", "duplicate")
        return 200, self._stored(cal, event_id, body)

    def _one(self, method: str, cal: str, event_id: str, body: Any) -> tuple[int, Any]:
        existing = self.events.get((cal, event_id))
        if existing is None:
            return 404, _error(404, "Not Found", "notFound")
        if existing.get("status") == "cancelled":
            return 410, _error(410, "Resource has been deleted", "deleted")
        if method == "GET":
            return 200, existing
        if method == "DELETE":
            existing["status"] = "cancelled"
            return 204, None
        if method in ("PUT", "PATCH"):
            merged = {**existing, **body} if method == "PATCH" and isinstance(body, dict) else body
            if problem := self._check_times(merged):
                return problem
            merged = {k: v for k, v in merged.items() if k not in ("id", "etag", "updated")}
            if method == "PUT":
                merged["created"] = existing.get("created")
            return 200, self._stored(cal, event_id, merged)
        return 405, _error(405, "Method Not Allowed")

    def _list(self, cal: str, query: dict[str, str]) -> tuple[int, Any]:
        try:
            time_min = _parse_dt(query["timeMin"]) if "timeMin" in query else None
            time_max = _parse_dt(query["timeMax"]) if "timeMax" in query else None
            size = int(query.get("maxResults", "250"))
            offset = int(query.get("pageToken") or 0)
        except ValueError:
            return 400, _error(400, "Bad Request", "invalid")
        if time_min and time_max and time_max < time_min:
            return 400, _error(400, "Bad Request", "timeRangeEmpty")
        show_deleted = query.get("showDeleted") == "true"
        private_name, _, private_value = query.get("privateExtendedProperty", "").partition("=")
        chosen = []
        for (event_cal, _), event in self.events.items():
            if event_cal != cal or (event.get("status") == "cancelled" and not show_deleted):
                continue
            private = (event.get("extendedProperties") or {}).get("private") or {}
            if private_name and private.get(private_name) != private_value:
                continue
            start, end = _when(event["start"]), _when(event["end"])
            # Google: timeMin bounds the event's end, timeMax its start (both exclusive).
            if time_min and end <= time_min:
                continue
            if time_max and start >= time_max:
                continue
            chosen.append((start, event))
        chosen.sort(key=lambda pair: pair[0])
        page = [event for _, event in chosen[offset : offset + size]]
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": self.calendars[cal]["summary"],
            "items": page,
        }
        if offset + size < len(chosen):
            answer["nextPageToken"] = str(offset + size)
        return 200, answer


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGoogleCalendar
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.fake.handle(self.command, self.path, headers, raw)
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a stall test)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass
