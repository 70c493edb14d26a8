"""The Agent Monitor's event bus: one JSON record per turn, tool call, transfer or call event.

Records are published on `MONITOR_CHANNEL` (live viewers) and kept, newest first, in the capped
list `MONITOR_RECENT` (the recent window that statistics are computed over). Both live in the
store, so every process and replica sees every record. The voice pipeline publishes turn
records (see processors/timing.py for their fields); `tool_listener` publishes tool calls made
outside a call, such as from the tool-execution page.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_serializer

from core.logging import report_exception
from core.store import Store
from core.tools import ToolEvent, TransferRequest

log = logging.getLogger(__name__)

# The same names bots/session.py publishes under; tests/api/test_monitor.py keeps them in step.
MONITOR_CHANNEL = "monitor:events"
MONITOR_RECENT = "monitor:recent"
MONITOR_RECENT_CAP = 500

# Per-turn stage durations in a turn record, in milliseconds, in pipeline order.
STAGES: tuple[str, ...] = (
    "stt_ms",
    "turn_end_ms",
    "agent_ms",
    "llm_first_token_ms",
    "tts_first_audio_ms",
    "eos_to_first_audio_ms",
)
TOOL_STAGE = "tool_ms"
RESULT_PREVIEW_CHARS = 4000  # a tool result bigger than this is kept as a truncated preview


class _Record(BaseModel):
    """What every record says: who, on which channel and call, and when (kept as its ISO text)."""

    at: datetime | None = None
    call_sid: str | None = None
    channel: str | None = None
    user_id: str | None = None
    line: str | None = None
    """The number of the business line the call came in on (`core.models.Line`); None for the default."""

    @field_serializer("at")
    def _iso(self, at: datetime | None) -> str | None:
        return at.isoformat() if at is not None else None


class ToolCallSummary(BaseModel):
    """One tool call of an agent turn, as a turn record lists it."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    ok: bool
    error: str | None = None
    elapsed_ms: float | None = None
    result: Any = None
    result_truncated: bool = False


class TurnRecord(_Record):
    """One caller turn of a call: its words, each stage's duration and the tools it ran
    (processors/timing.py measures them)."""

    type: Literal["turn"] = "turn"
    turn: int
    domain: str | None = None
    text_in: str | None = None
    text_out: str | None = None
    stt_ms: float | None = None
    turn_end_ms: float | None = None
    agent_ms: float | None = None
    llm_first_token_ms: float | None = None
    tts_first_audio_ms: float | None = None
    eos_to_first_audio_ms: float | None = None
    tool_calls: list[ToolCallSummary] = Field(default_factory=list)
    agent_timings: dict[str, Any] = Field(default_factory=dict)
    filler: bool = False
    failed: bool = False
    completed: bool = False

    def stage(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


class ToolRecord(_Record):
    """A tool call on its own (outside a call's turn record)."""

    type: Literal["tool"] = "tool"
    id: str
    domain: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    ok: bool
    result: Any = None
    result_truncated: bool = False
    error: str | None = None
    elapsed_ms: float


class TransferRecord(_Record):
    """A call handed to a person: the request the agent's transfer tool made."""

    type: Literal["transfer"] = "transfer"
    request: TransferRequest


MonitorRecord = Annotated[TurnRecord | ToolRecord | TransferRecord, Field(discriminator="type")]
_RECORD: TypeAdapter[MonitorRecord] = TypeAdapter(MonitorRecord)


async def publish(store: Store, record: MonitorRecord) -> None:
    """Send a record to live viewers and keep it in the recent window."""
    message = record.model_dump_json()
    await store.publish(MONITOR_CHANNEL, message)
    await store.push(MONITOR_RECENT, message, cap=MONITOR_RECENT_CAP)


def result_preview(result: Any) -> tuple[Any, bool]:
    """A tool result as the monitor keeps it: itself, or its JSON cut to `RESULT_PREVIEW_CHARS`."""
    text = json.dumps(result, default=str)
    if len(text) > RESULT_PREVIEW_CHARS:
        return text[:RESULT_PREVIEW_CHARS], True
    return result, False


def tool_call_summary(event: ToolEvent) -> ToolCallSummary:
    """One tool call of an agent turn (`TurnResult.tool_calls`) as a turn record lists it."""
    result, truncated = result_preview(event.result)
    return ToolCallSummary(name=event.name, arguments=event.arguments, ok=event.ok, error=event.error,
                           elapsed_ms=round(event.elapsed_ms, 2), result=result, result_truncated=truncated)


def tool_record(event: ToolEvent, channel: str) -> ToolRecord:
    """A finished tool call as a monitor record (`type` "tool")."""
    result, truncated = result_preview(event.result)
    return ToolRecord(
        id=uuid.uuid4().hex,
        at=event.started_at,
        channel=channel,
        user_id=event.user_id,
        call_sid=event.call_sid,
        domain=event.domain,
        name=event.name,
        arguments=event.arguments,
        ok=event.ok,
        result=result,
        result_truncated=truncated,
        error=event.error,
        elapsed_ms=round(event.elapsed_ms, 2),
    )


def tool_listener(store: Store, channel: str) -> Callable[[ToolEvent], Awaitable[None]]:
    """A `ToolContext` listener that publishes every finished tool call."""

    async def listen(event: ToolEvent) -> None:
        await publish(store, tool_record(event, channel))

    return listen


def parse(message: str) -> MonitorRecord | None:
    """A record from the bus. One that is not JSON, or not a record of a known shape, is logged as an
    error (and reported) and skipped: never read by key and half-shown."""
    try:
        return _RECORD.validate_json(message)
    except ValidationError as exc:
        log.error("a monitor message is not a record: %s", exc.errors(include_url=False)[:3])
        report_exception(exc)
        return None


def as_json(record: MonitorRecord) -> dict[str, Any]:
    """A record as the API and the live feed send it, with its `key`."""
    return {**record.model_dump(mode="json"), "key": key(record)}


def key(record: MonitorRecord) -> str:
    """A stable identity for a record: call and turn number for turns, the id for tool calls."""
    if isinstance(record, TurnRecord) and record.call_sid:
        return f"{record.call_sid}:{record.turn}"
    if isinstance(record, ToolRecord):
        return record.id
    at = record.at.isoformat() if record.at else None
    return f"{record.type}:{record.call_sid}:{at}"


async def recent(store: Store, limit: int = MONITOR_RECENT_CAP) -> list[MonitorRecord]:
    """The newest `limit` records of the recent window, newest first."""
    found = [parse(message) for message in await store.range(MONITOR_RECENT, 0, limit - 1)]
    return [record for record in found if record is not None]


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0–100), interpolating between the two nearest ranks; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 1)


