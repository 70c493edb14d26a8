"""`convonet serve`'s server: uvicorn, with a drain on SIGTERM so a deploy does not cut calls off.

On the first SIGTERM the process keeps listening but takes no new calls (`/health` answers 503
"draining", so the load balancer moves new work elsewhere; a phone call hears that the lines are
busy, a browser call gets 503), lets live calls run on for up to DRAIN_SECONDS, then has each say
goodbye, and only then lets uvicorn shut down. Ctrl-C, or a second SIGTERM, stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from types import FrameType

import uvicorn
from fastapi import FastAPI

from core.runtime import Runtime

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
