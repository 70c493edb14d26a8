"""What the assistant says about itself: the greeting, what a line offers, the help and the fallback,
and the one question that checks a fairly likely reading before acting on it."""

from __future__ import annotations

from collections.abc import Collection

from bots.llm.speech import join_list
from core.grammar.registry import grammars, tool_words
from core.grammar.templates import DomainGrammar


def offer(tool: str) -> str:
    """The one question that checks a fairly likely reading before acting on it."""
    words = tool_words(tool)
    what = words.offer if words and words.offer else tool.replace("_", " ")
    return f"Do you want me to {what}?"


def greeting() -> str:
    return "Hello! How can I help you today?"


def _served(serves: Collection[str] | None) -> list[DomainGrammar]:
    """The grammars of the domains the line offers (a person to talk to is offered on every line)."""
    return [g for g in grammars() if serves is None or g.domain in serves or g.domain == "transfer"]


def capabilities_sentence(serves: Collection[str] | None = None) -> str:
    served = _served(serves)
    things = [c for g in served for c in g.capabilities]
    sentence = f"I can help with {join_list(things, oxford=False)}." if things else ""
    if any(g.domain == "transfer" for g in served):
        sentence += " I can also connect you to a person."
    return sentence.strip()


def _examples(serves: Collection[str] | None) -> list[str]:
    return [g.examples[0] for g in _served(serves) if g.examples][:3]


def help_text(serves: Collection[str] | None) -> str:
    examples = _examples(serves)
    tail = f" For example, you can say: {join_list(examples, 'or')}." if examples else ""
    return capabilities_sentence(serves) + tail


def fallback(serves: Collection[str] | None) -> str:
    examples = _examples(serves)
    tail = f" For example, say: {examples[0]}." if examples else ""
    return f"Sorry, I didn't get that. {capabilities_sentence(serves)}{tail}"
