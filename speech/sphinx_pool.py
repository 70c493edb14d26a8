"""PocketSphinx decoding in worker processes, one streaming decoder per conversation.

pocketsphinx keeps the GIL for the whole of each C call (measured: a Python thread runs at ~1.5 %
of its normal speed while ``process_raw`` runs, and ``end_utt`` takes 0.1-0.4 s with the fwdflat
pass), so a thread would not keep the event loop free. Each worker is a plain
``python -m speech.sphinx_pool`` child: multiprocessing's spawn/forkserver would
re-import the server's ``__main__`` (the whole app) in every worker. Requests and replies are
pickles over a pair of pipes, answered in order; one worker hosts many decoders, and a
conversation's decoder stays in one worker because the utterance state lives there.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core.config import child_process_environment

from .sphinx_decoder import DecoderSettings, SpeechEvent, SphinxStream

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class DecoderCrashed(RuntimeError):
    """The worker process holding the decoder exited."""


@dataclass(frozen=True)
class FinalResult:
    """The end of one utterance, with the decoder's running CPU and audio totals."""

    event: SpeechEvent
    cpu_seconds: float
    audio_seconds: float


# ------------------------------------------------------------------ worker side
_streams: dict[int, SphinxStream] = {}


def _open(stream_id: int, lm_path: str, dict_path: str, sample_rate: int, settings: DecoderSettings,
          partial_interval: float, domain_lm_path: str | None = None) -> int:
    _streams[stream_id] = SphinxStream(lm_path, dict_path, sample_rate, settings=settings,
                                       partial_interval=partial_interval, domain_lm_path=domain_lm_path)
    return os.getpid()


def _feed(stream_id: int, pcm: bytes) -> list[SpeechEvent]:
    return _streams[stream_id].feed(pcm)


def _finish(stream_id: int, speculative: bool = False) -> FinalResult:
    stream = _streams[stream_id]
    final = stream.finish(speculative)
    return FinalResult(final, stream.cpu_seconds, stream.audio_seconds)


def _reread(stream_id: int) -> FinalResult:
    stream = _streams[stream_id]
    event = stream.reread()
    return FinalResult(event, stream.cpu_seconds, stream.audio_seconds)


def _resume(stream_id: int) -> list[SpeechEvent]:
    return _streams[stream_id].resume()


def _close(stream_id: int) -> None:
    stream = _streams.pop(stream_id, None)
    if stream is not None:
        stream.reset()


def _pid() -> int:
    return os.getpid()


_HANDLERS = {f.__name__: f for f in (_open, _feed, _finish, _reread, _resume, _close, _pid)}


def serve(read_fd: int, write_fd: int) -> None:
    """Worker main loop: answer requests in order until the parent closes the pipe."""
    requests = Connection(read_fd, writable=False)
    replies = Connection(write_fd, readable=False)
    while True:
        try:
            name, args = requests.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, _HANDLERS[name](*args))
        except Exception as e:  # sent back to the caller, whose future raises it
            reply = (False, e)
        replies.send(reply)


