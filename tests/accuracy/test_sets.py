"""The hand-written sets load, and a line the scorer could not judge is refused with its line number."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.accuracy.sets import SetError, load, load_set

GOOD = {"said": "add a todo to call the plumber", "domain": "productivity", "tool": "create_todo",
        "args": {"title": "call the plumber"}}


def _write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_a_good_set_loads_with_line_numbers(tmp_path: Path) -> None:
    none = {"said": "tell me a joke", "domain": "none", "tool": None, "args": {}}
    transfer = {"said": "get me a human about my bill", "domain": "mortgage", "tool": "transfer_to_agent",
                "args": {"reason": "my bill"}}
    got = load(_write(tmp_path, GOOD, "", none, transfer))
    assert [(u.line, u.tool, dict(u.args)) for u in got] == [
        (1, "create_todo", {"title": "call the plumber"}), (3, None, {}), (4, "transfer_to_agent", {"reason": "my bill"})]


@pytest.mark.parametrize(("bad", "says"), [
    ("{not json", "not JSON"),
    ({"said": "hi", "domain": "productivity", "tool": None}, "expected the keys"),
    ({**GOOD, "note": "extra"}, "expected the keys"),
    ({**GOOD, "said": " "}, "'said' must be a non-empty string"),
    ({**GOOD, "domain": "banking"}, "unknown domain 'banking'"),
    ({**GOOD, "tool": "create_task"}, "unknown tool 'create_task'"),
    ({**GOOD, "args": {"name": "call the plumber"}}, "create_todo has no argument name"),
    ({**GOOD, "domain": "restaurant"}, "create_todo belongs to productivity, not restaurant"),
    ({**GOOD, "tool": None}, "no tool, yet args"),
    ({**GOOD, "domain": "none"}, "domain 'none' with tool 'create_todo'"),
    ({**GOOD, "args": ["call the plumber"]}, "'args' must be an object"),
    ({**GOOD, "args": {"title": "x", "priority": "very high"}}, "create_todo's priority is one of high, low, medium, urgent"),
    ({"said": "the front desk please", "domain": "transfer", "tool": "transfer_to_agent",
      "args": {"department": "front desk"}}, "transfer_to_agent's department is one of billing, healthcare"),
])
def test_a_bad_line_is_refused_naming_the_file_and_line(tmp_path: Path, bad: object, says: str) -> None:
    path = _write(tmp_path, GOOD, bad)
    with pytest.raises(SetError, match=rf"set\.jsonl:line 2: .*{re.escape(says)}"):
        load(path)


@pytest.mark.parametrize("name", ["dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8", "dev9"])
def test_the_dev_sets_load(name: str) -> None:
    assert load_set(name)


def test_the_test_set_loads_and_is_large_enough() -> None:
    """The only check on the test set: it is run to report figures, never to tune or to assert them."""
    assert len(load_set("test")) >= 150
    assert len(load_set("test2")) >= 150
    assert len(load_set("test3")) >= 150
    assert len(load_set("test4")) >= 150
    assert len(load_set("test5")) >= 150
    assert len(load_set("test6")) >= 150
