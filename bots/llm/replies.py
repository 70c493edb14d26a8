"""Tool results -> one short spoken reply, using the words each domain's grammar gives its tools."""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bots.llm.speech import join_list, speak_value, speakable
from core.grammar.numbers import say_number
from core.grammar.registry import tool_words
from core.grammar.templates import ToolWords

_MAX_LISTED = 5
_ERROR_KEYS = ("error", "detail")
_FLAG_KEYS = ("available", "ok", "success", "connected")
_FIELDS = string.Formatter()


@dataclass(frozen=True)
class ToolResult:
    """One tool's outcome as the model sees it: the call and the result text."""

    tool: str
    args: dict[str, Any]
    content: str
    is_error: bool = False


def reply_to_results(results: list[ToolResult], now: datetime) -> str:
    """One spoken reply covering every result of the turn."""
    return " ".join(r for r in (reply_to_result(result, now) for result in results) if r) or "Done."


def reply_to_result(result: ToolResult, now: datetime) -> str:
    """A spoken reply to one tool result; error sentences are relayed as they are."""
    data = _decode(result.content)
    if result.is_error:
        return _error_sentence(data, result.content, now)
    if isinstance(data, dict) and any(isinstance(data.get(k), str) for k in _ERROR_KEYS):
        return _error_sentence(data, result.content, now)
    if isinstance(data, str):
        return speakable(data, now)
    words = tool_words(result.tool)
    items = _as_list(data, words)
    if items is not None:
        return _list_reply(items, words, now)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return speakable(data["message"], now)
    fields = _fields(result.args, data)
    if words is not None:
        negative = isinstance(data, dict) and any(data.get(k) is False for k in _FLAG_KEYS)
        sentence = _first_fitting(words.negative if negative else words.done, fields, now)
        if sentence:
            return sentence
    return "Done."


def _fields(args: dict[str, Any], data: Any) -> dict[str, Any]:
    """The call's arguments overlaid with the result's fields, one level of nesting flattened
    (results look like {"created": {...}, "team": "design"})."""
    fields = dict(args)
    if isinstance(data, dict):
        fields.update(data)
        for value in data.values():
            if isinstance(value, dict):
                fields.update({k: v for k, v in value.items() if k not in data})
    return fields


def _decode(content: str) -> Any:
    text = content.strip()
    if text[:1] in ("{", "[", '"') or text in ("true", "false", "null"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return content
    return content


def _error_sentence(data: Any, content: str, now: datetime) -> str:
    if isinstance(data, dict):
        for key in (*_ERROR_KEYS, "message"):
            if isinstance(data.get(key), str):
                return speakable(data[key], now)
    text = re.sub(r"^(?:Error|error)(?::|\s*[-\u2014])\s*", "", content.strip())
    text = re.sub(r"\s*Please fix your mistakes\.?$", "", text)
    return speakable(text, now) or "Sorry, that didn't work."


def _as_list(data: Any, words: ToolWords | None) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and words is not None and words.items is not None:
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def _list_reply(items: list[Any], words: ToolWords | None, now: datetime) -> str:
    singular, plural = words.items if words and words.items else ("item", "items")
    intro = words.intro if words else "You have"
    if not items:
        return words.empty if words and words.empty else f"{intro} no {plural}."
    labels = [label_of(item, words, now) for item in items[:_MAX_LISTED]]
    count = len(items)
    noun = singular if count == 1 else plural
    head = f"{intro} {'one' if count == 1 else say_number(count)} {noun}"
    if count > _MAX_LISTED:
        return f"{head}. The first {say_number(_MAX_LISTED)} are: {join_list(labels)}."
    return f"{head}: {join_list(labels)}."


def label_of(item: Any, words: ToolWords | None, now: datetime) -> str:
    """One listed record in words, by the list tool's `label` formats ("buy milk", "Friday at 10 for a checkup")."""
    if not isinstance(item, dict):
        return speak_value("", item, now)
    formats = words.label if words else ("{title}", "{name}", "{message}", "{email}")
    return _first_fitting(formats, item, now, end="") or speak_value("", next(iter(item.values()), ""), now)


def _first_fitting(formats: tuple[str, ...], fields: dict[str, Any], now: datetime, end: str = ".") -> str:
    """The first format whose every `{field}` is present and non-empty, filled with spoken values."""
    for fmt in formats:
        names = [name for _, name, _, _ in _FIELDS.parse(fmt) if name]
        if all(fields.get(name) not in (None, "", []) for name in names):
            spoken = {name: speak_value(name, fields[name], now) for name in names}
            sentence = fmt.format(**spoken)
            return sentence if sentence.endswith((".", "?", "!")) or not end else sentence + end
    return ""
