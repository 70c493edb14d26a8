"""The Agent Monitor: its page, statistics and interactions over the recent window, and a live feed.

Who sees what: every logged-in user sees the records and calls that are theirs; staff see
everyone's. Staff are users with the staff flag (`convonet grant-staff EMAIL`).

The live feed is server-sent events. `EventSource` cannot send an Authorization header, so
the page first asks `POST /agent-monitor/api/stream-token` (with its bearer token) for a
stream token: a JWT for the stream's audience only, valid for one minute and for a single
connection (its id is claimed in the store, so a token seen in a log or a URL cannot be
replayed, and on Redis no other replica accepts it twice). The stream checks the user again
when it opens and ends after `STREAM_MAX_SECONDS`; the page then reconnects with a new token.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

import anyio
import jwt
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse
from sqlalchemy import ColumnElement, String, cast, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import CurrentUser, RuntimeDep, SessionDep
from api.routes.monitor_models import InteractionsOut, StatsOut, StreamTokenOut
from api.sse import EventStream
from api.web import page as serve_page
from core import monitor, redaction
from core.models import CallRecording, Line, User
from core.runtime import Runtime
from core.security import ALGORITHM
from core.store import Store
from core.timeutil import utcnow
from domains import registry

router = APIRouter(tags=["monitor"])

STREAM_AUDIENCE = "convonet:monitor-stream"
STREAM_TOKEN_SECONDS = 60
STREAM_MAX_SECONDS = 600  # then the page reconnects with a new token, so access is re-checked
PING_SECONDS = 15.0
CHANNELS = ("phone", "browser", "api", "mcp", "text")
ACTIVE_CALL_HOURS = 6  # an in-progress row older than this is a call whose process died


@dataclass(frozen=True)
class Viewer:
    user: User
    staff: bool

    def may_see(self, user_id: object) -> bool:
        return self.staff or self.owns(user_id)

    def owns(self, user_id: object) -> bool:
        return user_id is not None and str(user_id) == str(self.user.id)

    def reads_health(self, user_id: object) -> bool:
        """Whether health details of `user_id`'s calls reach this viewer (`core.redaction`)."""
        return self.user.is_clinical or self.owns(user_id)


async def get_viewer(user: CurrentUser) -> Viewer:
    return Viewer(user, user.is_staff)


def _shown(viewer: Viewer, record: monitor.MonitorRecord, calls: set[str]) -> monitor.MonitorRecord:
    """The record as `viewer` may read it: health details withheld unless clinical or their own."""
    if viewer.reads_health(record.user_id) or not redaction.is_sensitive(record, registry.sensitive(), calls):
        return record
    return redaction.redacted(record)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


@dataclass(frozen=True)
class Filters:
    channel: str | None
    domain: str | None
    type: str | None
    user_ids: frozenset[str] | None  # None: anyone; empty: the user filter matched no one
    line: str | None = None

    def match(self, record: monitor.MonitorRecord) -> bool:
        if self.channel and record.channel != self.channel:
            return False
        if self.line and record.line != self.line:
            return False
        if self.type and record.type != self.type:
            return False
        if self.domain and getattr(record, "domain", None) != self.domain:  # a transfer names no domain
            return False
        return self.user_ids is None or str(record.user_id) in self.user_ids


async def get_filters(
    session: SessionDep,
    channel: Annotated[str | None, Query(max_length=16, description="phone, browser, api, …")] = None,
    domain: Annotated[str | None, Query(max_length=32)] = None,
    user: Annotated[str | None, Query(max_length=255, description="A user's id or email.")] = None,
    type: Annotated[Literal["turn", "tool", "transfer", "call"] | None, Query()] = None,
    line: Annotated[str | None, Query(max_length=32, description="A business line's number.")] = None,
) -> Filters:
    user_ids: frozenset[str] | None = None
    if user and user.strip():
        found = await _find_user(session, user.strip())
        user_ids = frozenset({str(found)} if found else ())
    return Filters(channel or None, domain or None, type, user_ids, (line or "").strip() or None)


FiltersDep = Annotated[Filters, Depends(get_filters)]


async def _find_user(session: AsyncSession, text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        query = select(User.id).where(func.lower(User.email) == text.lower())
        return (await session.exec(query)).first()


async def _emails(session: AsyncSession, ids: Iterable[object]) -> dict[str, str]:
    wanted: set[uuid.UUID] = set()
    for value in ids:
        try:
            wanted.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = await session.exec(select(User.id, User.email).where(col(User.id).in_(wanted)))
    return {str(user_id): email for user_id, email in rows.all()}


async def _visible_recent(store: Store, viewer: Viewer, filters: Filters, limit: int) -> list[monitor.MonitorRecord]:
    records = await monitor.recent(store, limit)
    calls = redaction.sensitive_calls(records, registry.sensitive())
    return [_shown(viewer, r, calls) for r in records if viewer.may_see(r.user_id) and filters.match(r)]


# --- pages ----------------------------------------------------------------------------------------


@router.get("/agent-monitor", include_in_schema=False)
async def agent_monitor_page() -> FileResponse:
    return serve_page("agent_monitor")


# --- statistics and interactions ------------------------------------------------------------------


@router.get("/agent-monitor/api/stats")
async def stats(
    runtime: RuntimeDep,
    session: SessionDep,
    viewer: ViewerDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=1, le=monitor.MONITOR_RECENT_CAP, description="Newest records to use.")] = 200,
) -> StatsOut:
    """p50/p95 per stage, counts and error rate over the newest `limit` records the viewer may see
    (and that match the filters) in the store's recent window."""
    records = (await _visible_recent(runtime.store, viewer, filters, monitor.MONITOR_RECENT_CAP))[:limit]
    summary = monitor.summarize(records)
    summary["window"]["limit"] = limit
    summary["active_calls"] = await _active_calls(session, viewer, filters, records)
    summary["scope"] = "all" if viewer.staff else "own"
    summary["filters"] = {"channels": list(CHANNELS), "domains": list(registry.names()),
                          "lines": await _lines(session) if viewer.staff else []}
    return StatsOut.model_validate(summary)


