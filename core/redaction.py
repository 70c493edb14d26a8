"""Health details withheld from whoever may see a conversation but not read them.

The domains marked sensitive (`domains.Domain.sensitive`: the clinic's intake) carry health data. A
call that touched one is sensitive as a whole (which words of its transcript were about health cannot
be told apart), and so is every record of it: turns, tool calls, a transfer's reason. Staff with the
clinical role (`User.is_clinical`) read them, and so do callers reading their own calls; everyone
else sees `WITHHELD` in place of what was said and what the tools were given and gave back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlmodel import col, select

from core.db import SessionFactory
from core.models import CallRecording
from core.monitor import (
    MONITOR_RECENT,
    MONITOR_RECENT_CAP,
    MonitorRecord,
    ToolCallSummary,
    ToolRecord,
    TransferRecord,
    TurnRecord,
    parse,
)
from core.store import Store

WITHHELD = "[health details withheld]"


def sensitive_calls(records: Iterable[MonitorRecord], domains: frozenset[str]) -> set[str]:
    """The calls (by CallSid) that any of `records` shows touching a sensitive domain."""
    return {r.call_sid for r in records if r.call_sid and getattr(r, "domain", None) in domains}


def is_sensitive(record: MonitorRecord, domains: frozenset[str], calls: set[str]) -> bool:
    return getattr(record, "domain", None) in domains or (record.call_sid is not None and record.call_sid in calls)


def _call(summary: ToolCallSummary) -> ToolCallSummary:
    return summary.model_copy(update={"arguments": {}, "result": WITHHELD if summary.result is not None else None,
                                      "error": WITHHELD if summary.error else None, "result_truncated": False})


def redacted(record: MonitorRecord) -> MonitorRecord:
    """The record with what was said and what tools were given and gave back withheld; timings, names of
    tools and outcomes stay."""
    if isinstance(record, TurnRecord):
        return record.model_copy(update={
            "text_in": WITHHELD if record.text_in else record.text_in,
            "text_out": WITHHELD if record.text_out else record.text_out,
            "tool_calls": [_call(c) for c in record.tool_calls],
        })
    if isinstance(record, ToolRecord):
        return record.model_copy(update={"arguments": {}, "result": WITHHELD, "result_truncated": False,
                                         "error": WITHHELD if record.error else None})
    if isinstance(record, TransferRecord):
        request = record.request
        return record.model_copy(update={"request": replace(request, reason=WITHHELD if request.reason else "")})
    return record


def call_is_sensitive(timings: Iterable[Any], domains: frozenset[str]) -> bool:
    """Whether a saved call's turn timings (`CallRecording.timings`) show a sensitive domain."""
    return any(isinstance(t, dict) and t.get("domain") in domains for t in timings)


def redacted_transcript(lines: Iterable[Any]) -> list[Any]:
    """Transcript lines ({role, text, …}) with their words withheld."""
    return [{**line, "text": WITHHELD} if isinstance(line, dict) and line.get("text") else line for line in lines]


def redacted_timings(timings: Iterable[Any]) -> list[Any]:
    """Saved turn records (dicts) with their words and tool data withheld."""
    out = []
    for timing in timings:
        if isinstance(timing, dict) and timing.get("type", "turn") == "turn":
            try:
                timing = redacted(TurnRecord.model_validate(timing)).model_dump(mode="json")
            except ValueError:
                timing = {k: v for k, v in timing.items() if k not in ("text_in", "text_out", "tool_calls")}
        out.append(timing)
    return out


async def health_calls(sessions: SessionFactory, store: Store, call_sids: Iterable[str | None],
                       domains: frozenset[str]) -> set[str]:
    """Which of `call_sids` touched a sensitive domain: by the monitor's recent window (a call in
    progress) or by the saved turns of the finished call."""
    wanted = {sid for sid in call_sids if sid}
    if not wanted or not domains:
        return set()
    # Only the window's records of these calls are parsed: it holds hundreds, and a call-center page asks
    # this on every change it hears about.
    window = await store.range(MONITOR_RECENT, 0, MONITOR_RECENT_CAP - 1)
    mine = [record for message in window if any(sid in message for sid in wanted) and (record := parse(message))]
    found = sensitive_calls(mine, domains) & wanted
    async with sessions() as session:
        rows = await session.exec(
            select(CallRecording.call_sid, CallRecording.timings).where(col(CallRecording.call_sid).in_(wanted - found))
        )
        found |= {sid for sid, timings in rows.all() if call_is_sensitive(timings, domains)}
    return found


def withheld(text: str | None) -> str | None:
    """A piece of a sensitive call's words as someone without the clinical role reads it."""
    return WITHHELD if text else text


def withheld_view(view: dict[str, Any]) -> dict[str, Any]:
    """A call's view (a transfer's popup or ringing banner, a callback request, a history entry) with
    its words withheld (reason, summary, transcript, voice-message text: those it has); who is calling
    and where the call is stay."""
    out = dict(view)
    for key in ("reason", "message_text"):
        if key in out:
            out[key] = withheld(out[key])
    if "summary" in out:
        out["summary"] = WITHHELD
    if "transcript" in out:
        out["transcript"] = redacted_transcript(out["transcript"] or [])
    return out


async def sensitive_views(sessions: SessionFactory, store: Store, views: list[dict[str, Any]],
                          domains: frozenset[str]) -> list[bool]:
    """For each of calls' views (with its `call_sid` and `department`), whether its words are health
    details: the call was for a sensitive department, or touched a sensitive domain (`health_calls`)."""
    if not views or not domains:
        return [False] * len(views)
    touched = await health_calls(sessions, store, (v.get("call_sid") for v in views), domains)
    return [v.get("department") in domains or (v.get("call_sid") or None) in touched for v in views]


async def readable(sessions: SessionFactory, store: Store, views: list[dict[str, Any]], *, clinical: bool,
                   domains: frozenset[str]) -> list[dict[str, Any]]:
    """Calls' views as a reader may see them: a sensitive one (`sensitive_views`) shows who is calling
    but not what was said, unless the reader is clinical."""
    if clinical:
        return views
    hidden = await sensitive_views(sessions, store, views, domains)
    return [withheld_view(v) if secret else v for v, secret in zip(views, hidden, strict=True)]


async def popup(sessions: SessionFactory, store: Store, view: dict[str, Any], *, clinical: bool,
                domains: frozenset[str]) -> dict[str, Any]:
    """A call-center popup (`TransferCall.view()`) as the agent may read it (`readable`)."""
    [shown] = await readable(sessions, store, [view], clinical=clinical, domains=domains)
    return shown
