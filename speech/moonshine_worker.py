"""The Moonshine model in worker processes (`MoonshineWorkers`: one, and more only when it is busy),
shared by every call of the server.

Measured on the 2-core machine (20 finals of 2.8-3.8 s phone commands, one at a time, while the
event loop ticks every 5 ms): in a thread of the server, 110 ms p50 / 206 ms p95 per final and the
loop late by 10.9 ms p99 / 18 ms max; in a worker process, 87 / 112 ms and 1.6 / 7 ms. The model's
onnxruntime threads are kept out of the server's process, and a crash in the C library costs one
reading, not the server. The child is a plain ``python -m speech.moonshine_worker``
(multiprocessing's spawn would re-import the server's ``__main__``); requests are pickles over a
pair of pipes, answered in order, one at a time (the model reads one utterance at a time anyway).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from core.config import child_process_environment

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
RELEASE_FREED_MEMORY = _MALLOC_TRIM is not None
"""Hand the pages a reading freed back to the system after each reading (glibc's `malloc_trim`): a
reading allocates and frees tens of MB of onnxruntime tensors in pieces glibc would otherwise keep
(the package's C library grew the worker ~1.6 MB per reading without it). It costs a few ms of CPU,
spent after the answer is sent. With the project's own decoder (`moonshine_decoder`) the worker's RSS
stays within ±20 MB of where it started over 300 readings of phone commands (the C library it replaced
kept ~0.1 MB of every reading for good)."""


def _release_freed_memory() -> None:
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class RecognizerCrashed(RuntimeError):
    """The worker process exited or stopped answering; the next call starts a new one."""


def serve(requests_fd: int, replies_fd: int, model: str = "tiny") -> None:
    """The child's loop: load the model, then answer (pcm bytes, rate) with (True, text) or (False, error)."""
    from speech.moonshine import MoonshineRecognizer

    requests, replies = Connection(requests_fd, writable=False), Connection(replies_fd, readable=False)
    recognizer = MoonshineRecognizer(model=model)
    replies.send((True, "ready"))
    while True:
        try:
            pcm, rate = requests.recv()
        except (EOFError, OSError):  # the server went away
            return
        try:
            reply: tuple[bool, str] = (True, recognizer.transcribe(np.frombuffer(pcm, dtype="<i2"), rate))
        except Exception as e:  # sent back to the caller, who raises it
            reply = (False, repr(e))
        replies.send(reply)
        _release_freed_memory()  # after the answer, not before it


class MoonshineWorker:
    """A client of the worker process with `MoonshineRecognizer`'s interface: blocking, thread-safe."""

    TIMEOUT = 10.0
    """Seconds one reading may take (at most 10 s of audio, ~0.5 s) before the worker is replaced."""

    def __init__(self, model: str = "tiny") -> None:
        self.model = model
        """The Moonshine model the worker loads (`speech.moonshine.MODELS`; the setting MOONSHINE_MODEL)."""
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The worker's process id, None before it starts."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the worker and wait until its model is loaded (~1 s); a no-op when it runs."""
        with self._lock:
            self._ensure()

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        """The raw lowercase text of ``pcm`` (int16 mono at 8000 or 16000 Hz), read by the worker."""
        request = (np.ascontiguousarray(pcm, dtype="<i2").tobytes(), sample_rate)
        with self._lock:
            requests, replies = self._ensure()
            try:
                requests.send(request)
            except OSError:  # it had died before this request: start another and ask it
                self._stop()
                requests, replies = self._ensure()
                requests.send(request)
            try:
                if not replies.poll(self.TIMEOUT):
                    raise RecognizerCrashed(f"the Moonshine worker did not answer in {self.TIMEOUT:.0f} s")
                ok, value = replies.recv()
            except (EOFError, OSError, RecognizerCrashed) as e:
                self._stop()
                raise e if isinstance(e, RecognizerCrashed) else RecognizerCrashed(f"the Moonshine worker exited: {e!r}") from e
        if not ok:
            raise RuntimeError(f"Moonshine failed: {value}")
        text: str = value  # the worker answers (True, text) or (False, error)
        return text

    def shutdown(self) -> None:
        """Stop the worker (it sees EOF and exits); the next call starts a new one."""
        with self._lock:
            self._stop()

    def _ensure(self) -> tuple[Connection, Connection]:
        if (self._process is not None and self._process.poll() is None and self._requests and self._replies
                and not self._replies.poll(0)):  # nothing is owed to an idle worker: readable means it closed
            return self._requests, self._replies
        self._stop()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(req_r), str(rep_w), self.model],
                pass_fds=(req_r, rep_w), env=child_process_environment(str(_PACKAGE_ROOT)),
                stdin=subprocess.DEVNULL, close_fds=True,
            )
        except BaseException:
            for fd in (req_r, req_w, rep_r, rep_w):
                os.close(fd)
            raise
        os.close(req_r)
        os.close(rep_w)
        self._requests, self._replies = Connection(req_w, readable=False), Connection(rep_r, writable=False)
        try:
            if not self._replies.poll(60.0):
                raise RecognizerCrashed("the Moonshine worker did not load its model in 60 s")
            self._replies.recv()
        except (EOFError, OSError) as e:
            self._stop()
            raise RecognizerCrashed(f"the Moonshine worker could not start: {e!r}") from e
        except RecognizerCrashed:
            self._stop()
            raise
        return self._requests, self._replies

    def _stop(self) -> None:
        for conn in (self._requests, self._replies):
            if conn is not None:
                conn.close()
        self._requests = self._replies = None
        if self._process is not None:
            try:
                self._process.wait(5.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


class MoonshineWorkers:
    """`count` worker processes (`MoonshineWorker`), each reading one utterance at a time, with the same
    interface: a reading goes to an idle worker. All start with `start` (the server's warm-up), so that
    their memory is the server's from the start and no reading waits for one to load; one that failed
    to start (or all, without `start`) is started, in the background, when a reading finds every other
    busy, and the reading takes whichever comes free first. Each worker holds its own copy of the model
    (tiny: ~160 MB RSS).

    Why several: with one, every call's final waited behind the others'. On the 2-core machine with 20
    offline calls talking (load 2.7 from other work), a reading took 279 ms p50 in the worker and waited
    for it 717 ms p95 / 1.2 s max (`tests/benchmarks/test_bench_capacity.py`, README "Capacity")."""

    def __init__(self, model: str = "tiny", count: int = 1) -> None:
        if count < 1:
            raise ValueError(f"at least one Moonshine worker, not {count}")
        self.model = model
        self.count = count
        self._lock = threading.Lock()
        self._workers: list[MoonshineWorker] = []  # started, or starting
        self._idle: queue.SimpleQueue[MoonshineWorker] = queue.SimpleQueue()

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        return [w.pid for w in self._workers if w.pid is not None]

    def start(self) -> None:
        """Start the workers, side by side, and wait until their models are loaded (~1 s); a no-op when some
        run. One that fails to start is tried again when a reading finds the others busy."""
        with self._lock:
            if self._workers:
                return
            workers = [MoonshineWorker(self.model) for _ in range(self.count)]
            self._workers.extend(workers)
        others = [threading.Thread(target=self._start_extra, args=(w,), name="moonshine-start") for w in workers[1:]]
        for thread in others:
            thread.start()
        try:
            workers[0].start()
        except BaseException:
            with self._lock:
                if workers[0] in self._workers:
                    self._workers.remove(workers[0])
            raise
        finally:
            for thread in others:
                thread.join()
        self._give_back(workers[0])

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        """As `MoonshineWorker.transcribe`, on an idle worker (blocking until one is)."""
        worker = self._take()
        try:
            return worker.transcribe(pcm, sample_rate)
        finally:
            self._give_back(worker)

    def _take(self) -> MoonshineWorker:
        while True:
            if not self._workers:
                self.start()
            with self._lock:
                idle = self._idle
            try:
                return idle.get_nowait()
            except queue.Empty:
                pass
            with self._lock:
                extra = MoonshineWorker(self.model) if len(self._workers) < self.count else None
                if extra is not None:
                    self._workers.append(extra)
            if extra is not None:  # it joins the idle ones once loaded (~1 s); this reading takes the first free
                threading.Thread(target=self._start_extra, args=(extra,), name="moonshine-start", daemon=True).start()
            with contextlib.suppress(queue.Empty):  # a shutdown meanwhile makes a new queue: look again
                return idle.get(timeout=1.0)

    def _give_back(self, worker: MoonshineWorker) -> None:
        with self._lock:
            if worker in self._workers:
                self._idle.put(worker)
                return
        worker.shutdown()  # the pool was shut down while it read

    def _start_extra(self, worker: MoonshineWorker) -> None:
        try:
            worker.start()
        except Exception:
            with self._lock:
                if worker in self._workers:
                    self._workers.remove(worker)  # the next busy moment tries again
            return
        self._give_back(worker)

    def shutdown(self) -> None:
        """Stop every worker; the next reading (or `start`) starts them again, as `MoonshineWorker.shutdown`."""
        with self._lock:
            workers, self._workers, self._idle = self._workers, [], queue.SimpleQueue()
        for worker in workers:
            worker.shutdown()


if __name__ == "__main__":
    # Run the module's own copy (not __main__'s), as the sphinx workers do.
    from speech.moonshine_worker import serve as _serve

    _serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