def _tool_calls(record: MonitorRecord) -> Sequence[ToolCallSummary | ToolRecord]:
    if isinstance(record, ToolRecord):
        return [record]
    return record.tool_calls if isinstance(record, TurnRecord) else []


def errored(record: MonitorRecord) -> bool:
    """A failed turn, a turn with a failed tool call, or a failed tool call on its own."""
    if isinstance(record, TurnRecord) and record.failed:
        return True
    return any(call.ok is False for call in _tool_calls(record))


def summarize(records: Sequence[MonitorRecord]) -> dict[str, Any]:
    """p50/p95 per stage, counts and the error rate over `records` (turns and tool calls count).

    The error rate is the share of turns and stand-alone tool calls that `errored`.
    """
    turns = [r for r in records if isinstance(r, TurnRecord)]
    tools = [r for r in records if isinstance(r, ToolRecord)]
    samples: dict[str, list[float]] = {stage: [] for stage in (*STAGES, TOOL_STAGE)}
    for turn in turns:
        for stage in STAGES:
            value = turn.stage(stage)
            if value is not None:
                samples[stage].append(value)
    calls = [call for record in records for call in _tool_calls(record)]
    samples[TOOL_STAGE] = [c.elapsed_ms for c in calls if c.elapsed_ms is not None]
    measured: list[MonitorRecord] = [*turns, *tools]
    failures = sum(1 for r in measured if errored(r))
    stamps = sorted(r.at.isoformat() for r in records if r.at)
    return {
        "window": {"records": len(records), "since": stamps[0] if stamps else None,
                   "until": stamps[-1] if stamps else None},
        "counts": {
            "turns": len(turns),
            "calls": len({t.call_sid for t in turns if t.call_sid}),
            "tool_calls": len(calls),
            "tool_errors": sum(1 for c in calls if c.ok is False),
            "failed_turns": sum(1 for t in turns if t.failed),
            "transfers": sum(1 for r in records if isinstance(r, TransferRecord)),
        },
        "error_rate": round(failures / len(measured), 4) if measured else 0.0,
        "stages": {
            stage: {"p50": percentile(values, 50), "p95": percentile(values, 95), "count": len(values),
                    "max": max(values) if values else None}
            for stage, values in samples.items()
        },
    }
