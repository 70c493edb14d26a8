"""The interpreter's trained parts kept on disk: read back instead of trained again, rebuilt when broken."""

from __future__ import annotations

from pathlib import Path

from core.grammar.free_slots import free_text
from core.grammar.interpret import Interpreter
from core.grammar.registry import REFERENCE_NOW, installed
from core.grammar.trained import Stored

SENTENCES = (
    "could you pop oat milk onto my shopping list for friday",
    "we would like a booth for six on saturday at seven",
    "how is my home loan coming along",
)


def _interpreter(cache: Path | None) -> Interpreter:
    grammars = installed()
    domains = {t.tool: t.domain for t in grammars.templates}
    phrasings = [p for g in grammars.grammars for p in g.phrasings]
    return Interpreter(grammars.templates, domains, REFERENCE_NOW, phrasings=phrasings, cache_dir=cache)


def test_a_stored_interpreter_reads_like_a_freshly_trained_one(tmp_path: Path) -> None:
    fresh = _interpreter(None)
    first = _interpreter(tmp_path)
    assert len(list(tmp_path.glob("understanding-*.pickle"))) == 1
    again = _interpreter(tmp_path)
    for said in SENTENCES:
        expected = fresh.read(said, REFERENCE_NOW)
        assert expected is not None
        assert first.read(said, REFERENCE_NOW) == expected
        assert again.read(said, REFERENCE_NOW) == expected


def test_stored_values_are_read_back_and_broken_files_rebuilt(tmp_path: Path) -> None:
    built: list[int] = []

    def build() -> dict[str, int]:
        built.append(1)
        return {"n": len(built)}

    stored = Stored(tmp_path)
    assert stored.load_or_build("k", build) == {"n": 1}
    assert stored.load_or_build("k", build) == {"n": 1}  # read back, not built
    (tmp_path / "understanding-k.pickle").write_bytes(b"not a pickle")
    assert stored.load_or_build("k", build) == {"n": 2}
    assert stored.load_or_build("other", build) == {"n": 3}
    assert [p.name for p in tmp_path.glob("understanding-*.pickle")] == ["understanding-other.pickle"]


def test_unregistered_slot_types_are_not_stored(tmp_path: Path) -> None:
    own = free_text("crop", ["tomatoes"])
    stored = Stored(tmp_path)
    assert stored.load_or_build("crops", lambda: {"kind": own}) == {"kind": own}
    assert not list(tmp_path.glob("understanding-*.pickle"))