async def _lines(session: AsyncSession) -> list[dict[str, str]]:
    rows = (await session.exec(select(Line.number, Line.name).order_by(col(Line.name)))).all()
    return [{"number": number, "name": name} for number, name in rows]


async def _active_calls(
    session: AsyncSession, viewer: Viewer, filters: Filters, records: list[monitor.MonitorRecord]
) -> list[dict[str, Any]]:
    """Calls in progress. A call's row learns its caller only when it ends, so the viewer's own
    live calls are also recognised by the turns they published."""
    turns: dict[str, list[monitor.TurnRecord]] = {}
    for record in records:
        if isinstance(record, monitor.TurnRecord) and record.call_sid:
            turns.setdefault(record.call_sid, []).append(record)
    query = select(CallRecording).where(
        CallRecording.status == "in-progress",
        CallRecording.started_at >= utcnow() - timedelta(hours=ACTIVE_CALL_HOURS),
    )
    if filters.channel:
        query = query.where(CallRecording.channel == filters.channel)
    if filters.line:
        query = query.where(CallRecording.to_number == filters.line)
    rows = (await session.exec(query.order_by(col(CallRecording.started_at).desc()).limit(100))).all()
    found: list[dict[str, Any]] = []
    for row in rows:
        seen = turns.get(row.call_sid, [])
        user_id = str(row.user_id) if row.user_id else next((t.user_id for t in seen if t.user_id), None)
        if not viewer.may_see(user_id) or (filters.user_ids is not None and user_id not in filters.user_ids):
            continue
        found.append({
            "call_sid": row.call_sid,
            "channel": row.channel,
            "user_id": user_id,
            "started_at": row.started_at,
            "turns": len(seen),
            "last_at": max((t.at.isoformat() for t in seen if t.at), default=None),
        })
    emails = await _emails(session, (c["user_id"] for c in found))
    for call in found:
        call["user_email"] = emails.get(call["user_id"] or "")
    return found


@router.get("/agent-monitor/api/interactions")
async def interactions(
    runtime: RuntimeDep,
    session: SessionDep,
    viewer: ViewerDep,
    filters: FiltersDep,
    source: Annotated[Literal["recent", "calls"], Query(description="recent: the live window; calls: finished calls")] = "recent",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 25,
) -> InteractionsOut:
    """Recent records from the store's window, or finished calls from the database; newest first."""
    if source == "recent":
        records = await _visible_recent(runtime.store, viewer, filters, monitor.MONITOR_RECENT_CAP)
        total = len(records)
        items = [monitor.as_json(r) for r in records[(page - 1) * page_size : page * page_size]]
    else:
        total, items = await _finished_calls(session, viewer, filters, page, page_size)
    emails = await _emails(session, (item.get("user_id") for item in items))
    for item in items:
        item["user_email"] = emails.get(str(item.get("user_id")))
    return InteractionsOut(source=source, items=items, page=page, page_size=page_size, total=total,
                           pages=math.ceil(total / page_size))


