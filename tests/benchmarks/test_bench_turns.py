"""Turn latency on the phone path, and the pipeline's own overhead.

A fake Twilio caller speaks hibari's voice as real-time μ-law to the real app on loopback (see
calls.py); the gap is from the end of the caller's last audible frame to the first audible bot
audio the caller receives. Goals: p50 ≤ 350 ms and p95 ≤ 500 ms on the offline stack; ≤ 10 ms of
overhead per turn (gap − VAD stop window − service time) with instant stand-in STT and TTS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.calls import (
    PHRASES,
    Caller,
    bench_server,
    frames_for,
    phone_of,
    register_callers,
    time_smart_turn,
    turn_records,
    use_stand_ins,
)
from tests.benchmarks.conftest import FULL, report, size, summary
from tests.benchmarks.procstats import load_average
from tests.conftest import Backend

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = pytest.mark.slow


def _stages(gap_ms: float, rec: dict[str, Any], stop_ms: float) -> dict[str, float] | None:
    """One turn's gap split into stages (ms), from the server's timing record."""
    need = ("stt_ms", "turn_end_ms", "llm_first_token_ms", "tts_first_audio_ms", "eos_to_first_audio_ms")
    if any(rec.get(k) is None for k in need):
        return None
    stt, turn_end, first_text = rec["stt_ms"], rec["turn_end_ms"], rec["llm_first_token_ms"]
    tts, eos_to_out = rec["tts_first_audio_ms"], rec["eos_to_first_audio_ms"]
    return {
        "VAD stop window (silence ending the turn)": stop_ms,
        "STT final after VAD stop": stt - stop_ms,
        "end of turn (smart-turn model, aggregator)": turn_end,
        "agent to first reply text": first_text - turn_end,
        "TTS first audio": tts,
        "TTS audio to output playing": eos_to_out - stt - first_text - tts,
        "transport + VAD lag (client gap - server)": gap_ms - eos_to_out,
        "(agent turn, whole, incl. tools)": rec.get("agent_ms") or 0.0,
    }


Pair = tuple[float, dict[str, Any] | None]
# A smoke run says only the commands with a one-sentence reply: a turn lasts as long as its reply plays.
SAID = PHRASES if FULL else PHRASES[1:]


async def _run(server: Any, n: int, *, script: list[str] | None = None) -> list[Pair]:
    """One caller, a warm-up turn on full runs, then `n` timed turns: each answered turn's gap (ms) and
    its timing record (None when the records do not line up one-to-one with the turns)."""
    await register_callers(server.runtime, 1)
    audio = frames_for(PHRASES)
    caller = await Caller.dial(server, phone_of(0))
    warm = 1 if FULL else 0
    for i in range(n + warm):
        text = SAID[i % len(SAID)]
        if script is not None:
            script.append(text)
        await caller.turn(text, audio[text])
    records: list[dict[str, Any] | None] = list(await turn_records(server.runtime, caller.call.call_sid))
    await caller.call.hang_up()
    if len(records) != len(caller.turns):  # an utterance split in two, or a turn lost: no breakdown
        print(f"{len(caller.turns)} turns but {len(records)} timing records: {[r and r.get('text_in') for r in records]}")
        records = [None] * len(caller.turns)
    pairs = [(t.gap * 1000, r) for t, r in zip(caller.turns, records, strict=True) if t.gap is not None][warm:]
    assert pairs, "no turn was answered"
    return pairs


def _breakdown(pairs: list[Pair], stop_ms: float) -> dict[str, list[float]]:
    stages: dict[str, list[float]] = {}
    for gap, rec in pairs:
        for name, value in ((_stages(gap, rec, stop_ms) if rec else None) or {}).items():
            stages.setdefault(name, []).append(value)
    return stages


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_bench_turn_latency(backend: Backend, tmp_path: Path, bench_data_dir: Path) -> None:
    n = size(30, 2)
    load_before = load_average()
    async with bench_server(backend, tmp_path, bench_data_dir) as server:
        stop_ms = server.runtime.settings.vad_stop_secs * 1000
        pairs = await _run(server, n)
    table = [("end of speech -> first bot audio (client)", summary([gap for gap, _ in pairs]))]
    stages = _breakdown(pairs, stop_ms)
    table += [(f"  {name}", summary(values)) for name, values in stages.items()]
    report("turns", table, {
        "goal": {"p50_ms": 350, "p95_ms": 500},
        "conditions": ("offline stack (PocketSphinx STT, local intent model, hibari TTS), one call on loopback, "
                       f"SQLite + in-process store, VAD stop_secs={stop_ms / 1000}, phrases={SAID}, "
                       "client and server in one process"),
        "load_average_before_after": [load_before, load_average()],
        "turn_records": [rec for _, rec in pairs],
    })


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_bench_pipeline_overhead(
    backend: Backend, tmp_path: Path, bench_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instant STT (the known transcript at VAD stop) and TTS (a tone); the local intent model is the
    LLM. Overhead = gap − VAD stop window − agent time (the only service with a real cost left)."""
    n = size(30, 2)
    script: list[str] = []
    use_stand_ins(monkeypatch, script)
    smart_turn_ms = time_smart_turn(monkeypatch)
    load_before = load_average()
    async with bench_server(backend, tmp_path, bench_data_dir) as server:
        stop_ms = server.runtime.settings.vad_stop_secs * 1000
        smart_turn_ms.clear()
        pairs = await _run(server, n, script=script)
    timed = [(gap, rec) for gap, rec in pairs if rec is not None]
    overhead = [gap - stop_ms - (rec.get("agent_ms") or 0.0) for gap, rec in timed]
    no_model = [o - (rec.get("turn_end_ms") or 0.0) for o, (_, rec) in zip(overhead, timed, strict=True)]
    table = [
        ("end of speech -> first bot audio (client)", summary([gap for gap, _ in pairs])),
        ("overhead = gap - VAD stop - agent", summary(overhead)),
        ("overhead without the end-of-turn stage", summary(no_model)),
        ("  (smart-turn inference, each run)", summary(smart_turn_ms)),
    ]
    table += [(f"  {name}", summary(values)) for name, values in _breakdown(pairs, stop_ms).items()]
    report("overhead", table, {
        "goal": {"overhead_p50_ms": 10},
        "conditions": ("stand-in STT (transcript at VAD stop) and TTS (0.6 s tone), local intent model, one call "
                       f"on loopback, SQLite + in-process store, VAD stop_secs={stop_ms / 1000}, "
                       "client and server in one process"),
        "load_average_before_after": [load_before, load_average()],
        "smart_turn_calls": len(smart_turn_ms),
    })