# ------------------------------------------------------------------ parent side
class _Worker:
    """One child process; a writer and a reader thread keep pipe I/O off the caller's thread."""

    def __init__(self) -> None:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        env = child_process_environment(str(_PACKAGE_ROOT))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(req_r), str(rep_w)],
                pass_fds=(req_r, rep_w), env=env, stdin=subprocess.DEVNULL, close_fds=True,
            )
        except BaseException:
            for fd in (req_r, req_w, rep_r, rep_w):
                os.close(fd)
            raise
        os.close(req_r)
        os.close(rep_w)
        self._requests = Connection(req_w, readable=False)
        self._replies = Connection(rep_r, writable=False)
        self._outbox: queue.SimpleQueue[tuple[str, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._pending: collections.deque[Future[Any]] = collections.deque()
        self._lock = threading.Lock()
        self.dead = False
        self.load = 0
        name = f"sphinx-worker-{self.process.pid}"
        threading.Thread(target=self._write_loop, name=f"{name}-out", daemon=True).start()
        threading.Thread(target=self._read_loop, name=f"{name}-in", daemon=True).start()

    def submit(self, name: str, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self.dead:
                raise DecoderCrashed(f"speech decoder worker {self.process.pid} has exited")
            self._pending.append(future)
            self._outbox.put((name, args))
        return future

    def _write_loop(self) -> None:
        while (item := self._outbox.get()) is not None:
            try:
                self._requests.send(item)
            except OSError:
                break
        self._requests.close()

    def _read_loop(self) -> None:
        while True:
            try:
                ok, value = self._replies.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._pending.popleft()
            with contextlib.suppress(InvalidStateError):  # the caller cancelled it
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        self._replies.close()
        with self._lock:
            self.dead = True
            pending, self._pending = list(self._pending), collections.deque()
        self._outbox.put(None)
        code = self.process.wait()
        for future in pending:
            with contextlib.suppress(InvalidStateError):
                future.set_exception(DecoderCrashed(f"speech decoder worker exited with code {code}"))

    def stop(self, timeout: float = 5.0) -> None:
        self._outbox.put(None)  # the worker sees EOF and exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RemoteStream:
    """A streaming decoder living in a worker process. Calls return asyncio futures resolved in
    submission order; if the worker dies they raise :class:`DecoderCrashed`."""

    def __init__(self, pool: DecoderPool, worker: _Worker, stream_id: int, worker_pid: int) -> None:
        self._pool, self._worker, self.stream_id, self.worker_pid = pool, worker, stream_id, worker_pid
        self._closed = False

    def feed(self, pcm: bytes) -> asyncio.Future[list[SpeechEvent]]:
        """Decode a chunk of 16-bit mono PCM; resolves to the partial hypotheses it produced."""
        return asyncio.wrap_future(self._worker.submit("_feed", self.stream_id, pcm))

    def finish(self, speculative: bool = False) -> asyncio.Future[FinalResult]:
        """End the utterance; resolves to its final hypothesis ('' when nothing was recognised).
        ``speculative``: see :meth:`SphinxStream.finish` (settled by the next ``finish`` or ``resume``)."""
        return asyncio.wrap_future(self._worker.submit("_finish", self.stream_id, speculative))

    def reread(self) -> asyncio.Future[FinalResult]:
        """The last finished utterance decoded again with the in-domain model alone
        (:meth:`SphinxStream.reread`); an empty final when the stream has no such search."""
        return asyncio.wrap_future(self._worker.submit("_reread", self.stream_id))

    def resume(self) -> asyncio.Future[list[SpeechEvent]]:
        """Re-open the utterance a speculative ``finish`` ended; resolves to its partial hypotheses."""
        return asyncio.wrap_future(self._worker.submit("_resume", self.stream_id))

    def close(self) -> None:
        """Free the decoder in its worker (fire and forget; safe to call twice or after a crash)."""
        if self._closed:
            return
        self._closed = True
        self._pool._release(self._worker)
        with contextlib.suppress(DecoderCrashed):
            self._worker.submit("_close", self.stream_id)


class DecoderPool:
    """A fixed number of worker processes; new streams go to the least loaded one.

    Workers start on first use (or in :meth:`start`); a dead worker is replaced when the next
    stream is opened.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.size = processes or max(1, min(os.cpu_count() or 1, 4))
        self._workers: list[_Worker | None] = [None] * self.size
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def _acquire(self) -> _Worker:
        """The least loaded live worker (starting or replacing one if needed), its load counted."""
        with self._lock:
            for i, w in enumerate(self._workers):
                if w is None or w.dead:
                    self._workers[i] = _Worker()
            workers = [w for w in self._workers if w is not None]
            worker = min(workers, key=lambda w: w.load)
            worker.load += 1
            return worker

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            worker.load = max(0, worker.load - 1)

    def start(self, timeout: float = 30.0) -> list[int]:
        """Start every worker process and wait until each answers (blocking); returns their pids."""
        with self._lock:
            for i, w in enumerate(self._workers):
                if w is None or w.dead:
                    self._workers[i] = _Worker()
            workers = [w for w in self._workers if w is not None]
        return [w.submit("_pid").result(timeout) for w in workers]

    @property
    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        with self._lock:
            return [w.process.pid for w in self._workers if w is not None and not w.dead]

    async def open(self, lm_path: Path, dict_path: Path, sample_rate: int, settings: DecoderSettings,
                   partial_interval: float = 0.2, domain_lm_path: Path | None = None) -> RemoteStream:
        """Create a decoder for one conversation in the least loaded worker (with the second,
        in-domain search of ``domain_lm_path`` for :meth:`RemoteStream.reread`)."""
        worker = self._acquire()
        stream_id = next(self._ids)
        try:
            pid = await asyncio.wrap_future(worker.submit(
                "_open", stream_id, str(lm_path), str(dict_path), sample_rate, settings, partial_interval,
                str(domain_lm_path) if domain_lm_path else None))
        except BaseException:
            self._release(worker)
            raise
        return RemoteStream(self, worker, stream_id, pid)

    def shutdown(self) -> None:
        """Stop the workers; streams still open fail with :class:`DecoderCrashed`."""
        with self._lock:
            workers, self._workers = self._workers, [None] * self.size
        for w in workers:
            if w is not None:
                w.stop()


if __name__ == "__main__":
    # Run the module's own copy (not __main__'s), so replies pickle as speech.sphinx_pool.*
    from speech.sphinx_pool import serve as _serve

    _serve(int(sys.argv[1]), int(sys.argv[2]))
