"""Shared pieces of the call benchmarks: the real app on loopback, callers speaking the Twilio protocol
to it, stand-in speech services, the per-turn records, and process CPU/RSS from /proc.

The server runs in the test's own process (uvicorn on 127.0.0.1, as in tests/e2e/test_phone.py) so
its turn records and models can be read directly; the PocketSphinx decoders are child processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import socket
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from loguru import logger
from pipecat.frames.frames import (
    Frame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings, TTSSettings
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from core import accounts
from core.monitor import MONITOR_RECENT
from core.runtime import Runtime
from tests.benchmarks.conftest import FULL
from tests.benchmarks.procstats import children, load_average, process_usage, thread_cpu  # noqa: F401  (re-exported)
from tests.conftest import TEST_SECRET, Backend
from tests.fakes.phone_server import AUTH_TOKEN, PhoneServer, open_phone_server
from tests.fakes.twilio_client import FakeCall, FakeTwilio, is_audible, speech_frames
from tests.helpers import SERVER_ENV

PIN = "4821"
# Commands the offline recogniser and the intent model both handle; replies are a sentence or two.
PHRASES = ["what are my todos", "create a todo to buy milk", "what is on my calendar today"]
ROOT = Path(__file__).resolve().parents[2]
LATE_MS = 40.0  # a hole longer than this in the bot's audio, as the caller hears it, is late audio
# A full run's server speaks at the voice's own pace, as a deployment does; a smoke run's at the tests' pace.
PACE: dict[str, Any] = {"hibari_speed": 1.0} if FULL else {}


@contextlib.contextmanager
def quiet_pipecat() -> Iterator[None]:
    """Pipecat logs every frame-processor step at DEBUG; a benchmark's stdout is for its table."""
    logger.disable("pipecat")
    try:
        yield
    finally:
        logger.enable("pipecat")


@contextlib.asynccontextmanager
async def bench_server(backend: Backend, tmp_path: Path, data_dir: Path, **overrides: object
                       ) -> AsyncIterator[PhoneServer]:
    with quiet_pipecat():  # the server's start loads its STT's models (PocketSphinx's language model too)
        async with open_phone_server(backend, tmp_path, data_dir=data_dir, **{**PACE, **overrides}) as server:
            yield server


def phone_of(i: int) -> str:
    return f"+1555{2000000 + i:07d}"


async def register_callers(runtime: Runtime, n: int) -> None:
    async with runtime.sessions() as session, session.begin():
        for i in range(n):
            await accounts.register_user(session, email=f"caller{i}@example.com", password="pw-secret-123",
                                         first_name="Ann", phone_number=phone_of(i), voice_pin=PIN, rounds=4)


@dataclass
class Turn:
    text: str
    spoken_at: float  # monotonic: the caller's last audible frame finished playing
    gap: float | None = None  # seconds to the first audible bot audio at the caller
    reply_end: float = 0.0


