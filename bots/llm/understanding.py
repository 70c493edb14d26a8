"""What the offline agent makes of one utterance, without a database: the route and the local model's move.

The same two steps the graph runs for a turn (route the utterance to a domain agent, then ask that
agent's local model for its next message), read back as a call, a question, a confirmation or words.
Accuracy harnesses and `convonet say --dry-run` use it to see what a caller's sentence would do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage

from bots.agent.router import route
from bots.llm.local import PENDING, LocalIntentChatModel
from domains.registry import all_tools

Kind = Literal["call", "look", "ask", "confirm", "offer", "reply"]


@dataclass(frozen=True)
class Understanding:
    """The agent's move: a tool call (or the look-up before one), a question or confirmation about one, or
    a spoken reply only."""

    kind: Kind
    domain: str
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    reply: str = ""


@cache
def _domain_tools(domain: str) -> tuple[str, ...]:
    return tuple(s.name for s in all_tools() if s.domain in (domain, "transfer"))


@cache
def _schemas() -> dict[str, frozenset[str]]:
    return {s.name: frozenset(s.input_schema().get("properties", {})) for s in all_tools()}


def understand(text: str, now: datetime, previous_domain: str | None = None) -> Understanding:
    """Route `text` and let the domain's local model decide, as the first turn of a conversation."""
    domain = route(text, previous_domain, now)
    model = LocalIntentChatModel(
        tool_names=_domain_tools(domain), tool_args=_schemas(), clock=lambda: now
    )
    return read_move(model.decide([HumanMessage(text)]), domain)


def read_move(message: AIMessage, domain: str) -> Understanding:
    """An AI message as a move: its tool call, or the tool its pending question or confirmation is about
    ("look": the records that tool's reference may name are listed first)."""
    pending = message.additional_kwargs.get(PENDING)
    if message.tool_calls and isinstance(pending, dict) and pending.get("kind") == "look":
        return Understanding("look", domain, pending.get("tool"), dict(pending.get("args") or {}), message.text)
    if message.tool_calls:
        call = message.tool_calls[0]
        return Understanding("call", domain, call["name"], dict(call["args"]), message.text)
    if isinstance(pending, dict):
        kind: Kind = {"confirm": "confirm", "intent": "offer"}.get(pending.get("kind", ""), "ask")  # type: ignore[assignment]
        return Understanding(kind, domain, pending.get("tool"), dict(pending.get("args") or {}), message.text)
    return Understanding("reply", domain, reply=message.text)
