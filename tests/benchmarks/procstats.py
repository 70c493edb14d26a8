"""CPU and memory of a process and its children, read from /proc (Linux): what the benchmarks report."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                kids += [int(c) for c in (task / "children").read_text().split()]
    return kids


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (e.g. the workers of `convonet serve --workers N`)."""
    return _children(pid)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def cpu_rss(pid: int) -> tuple[float, int]:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError):
        return 0.0, 0
    return (int(fields[11]) + int(fields[12])) / _TICK, rss  # utime + stime


def thread_cpu(pid: int, tid: int | None = None) -> float:
    """CPU seconds of one thread (by default the main thread: the server's event loop)."""
    try:
        fields = Path(f"/proc/{pid}/task/{tid or pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def process_usage(pid: int | None = None) -> tuple[float, int]:
    """CPU seconds used so far and RSS bytes now, of a process (this one) and its children (decoders)."""
    cpu, rss = 0.0, 0
    for member in _tree(pid or os.getpid()):
        c, r = cpu_rss(member)
        cpu, rss = cpu + c, rss + r
    return cpu, rss


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def tree_pss(pid: int) -> int:
    """Proportional set size of a process and its children, in bytes: pages shared between them (the
    models `convonet serve --workers N` loads before forking) counted once, where RSS counts them in each."""
    total = 0
    for member in _tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


def tree_memory(pid: int) -> list[dict[str, object]]:
    """Each process of `pid`'s tree, parent first: its name (`comm`, or the Python module it runs), and its RSS,
    PSS and private memory (pages no other process maps) in MB, from /proc/<pid>/smaps_rollup."""
    out: list[dict[str, object]] = []
    for member in _tree(pid):
        fields: dict[str, int] = {}
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()[1:]:
                key, value = line.split(":", 1)
                fields[key] = int(value.split()[0]) * 1024
        if not fields:
            continue
        name = ""
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{member}/cmdline").read_bytes().split(b"\0")
            module = argv.index(b"-m") + 1 if b"-m" in argv else 0
            name = argv[module].decode(errors="replace").rsplit("/", 1)[-1] if module else ""
        if not name:
            with contextlib.suppress(OSError):
                name = Path(f"/proc/{member}/comm").read_text().strip()
        private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        out.append({"pid": member, "name": name, "rss_mb": round(fields.get("Rss", 0) / 2**20, 1),
                    "pss_mb": round(fields.get("Pss", 0) / 2**20, 1), "private_mb": round(private / 2**20, 1)})
    return out
