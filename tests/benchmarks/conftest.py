"""Benchmarks print numbers and their conditions; they never fail on wall-clock time.

`make bench` sets CONVONET_BENCH=full for full-size runs; `make test` runs each one tiny, to prove
the harness still works.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

FULL = os.environ.get("CONVONET_BENCH") == "full"
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
# Knobs that make a run a profiling experiment rather than the benchmark: capacity levels chosen by hand, a
# hook run in the bench's server process.
AD_HOC_KNOBS = ("CONVONET_CAPACITY_N", "CONVONET_BENCH_SERVER_HOOK")


def results_dir(environ: Mapping[str, str]) -> Path:
    """Where full runs write their JSON and charts: bench/results (tracked: capacity.png; the JSON files stay
    on the machine), or for a profiling run (`AD_HOC_KNOBS`) bench/results/adhoc, untracked, so that only
    the benchmark as `make bench` runs it replaces the results."""
    return RESULTS / "adhoc" if any(environ.get(knob) for knob in AD_HOC_KNOBS) else RESULTS


OUT = results_dir(os.environ)


def size(full: int, smoke: int) -> int:
    return full if FULL else smoke


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3) if values else float("nan"),
        "mean": round(statistics.fmean(values), 3) if values else float("nan"),
    }


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = {}
    for name in ("pipecat-ai", "langgraph", "mcp", "fastapi", "sqlalchemy", "pocketsphinx", "hibari-tts"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": packages,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "full": FULL,
    }


def report(name: str, table: list[tuple[str, dict[str, Any]]], extra: dict[str, Any] | None = None) -> None:
    """Print a table and, on full runs, write <name>.json with the machine's facts in `OUT`."""
    print(f"\n== {name} ({'full' if FULL else 'smoke'} run; {os.cpu_count()} cores) ==")
    print(f"{'measure':44} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for label, stats in table:
        print(f"{label:44} {stats['n']:>5} {stats['p50']:>9.2f} {stats['p95']:>9.2f} {stats['max']:>9.2f}")
    if FULL:
        OUT.mkdir(parents=True, exist_ok=True)
        payload = {"machine": machine(), "results": dict(table), **(extra or {})}
        (OUT / f"{name}.json").write_text(json.dumps(payload, indent=2))
        print(f"written: {OUT / f'{name}.json'}")


@pytest.fixture(scope="session")
def bench_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One DATA_DIR for the session's benchmarks: the speech language model is built once, on disk."""
    return tmp_path_factory.mktemp("bench-data")
