"""`convonet serve`'s server: uvicorn, with a drain on SIGTERM so a deploy does not cut calls off.

On the first SIGTERM the process keeps listening but takes no new calls (`/health` answers 503
"draining", so the load balancer moves new work elsewhere; a phone call hears that the lines are
busy, a browser call gets 503), lets live calls run on for up to DRAIN_SECONDS, then has each say
goodbye, and only then lets uvicorn shut down. Ctrl-C, or a second SIGTERM, stops at once.

`--workers N` forks N such servers after loading the read-only models once (`preload`); they accept
on one socket, and each also listens on a port of its own for requests other processes forward to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
import traceback
from types import FrameType

import uvicorn
from fastapi import FastAPI

from core.config import Settings
from core.metrics import worker_ended
from core.runtime import Runtime
from speech.models import SpeechModels

log = logging.getLogger(__name__)

DRAIN_GOODBYE = "I'm sorry, I have to end this call now for maintenance. Please call back in a minute. Goodbye."


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self._drain is None and self._loop is not None and not self.should_exit:
            self._loop.call_soon_threadsafe(self._start_drain)
            return
        super().handle_exit(sig, frame)

    def _start_drain(self) -> None:
        if self._drain is None and self._loop is not None:
            self._drain = self._loop.create_task(self._drain_then_exit(), name="drain")

    async def _drain_then_exit(self) -> None:
        try:
            runtime: Runtime | None = getattr(self._app.state, "runtime", None)
            if runtime is not None:
                await runtime.calls.drain(runtime.settings.drain_seconds, DRAIN_GOODBYE)
        finally:
            log.info("drained; shutting down")
            self.should_exit = True


# --- one process or several -----------------------------------------------------------------------


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket (inherited by forked workers, who all accept on it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"convonet: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def advertised_host(settings: Settings) -> str:
    """The host other processes reach this one's own port by."""
    if settings.advertise_host:
        return settings.advertise_host
    if settings.internal_host in ("0.0.0.0", "::", ""):
        return socket.gethostbyname(socket.gethostname())
    return settings.internal_host


def server_config(app: FastAPI, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """How uvicorn serves the app: X-Forwarded-For/-Proto believed only from FORWARDED_ALLOW_IPS (a
    client naming any address it likes would escape the per-address sign-in limit)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level.lower(),
        ws_max_size=256 * 1024,  # a Twilio media frame is ~1 KB; refuse megabyte messages before reading them
        timeout_graceful_shutdown=10,  # after the drain: open event streams would otherwise hold a restart
    )


def serve_process(settings: Settings, public: socket.socket, index: int = 0,
                  speech: SpeechModels | None = None) -> None:
    """Run one server process on the shared `public` socket. With a shared store it also listens on a
    port of its own, which it announces so other processes can forward a call's requests to it."""
    from api.app import create_app

    sockets = [public]
    address = None
    if settings.redis_url:
        own = listen(settings.internal_host, settings.internal_port + index if settings.internal_port else 0)
        sockets.append(own)
        advertised = advertised_host(settings)
        advertised = f"[{advertised}]" if ":" in advertised else advertised  # an IPv6 address in a URL
        address = f"http://{advertised}:{own.getsockname()[1]}"
    app = create_app(settings)
    app.state.node_address = address
    app.state.speech = speech  # preloaded before the fork, or None: the app makes its own
    host, port = public.getsockname()[:2]
    config = server_config(app, settings, host, port)
    if address:
        log.info("process %d (pid %d) reachable by other processes at %s", index, os.getpid(), address)
    DrainingServer(config, app).run(sockets=sockets)


def preload(settings: Settings) -> SpeechModels:
    """Load, before the fork, what every worker reads and never writes: the code, the domains' grammar and
    the offline intent model built from it, and in the `SpeechModels` returned (every worker starts from
    them) the VAD and turn models (ONNX sessions on one thread: no pool to lose in the fork), the hibari
    voice and the speech language model's files. Workers share those pages until they write them. The
    speech worker processes (Moonshine, PocketSphinx), the model threads and the agent (database
    connections) are started by each worker after the fork."""
    import api.app  # noqa: F401  (the imports)
    from core.grammar import registry as grammar_registry
    from domains import registry

    grammar_registry.install(registry.grammar_set())
    grammar_registry.installed().use_cache(settings.data_dir / "understanding")  # as `Agent.open` does
    grammar_registry.default_interpreter().parser.warm()  # the offline intent model
    speech = SpeechModels(settings)
    speech.preload()
    return speech


FAST_FAILURE_SECONDS = 15.0  # a worker dying this soon after it started is broken, not unlucky


class Workers:
    """`convonet serve --workers N`: N forked processes, each with its own event loop, accepting on one
    socket. SIGTERM is passed on (each worker drains its calls), as is Ctrl-C; a worker that dies is
    replaced, unless it died right after starting (then all stop: the configuration is at fault)."""

    def __init__(self, settings: Settings, public: socket.socket, count: int,
                 speech: SpeechModels | None = None) -> None:
        self._settings = settings
        self._speech = speech
        self._public = public
        self._count = count
        self._children: dict[int, tuple[int, float]] = {}  # pid → (index, started at)
        self._stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._pass_on)
        signal.signal(signal.SIGINT, self._pass_on)
        for index in range(self._count):
            self._spawn(index)
        code = 0
        while self._children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            index, started = self._children.pop(pid, (-1, 0.0))
            if self._settings.metrics_dir is not None:
                worker_ended(pid, self._settings.metrics_dir)
            if index < 0 or self._stopping:
                continue
            exit_code = os.waitstatus_to_exitcode(status)
            if time.monotonic() - started < FAST_FAILURE_SECONDS:
                log.error("worker %d (pid %d) exited with %s right after starting; stopping", index, pid, exit_code)
                code = 1
                self._stop(signal.SIGINT)
                continue
            log.warning("worker %d (pid %d) exited with %s; starting another", index, pid, exit_code)
            self._spawn(index)
        return code

    def _spawn(self, index: int) -> None:
        sys.stdout.flush()  # or the child writes the parent's buffered output again
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                serve_process(self._settings, self._public, index, self._speech)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
            except KeyboardInterrupt:
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        self._children[pid] = (index, time.monotonic())

    def _pass_on(self, sig: int, _frame: FrameType | None) -> None:
        self._stopping = True
        self._stop(sig)

    def _stop(self, sig: int) -> None:
        self._stopping = True
        for pid in self._children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
