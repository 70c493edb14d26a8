"""What an operator watches, in Prometheus's text format (`GET /metrics`, `api/routes/metrics.py`).

One `Metrics` per process (the runtime's), on a registry of its own: calls in progress per line and
channel, turns and their end of speech → first audio, each stage of a turn, tool calls and their
errors, LLM provider failovers, pipeline errors, the event loop's lag, and the process's CPU and
RSS (prometheus-client's process collector). Everything is fed from records the pipeline already
makes (the turn record, the call's start and end), so a call pays nothing per audio frame for it.
Labels hold names, never people: no caller number, user or text is ever a label.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
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
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_cpu_seconds_total, process_resident_memory_bytes, …
        r = self.registry
        self.active_calls = Gauge("convonet_active_calls", "Calls in progress in this process.",
                                  ["line", "channel"], registry=r)
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
    async def watching_loop(self, every: float = LAG_EVERY) -> AsyncIterator[None]:
        """Sample the running loop's lag in the background while the block runs (the app's lifespan)."""

        async def probe() -> None:
            loop = asyncio.get_running_loop()
            while True:
                t0 = loop.time()
                await asyncio.sleep(every)
                self.loop_lag.observe(max(0.0, loop.time() - t0 - every))

        task = asyncio.create_task(probe(), name="loop-lag")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
