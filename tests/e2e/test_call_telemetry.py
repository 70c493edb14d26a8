"""What operators see of one phone call: its numbers on /metrics, its trace at an OpenTelemetry
collector, its transaction and scope at Sentry; each through the real client library to a collector
on loopback (tests/fakes/telemetry_servers.py), none of them holding the caller's number."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Backend
from tests.fakes.phone_server import open_phone_server
from tests.fakes.telemetry_servers import otlp_collector, sentry_ingest
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = pytest.mark.slow


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_a_call_is_counted_traced_and_reported(backend: Backend, tmp_path: Path) -> None:
    async with otlp_collector() as collector, sentry_ingest() as sentry:
        try:
            async with open_phone_server(backend, tmp_path, data_dir=tmp_path / "data",
                                         otel_exporter_otlp_endpoint=collector.url, sentry_dsn=sentry.dsn,
                                         sentry_traces_sample_rate=1.0) as phone:
                user_id = str((await register_caller(phone.runtime)).id)
                call = await phone.twilio.place_call(CALLER_PHONE)
                await call.wait_for_bot(time.monotonic(), within=15)
                await call.wait_quiet()
                await call.press(CALLER_PIN + "#")
                await call.wait_for_bot(time.monotonic() - 1.0)
                await call.wait_quiet()
                async with httpx.AsyncClient() as http:
                    during = _samples((await http.get(f"{phone.url}/metrics")).text)
                    await call.say("create a todo to buy milk")
                    assert call.speech_ended_at is not None
                    await call.wait_for_bot(call.speech_ended_at, within=15)
                    await call.wait_quiet()
                    await call.hang_up()
                    for _ in range(100):
                        after = _samples((await http.get(f"{phone.url}/metrics")).text)
                        if after[("convonet_active_calls", (("channel", "phone"), ("line", "default")))] == 0:
                            break
                        await asyncio.sleep(0.1)
                await asyncio.to_thread(phone.runtime.tracing.flush)
                await asyncio.to_thread(sentry_sdk.flush, 5)
        finally:
            sentry_sdk.get_client().close()
            sentry_sdk.get_global_scope().set_client(None)

    phone_default = (("channel", "phone"), ("line", "default"))
    assert during[("convonet_active_calls", phone_default)] == 1
    assert after[("convonet_active_calls", phone_default)] == 0
    assert after[("convonet_calls_total", phone_default)] == 1
    assert after[("convonet_turns_total", (("channel", "phone"), ("outcome", "answered")))] >= 1
    assert after[("convonet_turn_eos_to_first_audio_seconds_count", (("channel", "phone"),))] >= 1
    assert after[("convonet_turn_stage_seconds_count", (("stage", "stt"),))] >= 1
    assert after[("convonet_tool_calls_total", (("outcome", "ok"), ("tool", "create_todo")))] == 1
    assert after[("convonet_event_loop_lag_seconds_count", ())] > 0

    by_name: dict[str, list] = {}  # type: ignore[type-arg]
    for span in collector.spans:
        by_name.setdefault(span.name, []).append(span)
    (call_span,) = by_name["call"]
    attributes = {a.key: a.value.string_value or a.value.int_value for a in call_span.attributes}
    assert attributes["call.channel"] == "phone" and attributes["enduser.id"] == user_id
    turn = next(s for s in by_name["turn"] if s.trace_id == call_span.trace_id)
    assert turn.parent_span_id == call_span.span_id and turn.end_time_unix_nano > turn.start_time_unix_nano
    for stage in ("stt", "agent", "tts_first_audio"):
        span = next(s for s in by_name[stage] if s.trace_id == call_span.trace_id)
        assert span.parent_span_id == turn.span_id
        assert turn.start_time_unix_nano <= span.start_time_unix_nano <= turn.end_time_unix_nano + 10**9
    agent = next(s for s in by_name["agent"] if s.trace_id == call_span.trace_id)
    assert [e.name for e in agent.events] == ["tool_call"]
    assert collector.resources[0]["service.name"] == "convonet"

    sent = "\n".join(sentry.envelopes)
    items = [json.loads(line) for envelope in sentry.envelopes for line in envelope.splitlines()[1:]
             if line.startswith("{")]
    transactions = [i for i in items if i.get("type") == "transaction" and "contexts" in i
                    and i["contexts"]["trace"].get("op") == "call"]  # (requests are transactions of their own)
    assert len(transactions) == 1 and transactions[0]["transaction"] == "phone call"
    assert transactions[0]["user"] == {"id": user_id} and transactions[0]["tags"]["channel"] == "phone"
    assert transactions[0]["contexts"]["trace"]["status"] == "ok"
    assert CALLER_PHONE not in sent and CALLER_PHONE not in str(collector.spans)
