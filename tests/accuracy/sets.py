"""The hand-written accuracy sets: what callers say and the tool call each sentence means.

One JSON object a line, ``{"said", "domain", "tool", "args"}``: ``tool`` null means no tool should run
(domain ``none`` when no domain serves the request),
``args`` holds exactly the arguments the caller stated, dates resolved against
`core.grammar.registry.REFERENCE_NOW` (Monday 2026-11-23 10:00). ``dev`` (and ``dev2``, ``dev3``) may be looked at
while improving the product; ``test`` is run only to report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from domains import registry
from domains.registry import all_tools
from domains.transfer.slots import DEPARTMENT

SETS_DIR = Path(__file__).parent / "handwritten"
FIELDS = frozenset({"said", "domain", "tool", "args"})
NO_DOMAIN = "none"  # the domain of a request no domain serves (weather, jokes); its tool is null


class SetError(ValueError):
    """A line of a set that cannot be scored; the message names the file and line."""


@dataclass(frozen=True)
class Utterance:
    """One line of a set: the sentence as written, its domain, and the call it means (tool None: no call)."""

    said: str
    domain: str
    tool: str | None
    args: Mapping[str, Any]
    line: int = 0


@cache
def _tool_args() -> dict[str, tuple[str, frozenset[str]]]:
    """Each tool's domain and argument names."""
    return {s.name: (s.domain, frozenset(s.input_schema().get("properties", {}))) for s in all_tools()}


@cache
def _allowed_values() -> dict[tuple[str, str], frozenset[str]]:
    """The values an argument may take, where its schema lists them (a priority, a role), and the
    departments a caller can ask for (the default `transfer_departments` and each business line's)."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for spec in all_tools():
        for name, prop in spec.input_schema().get("properties", {}).items():
            listed = prop.get("enum") or next((a["enum"] for a in prop.get("anyOf", []) if "enum" in a), None)
            if listed:
                out[spec.name, name] = frozenset(listed)
    out["transfer_to_agent", "department"] = frozenset(DEPARTMENT.values)
    return out


def parse_line(text: str, line: int) -> Utterance:
    """One line as an utterance, or `SetError` saying what is wrong with it (without the file name)."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError as e:
        raise SetError(f"line {line}: not JSON ({e.msg})") from e
    if not isinstance(row, dict) or set(row) != FIELDS:
        keys = sorted(row) if isinstance(row, dict) else type(row).__name__
        raise SetError(f"line {line}: expected the keys {sorted(FIELDS)}, got {keys}")
    said, domain, tool, args = row["said"], row["domain"], row["tool"], row["args"]
    if not isinstance(said, str) or not said.strip():
        raise SetError(f"line {line}: 'said' must be a non-empty string")
    if domain not in (*registry.names(), NO_DOMAIN):
        raise SetError(f"line {line}: unknown domain {domain!r} (one of {', '.join(registry.names())}, {NO_DOMAIN})")
    if not isinstance(args, dict):
        raise SetError(f"line {line}: 'args' must be an object")
    if domain == NO_DOMAIN and tool is not None:
        raise SetError(f"line {line}: domain {NO_DOMAIN!r} with tool {tool!r}")
    if tool is None:
        if args:
            raise SetError(f"line {line}: no tool, yet args {args}")
        return Utterance(said, domain, None, {}, line)
    known = _tool_args()
    if tool not in known:
        raise SetError(f"line {line}: unknown tool {tool!r}")
    tool_domain, names = known[tool]
    if tool_domain not in (domain, "transfer"):  # transfers are offered in every domain
        raise SetError(f"line {line}: {tool} belongs to {tool_domain}, not {domain}")
    if unknown := sorted(set(args) - names):
        raise SetError(f"line {line}: {tool} has no argument {', '.join(unknown)} (it takes {', '.join(sorted(names))})")
    for name, value in args.items():
        allowed = _allowed_values().get((tool, name))
        if allowed is not None and value not in allowed:
            raise SetError(f"line {line}: {tool}'s {name} is one of {', '.join(sorted(allowed))}, not {value!r}")
    return Utterance(said, domain, tool, args, line)


def load(path: Path) -> list[Utterance]:
    """Every line of a set file (blank lines skipped); the first bad line raises `SetError` naming it."""
    out = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            out.append(parse_line(text, number))
        except SetError as e:
            raise SetError(f"{path}:{e}") from None
    return out


def load_set(name: str) -> list[Utterance]:
    """The hand-written set called `name` (``dev``, ``dev2``, ``dev3`` or ``test``)."""
    return load(set_path(name))


def set_path(name: str) -> Path:
    """A set of `SETS_DIR` by name (``dev``, ``dev2``, ``dev3``, ``test``) or the path of a set file."""
    return Path(name) if name.endswith(".jsonl") else SETS_DIR / f"{name}.jsonl"