async def _finished_calls(
    session: AsyncSession, viewer: Viewer, filters: Filters, page: int, page_size: int
) -> tuple[int, list[dict[str, Any]]]:
    conditions: list[ColumnElement[bool]] = [col(CallRecording.status) != "in-progress"]
    if not viewer.staff:
        conditions.append(col(CallRecording.user_id) == viewer.user.id)
    if filters.channel:
        conditions.append(col(CallRecording.channel) == filters.channel)
    if filters.line:
        conditions.append(col(CallRecording.to_number) == filters.line)
    if filters.user_ids is not None:
        conditions.append(col(CallRecording.user_id).in_([uuid.UUID(u) for u in filters.user_ids]))
    if filters.domain:
        # timings is JSON written by json.dumps on both backends, so its text carries this pair.
        text = cast(CallRecording.timings, String)
        conditions.append(text.contains(json.dumps({"domain": filters.domain})[1:-1], autoescape=True))
    total = (await session.exec(select(func.count()).select_from(CallRecording).where(*conditions))).one()
    query = (
        select(CallRecording)
        .where(*conditions)
        .order_by(col(CallRecording.started_at).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    rows = (await session.exec(query)).all()
    return int(total), [_call_view(row, viewer) for row in rows]


def _call_view(row: CallRecording, viewer: Viewer) -> dict[str, Any]:
    ended = row.ended_at
    transcript, timings = row.transcript, row.timings
    if not viewer.reads_health(row.user_id) and redaction.call_is_sensitive(timings, registry.sensitive()):
        transcript, timings = redaction.redacted_transcript(transcript), redaction.redacted_timings(timings)
    return {
        "type": "call",
        "key": f"call:{row.call_sid}",
        "id": str(row.id),
        "call_sid": row.call_sid,
        "channel": row.channel,
        "user_id": str(row.user_id) if row.user_id else None,
        "from_number": row.from_number,
        "status": row.status,
        "started_at": row.started_at,
        "ended_at": ended,
        "duration_s": round((ended - row.started_at).total_seconds(), 1) if ended else None,
        "turns": len(row.timings),
        "domains": sorted({str(t["domain"]) for t in row.timings if isinstance(t, dict) and t.get("domain")}),
        "transcript": transcript,
        "timings": timings,
        "has_recording": bool(row.audio_path),  # staff play it from /agent-monitor/api/calls/{id}/recording
    }


# --- the live feed -------------------------------------------------------------------------------


@router.post("/agent-monitor/api/stream-token")
async def stream_token(runtime: RuntimeDep, user: CurrentUser) -> StreamTokenOut:
    """A one-minute, single-use token for opening `/agent-monitor/api/stream?token=…`."""
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "aud": STREAM_AUDIENCE,
        "type": "monitor-stream",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=STREAM_TOKEN_SECONDS)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, runtime.settings.signing_key, algorithm=ALGORITHM)
    return StreamTokenOut(token=token, expires_in=STREAM_TOKEN_SECONDS)


STREAM_REFUSED = HTTPException(status.HTTP_401_UNAUTHORIZED, "Stream token missing, expired or already used")


async def _stream_viewer(runtime: Runtime, token: str) -> Viewer:
    try:
        claims = jwt.decode(
            token, runtime.settings.signing_key, algorithms=[ALGORITHM], audience=STREAM_AUDIENCE,
            options={"require": ["exp", "sub", "aud", "jti"]},
        )
        user_id = uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError):
        raise STREAM_REFUSED from None
    claimed = await runtime.store.set(
        f"monitor:stream-token:{claims['jti']}", "used", ttl=STREAM_TOKEN_SECONDS + 5, only_if_absent=True
    )
    if not claimed:
        raise STREAM_REFUSED
    async with runtime.sessions() as session:
        user = await session.get(User, user_id)
        if user is None or not user.is_active:
            raise STREAM_REFUSED
        return Viewer(user, user.is_staff)


@router.get("/agent-monitor/api/stream", response_class=EventStream, status_code=200, responses={200: {
    "model": monitor.TurnRecord | monitor.ToolRecord | monitor.TransferRecord,
    "description": "Server-sent events: `event: ready` (`scope`, `user_id`) once subscribed, then one `data:` line "
                   "per record the viewer may see (a TurnRecord, ToolRecord or TransferRecord, with `user_email`), "
                   "`: ping` comments between, and `event: bye` when the stream ends.",
}})
async def stream(
    request: Request, runtime: RuntimeDep, token: Annotated[str, Query(max_length=2000)]
) -> EventStream:
    """Server-sent events: `ready` once subscribed, then one `data:` line per visible record."""
    viewer = await _stream_viewer(runtime, token)
    return EventStream(_events(request, runtime, viewer))


async def _events(request: Request, runtime: Runtime, viewer: Viewer) -> AsyncIterator[str]:
    subscription = await runtime.store.subscribe(monitor.MONITOR_CHANNEL)
    emails = {str(viewer.user.id): viewer.user.email}
    health_calls: set[str] = set()  # calls this stream has seen touch a sensitive domain
    try:
        ready = {"scope": "all" if viewer.staff else "own", "user_id": str(viewer.user.id)}
        yield f"event: ready\ndata: {json.dumps(ready)}\n\n"
        clock = anyio.current_time
        closes_at = clock() + STREAM_MAX_SECONDS
        quiet_since = clock()
        while clock() < closes_at:
            message = await subscription.get(wait=1.0)
            if await request.is_disconnected():
                return
            record = monitor.parse(message) if message is not None else None
            if record is None or not viewer.may_see(record.user_id):
                if clock() - quiet_since >= PING_SECONDS:
                    quiet_since = clock()
                    yield ": ping\n\n"
                continue
            health_calls |= redaction.sensitive_calls([record], registry.sensitive())
            record = _shown(viewer, record, health_calls)
            user_id = str(record.user_id)
            if record.user_id and user_id not in emails:
                async with runtime.sessions() as session:
                    emails.update(await _emails(session, [user_id]))
            shown = monitor.as_json(record)
            shown["user_email"] = emails.get(user_id)
            quiet_since = clock()
            yield f"data: {json.dumps(shown, default=str)}\n\n"
        yield "event: bye\ndata: {}\n\n"
    finally:
        with anyio.CancelScope(shield=True):
            await subscription.close()
