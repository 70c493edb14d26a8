"""A call, as operators' tools see it: an OpenTelemetry trace and a Sentry transaction.

With `OTEL_EXPORTER_OTLP_ENDPOINT` set, each call is one trace (OTLP over HTTP, exported in batches
from the SDK's own thread, never on the event loop): a `call` span, and under it a `turn` span per
turn from the caller's end of speech to the reply's first audio, with a child span per stage (speech
recognition, end of turn, agent, first LLM token, first TTS audio, playout) and the turn's tool calls
as events. The stages are the timing observer's own stamps (`processors/timing.py`), so the trace
and the Agent Monitor agree. Pipecat's tracing (`enable_tracing`) is not used: it adds three
observers to every call, each a queue hop for every frame (`bots/call_worker.py`).

With Sentry on (`SENTRY_DSN`), each call runs in its own Sentry scope: tagged with the call, its
channel and line, with the user's id once a turn names it, and one transaction (`op=call`) from
start to end; an error inside the call carries all of that. Only ids are sent, never a number or a
name (`core.logging.scrub_event`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sentry_sdk
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, Status, StatusCode

if TYPE_CHECKING:
    from core.config import Settings
    from core.monitor import TurnRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TurnTimes:
    """A turn's moments, wall-clock nanoseconds (None: it did not happen)."""

    end_of_speech: int | None
    transcript: int | None
    handed_over: int
    first_text: int | None
    first_tts_audio: int | None
    first_audio_out: int | None
    emitted: int


_STAGES = (  # span name, from, to
    ("stt", "end_of_speech", "transcript"),
    ("turn_end", "transcript", "handed_over"),
    ("llm_first_token", "handed_over", "first_text"),
    ("tts_first_audio", "first_text", "first_tts_audio"),
    ("playout", "first_tts_audio", "first_audio_out"),
)


class CallTrace:
    """One call's trace and Sentry scope; `turn` adds a turn to both."""

    def __init__(self, tracer: trace.Tracer | None, span: Span | None, scope: sentry_sdk.Scope | None = None) -> None:
        self._tracer = tracer
        self._span = span
        self._scope = scope  # the call's own: Sentry's asyncio integration gives each task a copy of it
        self._user: str | None = None
        self.failed = False

    def turn(self, record: TurnRecord, times: TurnTimes) -> None:
        if record.user_id and record.user_id != self._user:
            self._user = record.user_id
            if self._scope is not None:
                self._scope.set_user({"id": record.user_id})
            if self._span is not None:
                self._span.set_attribute("enduser.id", record.user_id)
        if self._tracer is None or self._span is None:
            return
        start = times.end_of_speech or times.handed_over
        end = times.first_audio_out or times.emitted
        parent = trace.set_span_in_context(self._span)
        attributes: dict[str, Any] = {"turn.number": record.turn, "turn.completed": record.completed,
                                      "turn.failed": record.failed, "turn.filler": record.filler}
        if record.domain:
            attributes["turn.domain"] = record.domain
        for name in ("eos_to_first_audio_ms", "stt_ms", "agent_ms", "llm_first_token_ms", "tts_first_audio_ms"):
            if (value := getattr(record, name)) is not None:
                attributes[f"turn.{name}"] = value
        span = self._tracer.start_span("turn", context=parent, start_time=start, attributes=attributes)
        inside = trace.set_span_in_context(span)
        for name, begin, finish in _STAGES:
            t0, t1 = getattr(times, begin), getattr(times, finish)
            if t0 is not None and t1 is not None and t1 >= t0:
                self._tracer.start_span(name, context=inside, start_time=t0).end(end_time=t1)
        if record.agent_ms is not None:
            agent = self._tracer.start_span("agent", context=inside, start_time=times.handed_over)
            for call in record.tool_calls:
                agent.add_event("tool_call", {"tool.name": call.name, "tool.ok": call.ok,
                                              "tool.elapsed_ms": call.elapsed_ms or 0.0})
            agent.end(end_time=times.handed_over + int(record.agent_ms * 1e6))
        if record.failed:
            span.set_status(Status(StatusCode.ERROR, "the turn failed"))
        span.end(end_time=max(end, start))


class Tracing:
    """The process's tracer (None without an OTLP endpoint); `call` opens a call's trace and scope."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("convonet") if provider is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracing:
        if not settings.otel_exporter_otlp_endpoint:
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name,
                                                            "deployment.environment": settings.environment}))
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=5)))
        log.info("tracing calls to %s", endpoint)
        return cls(provider)

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @contextlib.contextmanager
    def call(self, *, call_sid: str, channel: str, line: str) -> Iterator[CallTrace]:
        """Trace a call for as long as the block runs (its end is the call's end)."""
        attributes = {"call.sid": call_sid, "call.channel": channel, "call.line": line}
        with sentry_sdk.isolation_scope() as scope:
            scope.set_tag("call_sid", call_sid)
            scope.set_tag("channel", channel)
            scope.set_tag("line", line)
            scope.set_context("call", attributes)
            with sentry_sdk.start_transaction(op="call", name=f"{channel} call") as transaction:
                span = (self._tracer.start_span("call", attributes=attributes, start_time=time.time_ns())
                        if self._tracer is not None else None)
                call = CallTrace(self._tracer, span, scope)
                try:
                    yield call
                except BaseException:
                    call.failed = True
                    raise
                finally:
                    transaction.set_status("internal_error" if call.failed else "ok")
                    if span is not None:
                        if call.failed:
                            span.set_status(Status(StatusCode.ERROR, "the call failed"))
                        span.end()

    def flush(self, timeout_ms: int = 5000) -> None:
        """Send what is batched (blocking: call from a thread)."""
        if self._provider is not None:
            self._provider.force_flush(timeout_ms)

    def shutdown(self) -> None:
        """Send what is batched and stop the exporter's thread (blocking: call from a thread)."""
        if self._provider is not None:
            self._provider.shutdown()
            self._provider = None
            self._tracer = None
