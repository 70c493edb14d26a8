"""The Moonshine worker process: it reads as the in-process model does, reports a bad request without
dying, comes back after a crash, and is the one model every call of a server shares."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import ErrorFrame, TranscriptionFrame
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import SleepFrame, run_test
from speech_pipeline import speech, texts, utterance

from core.config import Settings
from processors.speech.moonshine_stt import MoonshineSTTService
from speech.models import SpeechModels
from speech.moonshine import MoonshineRecognizer
from speech.moonshine_worker import RELEASE_FREED_MEMORY, MoonshineWorker, MoonshineWorkers
from tests.voice import TURN, VOICE

COMMAND = "create a high priority task to call mom"


@pytest.fixture(scope="module")
def worker() -> Iterator[MoonshineWorker]:
    w = MoonshineWorker()
    w.start()
    yield w
    w.shutdown()


@pytest.mark.parametrize("rate", [8000, 16000])
def test_the_worker_reads_as_the_model_in_this_process(worker: MoonshineWorker, rate: int,
                                                       recognizer: MoonshineRecognizer) -> None:
    pcm = speech(COMMAND, rate)
    assert worker.transcribe(pcm, rate) == recognizer.transcribe(pcm, rate)


def test_a_bad_request_is_reported_and_the_worker_goes_on(worker: MoonshineWorker) -> None:
    pid = worker.pid
    with pytest.raises(RuntimeError, match="8000 or 16000"):
        worker.transcribe(np.zeros(100, np.int16), 44100)
    assert worker.transcribe(np.zeros(0, np.int16), 8000) == ""
    assert worker.pid == pid


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not RELEASE_FREED_MEMORY, reason="glibc's malloc_trim and /proc: Linux")
def test_the_worker_does_not_grow_with_every_reading(worker: MoonshineWorker) -> None:
    """Without handing freed pages back the worker grew ~1.6 MB per reading, for good (a server reads
    thousands of utterances a day); with it, ~0.15 MB."""
    clips = [speech(text, 8000) for text in (COMMAND, "what is on my calendar today", "book a table for two")]
    for pcm in clips * 2:
        worker.transcribe(pcm, 8000)
    pid = worker.pid
    assert pid is not None
    before = _rss_mb(pid)
    for pcm in clips * 10:
        worker.transcribe(pcm, 8000)
    grown = _rss_mb(pid) - before
    print(f"worker RSS grew {grown:.1f} MB over 30 readings")
    assert worker.pid == pid and grown < 20


def test_a_killed_worker_is_replaced(worker: MoonshineWorker) -> None:
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)  # a crash between two readings
    assert worker.transcribe(speech(COMMAND, 8000), 8000).startswith("create")
    assert worker.pid not in (None, pid)


async def test_every_call_of_a_server_reads_in_the_one_worker(tmp_path) -> None:
    """Two calls through the factory's wiring share the server's one worker process (so a call adds
    no model); a crash of the worker costs one reading, reported, and the next utterance is heard."""
    settings = Settings(data_dir=tmp_path, moonshine_workers=1, _env_file=None)  # type: ignore[call-arg]
    assert settings.stt_provider == "moonshine"
    models = SpeechModels(settings, voice=VOICE, turn=TURN)  # its own worker process, the test process's voice and turn models
    models.warm_up()
    assert len(models.moonshine_worker().pids) == 1
    pid = models.moonshine_worker().pids[0]
    first = MoonshineSTTService(recognizer=models.moonshine_worker)
    down, _ = await run_test(first, frames_to_send=[*utterance(COMMAND, 8000), SleepFrame(2.0)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert texts(down, TranscriptionFrame) == [COMMAND]
    assert models.moonshine_worker().pids == [pid]
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.1)
    second = MoonshineSTTService(recognizer=models.moonshine_worker)
    down, up = await run_test(second, frames_to_send=[*utterance(COMMAND, 16000), SleepFrame(4.0)],  # a worker restart on a loaded machine
                              pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    assert texts(down, TranscriptionFrame) == [COMMAND]  # restarted for this reading
    assert not [f for f in up if isinstance(f, ErrorFrame)]
    models.close()
    assert models.moonshine_worker().pids == []


def test_readings_at_once_go_to_both_workers_and_no_more() -> None:
    """Four readings at once on a pool of two (started together): both read, right, and no third starts
    (each holds a copy of the model); a killed one is replaced as the others' readings go on."""
    from concurrent.futures import ThreadPoolExecutor

    workers = MoonshineWorkers(count=2)
    workers.start()
    try:
        pids = workers.pids
        assert len(set(pids)) == 2
        pcm = speech(COMMAND, 8000)
        with ThreadPoolExecutor(4) as pool:
            heard = list(pool.map(lambda _: workers.transcribe(pcm, 8000), range(4)))
        assert all(text.startswith("create") for text in heard), heard
        assert workers.pids == pids
        os.kill(pids[0], signal.SIGKILL)
        time.sleep(0.1)  # a crash between two readings
        with ThreadPoolExecutor(2) as pool:
            heard = list(pool.map(lambda _: workers.transcribe(pcm, 8000), range(2)))
        assert all(text.startswith("create") for text in heard), heard
        assert len(set(workers.pids)) == 2 and pids[0] not in workers.pids
    finally:
        workers.shutdown()
    assert workers.pids == []
