"""What an operator watches, in Prometheus's text format (`GET /metrics`, `api/routes/metrics.py`).

One `Metrics` per process (the runtime's), on a registry of its own: calls in progress per line and
channel, turns and their end of speech → first audio, each stage of a turn, tool calls and their
errors, LLM provider failovers, pipeline errors, the event loop's lag, and the process's CPU and
RSS (prometheus-client's process collector). Everything is fed from records the pipeline already
makes (the turn record, the call's start and end), so a call pays nothing per audio frame for it.
Labels hold names, never people: no caller number, user or text is ever a label.

With `convonet serve --workers N` the workers share one directory (METRICS_DIR, `shared_between_workers`,
prometheus-client's multiprocess mode, as gunicorn deployments run it): every worker writes its figures
there and any of them answers `/metrics` with the machine's sum (calls in progress, turns, histograms),
so a scrape of the machine's port, whichever worker takes it, sees the whole machine; what cannot be
summed (each worker's CPU, RSS, load and loop lag) is one series per live worker, labelled `pid`.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
    values,
)

if TYPE_CHECKING:
    from core.monitor import TurnRecord

CONTENT_TYPE = CONTENT_TYPE_LATEST

STAGES = {  # TurnRecord field → stage label
    "stt_ms": "stt",
    "turn_end_ms": "turn_end",
    "agent_ms": "agent",
    "llm_first_token_ms": "llm_first_token",
    "tts_first_audio_ms": "tts_first_audio",
}
LATENCY_BUCKETS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
LAG_EVERY = 0.5  # seconds between event-loop lag samples


class Metrics:
    def __init__(self, shared_dir: Path | None = None) -> None:
        """`shared_dir`: the directory the machine's workers share (`shared_between_workers`), or None for a
        process alone."""
        self.registry = CollectorRegistry()  # what /metrics renders
        self.shared = shared_dir is not None
        r: CollectorRegistry | None = self.registry
        if shared_dir is None:
            ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, process_resident_memory_bytes, …
        else:  # the figures go to this worker's files; the collector sums every worker's
            multiprocess.MultiProcessCollector(self.registry, path=str(shared_dir))  # type: ignore[no-untyped-call]
            r = None
        self.active_calls = Gauge("convonet_active_calls", "Calls in progress in this process (with several "
                                  "workers: on this machine).", ["line", "channel"], registry=r,
                                  multiprocess_mode="livesum")
        self.calls = Counter("convonet_calls", "Calls started.", ["line", "channel"], registry=r)
        self.turns = Counter("convonet_turns", "Caller turns, by outcome (answered, failed, unanswered).",
                             ["channel", "outcome"], registry=r)
        self.eos_to_first_audio = Histogram(
            "convonet_turn_eos_to_first_audio_seconds", "From the caller's end of speech to the reply's first audio.",
            ["channel"], buckets=LATENCY_BUCKETS, registry=r)
        self.stage = Histogram("convonet_turn_stage_seconds", "Each stage of a turn (see the Agent Monitor).",
                               ["stage"], buckets=STAGE_BUCKETS, registry=r)
        self.tool_calls = Counter("convonet_tool_calls", "Tool calls made by the agent in calls.",
                                  ["tool", "outcome"], registry=r)
        self.failovers = Counter("convonet_provider_failovers",
                                 "Model calls answered by a provider other than the first choice.",
                                 ["kind", "from_provider", "to_provider"], registry=r)
        self.pipeline_errors = Counter("convonet_pipeline_errors", "Errors reported by a call's pipeline.",
                                       ["processor", "fatal"], registry=r)
        self.loop_lag = Histogram("convonet_event_loop_lag_seconds",
                                  f"How late a {LAG_EVERY} s timer fires on the event loop that carries the audio.",
                                  buckets=LAG_BUCKETS, registry=r)
        # One series per worker (labelled pid when workers share a machine): how admission sees it.
        self.worker_load = Gauge("convonet_worker_load_cores", "The worker's CPU moving average with its speech "
                                 "processes (LOAD_THRESHOLD compares it).", registry=r, multiprocess_mode="liveall")
        self.worker_lag = Gauge("convonet_worker_loop_lag_seconds", "The worker's moving average of its event "
                                "loop's lag (LOOP_LAG_THRESHOLD compares it).", registry=r,
                                multiprocess_mode="liveall")
        self.worker_accepting = Gauge("convonet_worker_accepting_calls", "1 while the worker takes new calls.",
                                      registry=r, multiprocess_mode="liveall")
        self.worker_cpu: Gauge | None = None
        self.worker_rss: Gauge | None = None
        if self.shared:  # the process collector would show only whichever worker answers the scrape
            self.worker_cpu = Gauge("convonet_worker_cpu_seconds", "CPU time the worker process has used.",
                                    registry=r, multiprocess_mode="liveall")
            self.worker_rss = Gauge("convonet_worker_resident_memory_bytes", "The worker process's RSS.",
                                    registry=r, multiprocess_mode="liveall")

    def worker(self, *, load: float, lag: float, accepting: bool) -> None:
        """This worker's state, once a second (api.cluster)."""
        self.worker_load.set(load)
        self.worker_lag.set(lag)
        self.worker_accepting.set(1 if accepting else 0)
        if self.worker_cpu is not None and self.worker_rss is not None:
            self.worker_cpu.set(time.process_time())
            self.worker_rss.set(_rss_bytes())

    def render(self) -> bytes:
        return generate_latest(self.registry)

    @contextlib.contextmanager
    def call(self, line: str, channel: str) -> Iterator[None]:
        """Count a call in progress for as long as the block runs."""
        self.calls.labels(line, channel).inc()
        gauge = self.active_calls.labels(line, channel)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def turn(self, record: TurnRecord) -> None:
        """Count a turn record (processors/timing.py) and its stages, tools and failovers."""
        channel = record.channel or "unknown"
        outcome = "failed" if record.failed else "answered" if record.completed else "unanswered"
        self.turns.labels(channel, outcome).inc()
        if record.eos_to_first_audio_ms is not None:
            self.eos_to_first_audio.labels(channel).observe(record.eos_to_first_audio_ms / 1000)
        for field, stage in STAGES.items():
            value = getattr(record, field)
            if value is not None and value >= 0:
                self.stage.labels(stage).observe(value / 1000)
        for call in record.tool_calls:
            self.tool_calls.labels(call.name, "ok" if call.ok else "error").inc()
        for llm in record.agent_timings.get("llm") or []:
            if isinstance(llm, dict) and llm.get("failover_from"):
                self.failovers.labels("llm", str(llm["failover_from"]), str(llm.get("provider"))).inc()

    def pipeline_error(self, processor: str, fatal: bool) -> None:
        self.pipeline_errors.labels(processor, "true" if fatal else "false").inc()

    @contextlib.asynccontextmanager
    async def watching_loop(self, also: Callable[[float], None] | None = None,
                            every: float = LAG_EVERY) -> AsyncIterator[None]:
        """Sample the running loop's lag in the background while the block runs (the app's lifespan), and pass
        each sample on to `also(lag)` (the process's admission, `LiveCalls.observe_lag`)."""

        async def probe() -> None:
            loop = asyncio.get_running_loop()
            while True:
                t0 = loop.time()
                await asyncio.sleep(every)
                lag = max(0.0, loop.time() - t0 - every)
                self.loop_lag.observe(lag)
                if also is not None:
                    also(lag)

        task = asyncio.create_task(probe(), name="loop-lag")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _rss_bytes() -> int:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):  # not Linux: the peak, not the current size
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextlib.contextmanager
def shared_between_workers(directory: Path) -> Iterator[Path]:
    """Before `convonet serve` forks its workers: switch prometheus-client to its multiprocess mode on
    `directory` (METRICS_DIR, emptied first), so every worker's `Metrics(shared_dir=directory)` writes there
    and any worker's `/metrics` sums them all. The library picks its value class when it is imported, which
    the parent already did: it is switched here, as the library's own multiprocess tests do. Each value
    file goes where the library's own PROMETHEUS_MULTIPROC_DIR says: `core.config.export_library_environment`
    sets it from the same setting, first."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.db"):  # a previous run's workers are not this one's
        old.unlink()
    before = values.ValueClass
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    try:
        yield directory
    finally:
        values.ValueClass = before


def worker_ended(pid: int, directory: Path) -> None:
    """A worker has exited: its calls in progress and its per-worker series leave the sums."""
    multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
