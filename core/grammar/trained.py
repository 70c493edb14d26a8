"""What the interpreter learns from the grammar (the intent model, the argument shapes), kept on disk.

Training takes a second or two of CPU at every start; the result depends only on the templates, the
phrasings, the reference time and the code that trains it, so it is stored under a key made of all of
them and read back in a few tens of milliseconds. A missing, stale or unreadable file is rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from core.grammar.fuzzy import SYNONYMS
from core.grammar.slot_type import SlotType
from core.grammar.slots import SLOT_TYPES
from core.grammar.templates import Phrasing, Template

log = logging.getLogger(__name__)
_CODE = Path(__file__).parent
T = TypeVar("T")


@cache
def _code_digest() -> str:
    """The grammar package's own source and data: a change to how training works is a new key."""
    h = hashlib.sha256()
    for path in sorted(_CODE.glob("*.py")) + sorted(_CODE.glob("*.jsonl")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def key(templates: Iterable[Template], phrasings: Iterable[Phrasing], now: datetime,
        extra: Mapping[str, Any]) -> str:
    """A name for what is trained from these inputs."""
    h = hashlib.sha256(_code_digest().encode())
    for t in templates:
        h.update(repr((t.domain, t.tool, t.pattern, sorted(t.slots.items()), sorted(t.fixed.items(), key=repr))).encode())
    for p in phrasings:
        h.update(repr((p.tool, p.said)).encode())
    h.update(now.isoformat().encode())
    h.update(repr(sorted((k, repr(v)) for k, v in extra.items())).encode())
    for kind in SLOT_TYPES.values():  # domains' slot types: their definitions and the code that parses them
        h.update(repr((kind.name, kind.pattern, kind.word_class, sorted(kind.lexicon), kind.free_text,
                       [repr(v) for v in kind.examples(now)])).encode())
        h.update(_module_digest(kind.parse.__module__).encode())
    h.update(repr(sorted(SYNONYMS.items())).encode())
    return h.hexdigest()[:32]


@cache
def _module_digest(name: str) -> str:
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else name


class _Pickler(pickle.Pickler):
    """Slot types hold parsing functions: they are stored by name and found again in `SLOT_TYPES`."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, SlotType):
            if SLOT_TYPES.get(obj.name) is not obj:
                raise pickle.PicklingError(f"slot type {obj.name!r} is not a registered one")
            return _slot_type, (obj.name,)
        return NotImplemented


def _slot_type(name: str) -> SlotType:
    return SLOT_TYPES[name]


@dataclass(frozen=True)
class Stored:
    """Where trained parts are kept, if anywhere."""

    directory: Path | None

    def load_or_build(self, name: str, build: Callable[[], T]) -> T:
        """The value stored as `name`, or `build()` (then stored for next time)."""
        if self.directory is None:
            return build()
        path = self.directory / f"understanding-{name}.pickle"
        try:
            with path.open("rb") as f:
                value: T = pickle.load(f)
            return value
        except FileNotFoundError:
            pass
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, KeyError) as exc:
            log.warning("understanding cache %s unreadable (%s); rebuilding", path.name, type(exc).__name__)
        value = build()
        self._store(path, value)
        return value

    def _store(self, path: Path, value: Any) -> None:
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        except pickle.PicklingError as exc:  # a test's own slot types: nothing to keep
            log.debug("understanding not cached: %s", exc)
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob("understanding-*.pickle"):
                old.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".understanding-")
            with os.fdopen(fd, "wb") as f:
                f.write(buffer.getvalue())
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("understanding cache not written (%s)", exc)
