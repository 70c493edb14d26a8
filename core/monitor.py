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
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from core.store import Store
from core.tools import ToolEvent

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


async def publish(store: Store, record: dict[str, Any]) -> None:
    """Send a record to live viewers and keep it in the recent window."""
    message = json.dumps(record, default=str)
    await store.publish(MONITOR_CHANNEL, message)
    await store.push(MONITOR_RECENT, message, cap=MONITOR_RECENT_CAP)


def result_preview(result: Any) -> tuple[Any, bool]:
    """A tool result as the monitor keeps it: itself, or its JSON cut to `RESULT_PREVIEW_CHARS`."""
    text = json.dumps(result, default=str)
    if len(text) > RESULT_PREVIEW_CHARS:
        return text[:RESULT_PREVIEW_CHARS], True
    return result, False


def tool_call_summary(call: dict[str, Any]) -> dict[str, Any]:
    """One tool call of an agent turn (`TurnResult.tool_calls`) as a turn record lists it."""
    result, truncated = result_preview(call.get("result"))
    return {"name": call.get("name"), "arguments": call.get("arguments"), "ok": call.get("ok"),
            "error": call.get("error"), "elapsed_ms": call.get("elapsed_ms"), "result": result,
            "result_truncated": truncated}


def tool_record(event: ToolEvent, channel: str) -> dict[str, Any]:
    """A finished tool call as a monitor record (`type` "tool")."""
    result, truncated = result_preview(event.result)
    return {
        "type": "tool",
        "id": uuid.uuid4().hex,
        "at": event.started_at.isoformat(),
        "channel": channel,
        "user_id": event.user_id,
        "call_sid": event.call_sid,
        "domain": event.domain,
        "name": event.name,
        "arguments": event.arguments,
        "ok": event.ok,
        "result": result,
        "result_truncated": truncated,
        "error": event.error,
        "elapsed_ms": round(event.elapsed_ms, 2),
    }


def tool_listener(store: Store, channel: str) -> Callable[[ToolEvent], Awaitable[None]]:
    """A `ToolContext` listener that publishes every finished tool call."""

    async def listen(event: ToolEvent) -> None:
        await publish(store, tool_record(event, channel))

    return listen


def parse(message: str) -> dict[str, Any] | None:
    """A record from the bus, or None for anything that is not a JSON object."""
    try:
        record = json.loads(message)
    except ValueError:
        log.warning("skipping a monitor message that is not JSON")
        return None
    return record if isinstance(record, dict) else None


def key(record: dict[str, Any]) -> str:
    """A stable identity for a record: call and turn number for turns, the id for tool calls."""
    if record.get("type") == "turn" and record.get("call_sid") and record.get("turn") is not None:
        return f"{record['call_sid']}:{record['turn']}"
    if record.get("id"):
        return str(record["id"])
    return f"{record.get('type')}:{record.get('call_sid')}:{record.get('at')}"


async def recent(store: Store, limit: int = MONITOR_RECENT_CAP) -> list[dict[str, Any]]:
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


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _tool_calls(record: dict[str, Any]) -> list[dict[str, Any]]:
    if record.get("type") == "tool":
        return [record]
    calls = record.get("tool_calls") if record.get("type") == "turn" else None
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def errored(record: dict[str, Any]) -> bool:
    """A failed turn, a turn with a failed tool call, or a failed tool call on its own."""
    if record.get("type") == "turn" and record.get("failed"):
        return True
    return any(call.get("ok") is False for call in _tool_calls(record))


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/p95 per stage, counts and the error rate over `records` (turns and tool calls count).

    The error rate is the share of turns and stand-alone tool calls that `errored`.
    """
    turns = [r for r in records if r.get("type") == "turn"]
    tools = [r for r in records if r.get("type") == "tool"]
    samples: dict[str, list[float]] = {stage: [] for stage in (*STAGES, TOOL_STAGE)}
    for turn in turns:
        for stage in STAGES:
            value = _number(turn.get(stage))
            if value is not None:
                samples[stage].append(value)
    calls = [call for record in records for call in _tool_calls(record)]
    samples[TOOL_STAGE] = [v for v in (_number(c.get("elapsed_ms")) for c in calls) if v is not None]
    measured = turns + tools
    failures = sum(1 for r in measured if errored(r))
    stamps = sorted(str(r["at"]) for r in records if r.get("at"))
    return {
        "window": {"records": len(records), "since": stamps[0] if stamps else None,
                   "until": stamps[-1] if stamps else None},
        "counts": {
            "turns": len(turns),
            "calls": len({t.get("call_sid") for t in turns if t.get("call_sid")}),
            "tool_calls": len(calls),
            "tool_errors": sum(1 for c in calls if c.get("ok") is False),
            "failed_turns": sum(1 for t in turns if t.get("failed")),
            "transfers": sum(1 for r in records if r.get("type") == "transfer"),
        },
        "error_rate": round(failures / len(measured), 4) if measured else 0.0,
        "stages": {
            stage: {"p50": percentile(values, 50), "p95": percentile(values, 95), "count": len(values),
                    "max": max(values) if values else None}
            for stage, values in samples.items()
        },
    }