@dataclass
class Caller:
    """One call, with every bot media message's arrival time, to find late audio afterwards."""

    call: FakeCall
    arrivals: list[tuple[float, float, bool]] = field(default_factory=list)  # (at, seconds, audible)
    turns: list[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        original = self.call._on_event

        async def on_event(message: dict[str, Any]) -> None:
            if message.get("event") == "media":
                import base64

                ulaw = base64.b64decode(message["media"]["payload"])
                self.arrivals.append((time.monotonic(), len(ulaw) / 8000, is_audible(ulaw)))
            await original(message)

        self.call._on_event = on_event  # type: ignore[method-assign]

    @classmethod
    async def dial(cls, server: PhoneServer | ServerProcess, phone: str, *, within: float = 30.0) -> Caller:
        """Place the call, key the PIN as soon as the welcome starts, hear the greeting out."""
        call = await server.twilio.place_call(phone)
        caller = cls(call)
        await call.wait_for_bot(time.monotonic() - 5.0, within=within)
        await call.press(PIN + "#", gap=0.05)
        deadline = time.monotonic() + within
        while sum(e.get("event") == "mark" for e in call.events) < 2:  # welcome and greeting were sent
            if time.monotonic() > deadline:
                raise TimeoutError("no greeting after the PIN")
            await asyncio.sleep(0.05)
        await call.wait_quiet(within=within)
        return caller

    async def turn(self, text: str, frames: list[bytes], *, within: float = 20.0) -> Turn:
        """Say `frames` (`text`), time the first bot audio, and wait until the reply has played."""
        await self.call.send_frames(frames)
        assert self.call.speech_ended_at is not None
        turn = Turn(text, self.call.speech_ended_at)
        self.turns.append(turn)
        with contextlib.suppress(TimeoutError):
            turn.gap = await self.call.wait_for_bot(turn.spoken_at, within=within)
        with contextlib.suppress(TimeoutError):
            await self.call.wait_quiet(quiet=0.5, within=within)
        turn.reply_end = time.monotonic()
        return turn

    def late_gaps_ms(self, turns: list[Turn] | None = None) -> list[float]:
        """Holes over LATE_MS in each reply's audio as the caller plays it (audio arrived after the
        caller's buffer ran dry), from the reply's first audio to the end of its turn."""
        return [ms for turn in (self.turns if turns is None else turns) for _, _, ms in self.late_holes(turn)]

    def late_holes(self, turn: Turn) -> list[tuple[float, float, float]]:
        """The holes of `late_gaps_ms` in one reply: (when the audio that ended it arrived, monotonic;
        ms into the reply; ms long)."""
        late: list[tuple[float, float, float]] = []
        if turn.gap is None:
            return late
        start = turn.spoken_at + turn.gap
        play_until = None
        for at, seconds, _ in self.arrivals:
            if at < start - 1e-6 or at > turn.reply_end:
                continue
            if play_until is not None and at - play_until > LATE_MS / 1000:
                late.append((at, (at - start) * 1000, (at - play_until) * 1000))
            play_until = max(play_until or at, at) + seconds
        return late


def frames_for(phrases: list[str]) -> dict[str, list[bytes]]:
    """Each phrase in hibari's voice as 8 kHz μ-law frames, trailing silence trimmed."""
    out = {}
    for text in phrases:
        frames = speech_frames(text)
        last = max(i for i, f in enumerate(frames) if is_audible(f))
        out[text] = frames[: last + 1]
    return out


def fingerprints(audio: dict[str, list[bytes]]) -> dict[bytes, str]:
    """For a fake cloud STT: per phrase, 20 ms of its PCM (as the pipeline hands it to the STT) found
    in no other phrase, so the fake can tell which command a caller said."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    pcm = {text: [audioop.ulaw2lin(f, 2) for f in frames] for text, frames in audio.items()}
    out: dict[bytes, str] = {}
    for text, frames in pcm.items():
        others = [b"".join(v) for t, v in pcm.items() if t != text]
        audible = [i for i, f in enumerate(audio[text]) if is_audible(f)]
        for i in sorted(audible, key=lambda i: abs(i - len(frames) // 2)):  # from the middle outwards
            if not any(frames[i] in other for other in others):
                out[frames[i]] = text
                break
        else:
            raise ValueError(f"no frame of {text!r} is its own")
    return out


async def turn_records(runtime: Runtime, call_sid: str) -> list[dict[str, Any]]:
    """This call's turn records (oldest first), as the monitor received them."""
    recent = [json.loads(m) for m in await runtime.store.range(MONITOR_RECENT)]
    turns = [r for r in recent if r.get("type") == "turn" and r.get("call_sid") == call_sid]
    return sorted(turns, key=lambda r: r["turn"])


# --- stand-in speech services ----------------------------------------------------------------------
class ScriptedSTT(STTService):
    """Instant STT: at each VAD stop, the next transcript from `script` (what the caller said)."""

    def __init__(self, script: list[str], **kwargs: Any) -> None:
        super().__init__(settings=STTSettings(model="scripted", language=Language.EN_US), **kwargs)
        self._script = script

    async def run_stt(self, audio: bytes) -> Any:
        yield None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStoppedSpeakingFrame) and self._script:
            self.request_finalize()
            self.confirm_finalize()
            text = self._script.pop(0)
            await self.push_frame(TranscriptionFrame(text, self._user_id, time_now_iso8601(), Language.EN_US,
                                                     finalized=True))


class ToneTTS(TTSService):
    """Instant TTS: a fixed 0.6 s tone per sentence, in 40 ms frames."""

    def __init__(self, seconds: float = 0.6, **kwargs: Any) -> None:
        super().__init__(push_start_frame=True, push_stop_frames=True,
                         settings=TTSSettings(model="tone", voice="tone", language=Language.EN_US), **kwargs)
        self._seconds = seconds
        self._pcm: bytes | None = None

    async def run_tts(self, text: str, context_id: str) -> Any:
        if self._pcm is None:
            t = np.arange(int(self.sample_rate * self._seconds)) / self.sample_rate
            self._pcm = (0.3 * 32767 * np.sin(2 * math.pi * 440.0 * t)).astype("<i2").tobytes()
        step = 2 * self.sample_rate * 40 // 1000
        for i in range(0, len(self._pcm), step):
            yield TTSAudioRawFrame(self._pcm[i: i + step], self.sample_rate, 1, context_id=context_id)


