"""The Moonshine model in one worker process, shared by every call of the server.

Measured on the 2-core machine (20 finals of 2.8-3.8 s phone commands, one at a time, while the
event loop ticks every 5 ms): in a thread of the server, 110 ms p50 / 206 ms p95 per final and the
loop late by 10.9 ms p99 / 18 ms max; in a worker process, 87 / 112 ms and 1.6 / 7 ms. The model's
onnxruntime threads are kept out of the server's process, and a crash in the C library costs one
reading, not the server. The child is a plain ``python -m speech.moonshine_worker``
(multiprocessing's spawn would re-import the server's ``__main__``); requests are pickles over a
pair of pipes, answered in order, one at a time (the model reads one utterance at a time anyway).
"""

from __future__ import annotations

import ctypes
import os
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


if __name__ == "__main__":
    # Run the module's own copy (not __main__'s), as the sphinx workers do.
    from speech.moonshine_worker import serve as _serve

    _serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
