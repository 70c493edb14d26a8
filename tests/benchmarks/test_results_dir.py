"""Where a full benchmark run writes: only the benchmark itself replaces bench/results."""

from __future__ import annotations

from tests.benchmarks.conftest import RESULTS, results_dir


def test_a_profiling_run_writes_apart_from_the_tracked_results() -> None:
    assert results_dir({}) == RESULTS
    assert results_dir({"CONVONET_BENCH": "full", "CONVONET_CAPACITY_N": ""}) == RESULTS
    assert results_dir({"CONVONET_BENCH": "full", "CONVONET_CAPACITY_N": "20,25"}) == RESULTS / "adhoc"
    assert results_dir({"CONVONET_BENCH": "full", "CONVONET_BENCH_SERVER_HOOK": "/tmp/hook.py"}) == RESULTS / "adhoc"
