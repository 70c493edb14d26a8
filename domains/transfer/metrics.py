"""Call-center metrics from the outcome history: per agent and for the whole floor.

* calls handled — rings the agent answered;
* average handle time — from answer to the end of the agent's part of the call;
* answer rate — answered ÷ rings offered to the agent (a ring is offered to every Ready agent
  of the department while it rings);
* wait time — how long callers waited before someone answered (or gave up);
* calls placed — outbound calls the agent dialled (kept out of the figures above, which are about
  callers waiting for the floor).
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import fmean
from typing import Any

FINAL = frozenset({"answered", "no-answer", "caller-hung-up", "busy", "failed", "canceled"})


def _mean(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return round(fmean(found), 1) if found else None


def _inbound(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [h for h in history if h.get("direction", "inbound") != "outbound"]


def _placed(history: list[dict[str, Any]], agent_id: str | None = None) -> int:
    return sum(1 for h in history if h.get("direction") == "outbound" and h.get("outcome") in FINAL
               and (agent_id is None or h.get("agent_id") == agent_id))


def agent_metrics(history: list[dict[str, Any]], agent_id: str) -> dict[str, Any]:
    placed = _placed(history, agent_id)
    history = _inbound(history)
    handled = [h for h in history if h.get("outcome") == "answered" and h.get("agent_id") == agent_id]
    offered = [h for h in history if h.get("outcome") in FINAL and agent_id in (h.get("offered_to") or [])]
    rejected = [h for h in history if h.get("outcome") == "rejected" and h.get("agent_id") == agent_id]
    return {
        "agent_id": agent_id,
        "calls_handled": len(handled),
        "calls_offered": len(offered),
        "rejected": len(rejected),
        "answer_rate": round(len(handled) / len(offered), 3) if offered else None,
        "average_handle_s": _mean(h.get("handle_s") for h in handled),
        "average_wait_s": _mean(h.get("wait_s") for h in handled),
        "calls_placed": placed,
    }


def floor_metrics(history: list[dict[str, Any]]) -> dict[str, Any]:
    final = [h for h in _inbound(history) if h.get("outcome") in FINAL]
    answered = [h for h in final if h.get("outcome") == "answered"]
    counts: dict[str, int] = {}
    for h in final:
        counts[str(h["outcome"])] = counts.get(str(h["outcome"]), 0) + 1
    return {
        "calls": len(final),
        "outcomes": counts,
        "answer_rate": round(len(answered) / len(final), 3) if final else None,
        "average_wait_s": _mean(h.get("wait_s") for h in final),
        "average_handle_s": _mean(h.get("handle_s") for h in answered),
        "calls_placed": _placed(history),
    }


def per_agent(history: list[dict[str, Any]], agents: dict[str, str]) -> list[dict[str, Any]]:
    """Metrics for each agent named in `agents` (id → name) or appearing in the history."""
    names = dict(agents)
    for h in history:
        if h.get("agent_id") and h["agent_id"] not in names:
            names[str(h["agent_id"])] = str(h.get("agent_name") or h["agent_id"])
    rows = [{"name": name, **agent_metrics(history, agent_id)} for agent_id, name in names.items()]
    return sorted(rows, key=lambda r: (-r["calls_handled"], r["name"].lower()))