def use_stand_ins(monkeypatch: pytest.MonkeyPatch, script: list[str]) -> None:
    """Every call the server builds from now on uses ScriptedSTT(script) and ToneTTS."""
    import bots.pipeline

    monkeypatch.setattr(bots.pipeline, "make_stt", lambda _s, rate, _speech: ScriptedSTT(script, sample_rate=rate))
    monkeypatch.setattr(bots.pipeline, "make_tts", lambda _s, rate, _speech: ToneTTS(sample_rate=rate))


def time_smart_turn(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Milliseconds of each smart-turn inference (the end-of-turn model), collected from now on."""
    from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3

    samples: list[float] = []
    predict = LocalSmartTurnAnalyzerV3._predict_endpoint

    def timed(self: Any, audio: np.ndarray) -> dict[str, Any]:
        t0 = time.perf_counter()
        try:
            return predict(self, audio)
        finally:
            samples.append((time.perf_counter() - t0) * 1000)

    monkeypatch.setattr(LocalSmartTurnAnalyzerV3, "_predict_endpoint", timed)
    return samples


# --- the server in its own process (capacity: its CPU and RSS apart from the callers') -------------
@dataclass
class ServerProcess:
    url: str
    pid: int
    twilio: FakeTwilio
    lag_file: Path | None  # the bench's own 50 ms lag samples (one process); None: read /metrics instead
    workers: int = 1  # `convonet serve --workers N`: `pid` is the parent, the workers its children

    def loop_pids(self) -> list[int]:
        """The processes whose main thread is an event loop carrying calls."""
        return [self.pid] if self.workers == 1 else children(self.pid)

    async def lag_histogram(self) -> dict[str, float]:
        """`convonet_event_loop_lag_seconds` from /metrics (every worker's, summed): cumulative counts
        by bucket bound ("0.005", ..., "+Inf"), and "sum" (seconds); {} when the server has none."""
        import httpx

        out: dict[str, float] = {}
        async with httpx.AsyncClient(timeout=10) as http:
            text = (await http.get(f"{self.url}/metrics")).text
        for line in text.splitlines():
            if line.startswith("convonet_event_loop_lag_seconds_bucket{"):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                out[bound] = out.get(bound, 0.0) + float(line.rsplit(" ", 1)[1])
            elif line.startswith("convonet_event_loop_lag_seconds_sum"):
                out["sum"] = out.get("sum", 0.0) + float(line.rsplit(" ", 1)[1])
        return out

    def loop_lag_ms(self, since: float, until: float | None = None) -> list[float]:
        """The server event loop's lag (ms late for a 50 ms sleep) sampled between two time.time()s."""
        out: list[float] = []
        if self.lag_file is None:
            return out
        with contextlib.suppress(OSError):
            for line in self.lag_file.read_text().splitlines():
                at, lag = line.split()
                if float(at) >= since and (until is None or float(at) <= until):
                    out.append(float(lag))
        return out


async def _watch_loop_lag(path: Path, every: float = 0.05) -> None:
    """Append `<time> <ms late>` for each `every`-second sleep: how far the event loop is behind."""
    with path.open("a", buffering=1) as out:
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(every)
            out.write(f"{time.time():.3f} {max(0.0, (time.monotonic() - t0 - every) * 1000):.1f}\n")


@contextlib.asynccontextmanager
async def server_process(database_url: str, data_dir: Path, callers: int, settings: dict[str, Any] | None = None
                         ) -> AsyncIterator[ServerProcess]:
    """`python -m tests.benchmarks.calls`: the app on loopback in a child process, `callers` registered,
    `settings` overriding the test settings (e.g. cloud speech providers pointing at a fake); a
    FakeTwilio here places the calls and serves its hang-ups."""
    async with FakeTwilio("http://unset", auth_token=AUTH_TOKEN) as twilio:
        lag_file = data_dir / f"loop-lag-{os.getpid()}-{time.monotonic_ns()}.txt"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.benchmarks.calls", database_url, str(data_dir), twilio.rest_url,
            str(callers), json.dumps(settings or {}), str(lag_file), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )
        try:
            assert proc.stdout is not None
            line = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode().strip()
            assert line.startswith("READY "), f"the server did not start: {line!r}"
            twilio.server_url = line.split()[1]
            yield ServerProcess(twilio.server_url, proc.pid, twilio, lag_file)
        finally:
            for call in list(twilio.calls.values()):
                await call.close()
            if proc.returncode is None:
                assert proc.stdin is not None
                proc.stdin.close()  # the server's cue to shut down
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            lag_file.unlink(missing_ok=True)


CONVONET = Path(sys.executable).parent / "convonet"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def workers_process(backend: Backend, data_dir: Path, workers: int, settings: dict[str, Any] | None = None
                          ) -> AsyncIterator[ServerProcess]:
    """`convonet serve --workers N` on loopback, as a machine runs it (N processes accepting on one port),
    sharing `backend`'s PostgreSQL and Redis; its callers are registered there beforehand
    (`register_callers`). `settings` as for `server_process` (lower-case names, given as environment
    variables). No call limit, nor admission by load or loop lag: the bench measures past them."""
    if not backend.redis_url:
        raise ValueError("several workers need PostgreSQL and Redis")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeTwilio(url, auth_token=AUTH_TOKEN) as twilio:
        env = {key: value for key, value in os.environ.items() if key in SERVER_ENV} | {
            "ENVIRONMENT": "test", "JWT_SECRET": TEST_SECRET, "BCRYPT_ROUNDS": "4", "DATA_DIR": str(data_dir),
            "DATABASE_URL": backend.database_url, "REDIS_URL": backend.redis_url, "PUBLIC_URL": url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_API_BASE_URL": twilio.rest_url, "DRAIN_SECONDS": "0", "LOG_LEVEL": "WARNING",
            "MAX_CALLS_PER_PROCESS": "100000", "LOAD_THRESHOLD": "1000", "LOOP_LAG_THRESHOLD": "1000",
        } | {key.upper(): str(value) for key, value in (settings or {}).items()}
        log_path = data_dir / f"serve-{port}.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                str(CONVONET), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                env=env, cwd=data_dir, stdout=log, stderr=asyncio.subprocess.STDOUT)
        try:
            await _until_every_worker_is_ready(url, proc, workers, log_path)
            yield ServerProcess(url, proc.pid, twilio, None, workers)
        finally:
            for call in list(twilio.calls.values()):
                await call.close()
            if proc.returncode is None:
                proc.terminate()  # the workers drain (DRAIN_SECONDS=0) and stop
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def _until_every_worker_is_ready(url: str, proc: asyncio.subprocess.Process, workers: int, log: Path,
                                       within: float = 180.0) -> None:
    """Until `workers` different processes have answered /health/ready (each loads its models first)."""
    import httpx

    seen: set[str] = set()
    deadline = time.monotonic() + within
    while len(seen) < workers:
        if proc.returncode is not None or time.monotonic() > deadline:
            tail = (await asyncio.to_thread(log.read_text, errors="replace")).splitlines()[-25:]
            raise AssertionError(f"convonet serve: {len(seen)} of {workers} workers ready:\n" + "\n".join(tail))
        with contextlib.suppress(httpx.HTTPError):
            async with httpx.AsyncClient(timeout=2) as http:  # a new connection: any worker may take it
                response = await http.get(f"{url}/health/ready")
            if response.status_code == 200:
                seen.add(str(response.json()["node"]))
        await asyncio.sleep(0.1)


async def _serve(database_url: str, data_dir: Path, rest_url: str, callers: int, overrides: dict[str, Any],
                 lag_file: Path) -> None:
    import uvicorn

    from api.app import create_app
    from tests.conftest import make_settings

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # No per-process call limit, nor admission by load or loop lag: the benches measure what happens past them.
    settings = make_settings(data_dir, database_url, None, public_url=url, twilio_auth_token=AUTH_TOKEN,
                             twilio_account_sid="AC" + "0" * 32, twilio_api_base_url=rest_url,
                             **{"max_calls_per_process": None, "load_threshold": None, "loop_lag_threshold": None,
                                "moonshine_workers": None, **PACE, **overrides})  # and Moonshine's readers as a server has them
    runtime = Runtime.build(settings)
    await register_callers(runtime, callers)
    server = uvicorn.Server(uvicorn.Config(create_app(runtime=runtime), log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    watcher = asyncio.create_task(_watch_loop_lag(lag_file))
    print(f"READY {url}", flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    watcher.cancel()
    server.should_exit = True
    await task
    await runtime.close()


if __name__ == "__main__":
    from core.grammar import registry as grammar_registry
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    logger.disable("pipecat")
    if os.environ.get("CONVONET_BENCH_SERVER_HOOK"):  # a profiling experiment: a Python file run in the server first
        exec(Path(os.environ["CONVONET_BENCH_SERVER_HOOK"]).read_text(), {"__name__": "bench_hook"})
    db, data, rest, count, overrides, lag = sys.argv[1:7]
    asyncio.run(_serve(db, Path(data), rest, int(count), json.loads(overrides), Path(lag)))
