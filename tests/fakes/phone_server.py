"""The whole Convonet app under uvicorn on a loopback port, with a fake Twilio in front of it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from api.app import create_app
from api.serve import DrainingServer
from core.runtime import Runtime
from tests.conftest import Backend, _reset_shared, make_settings
from tests.fakes.twilio_client import FakeTwilio
from tests.voice import speech_models

AUTH_TOKEN = "twilio-test-auth-token-0123456789"


@dataclass
class PhoneServer:
    url: str
    runtime: Runtime
    twilio: FakeTwilio
    server: uvicorn.Server
    task: asyncio.Task[None]


@asynccontextmanager
async def open_phone_server(
    backend: Backend, tmp_path: Path, *, auth_token: str | None = AUTH_TOKEN, draining: bool = False,
    **overrides: object
) -> AsyncIterator[PhoneServer]:
    """Serve the real app (lifespan included) on 127.0.0.1; PUBLIC_URL is that address. `draining`:
    under `convonet serve`'s server, which drains on SIGTERM."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with FakeTwilio(url, auth_token=auth_token) as twilio:
        settings = make_settings(
            tmp_path, backend.database_url, backend.redis_url,
            public_url=url,
            twilio_auth_token=auth_token,
            twilio_account_sid=twilio.account_sid if auth_token else None,
            twilio_api_base_url=twilio.rest_url,
            **overrides,
        )
        runtime = Runtime.build(settings)
        await _reset_shared(runtime)
        app = create_app(runtime=runtime)
        app.state.speech = speech_models(settings)  # as `convonet serve` hands a worker its preloaded models
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        server = DrainingServer(config, app) if draining else uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
            yield PhoneServer(url, runtime, twilio, server, task)
        finally:
            for call in list(twilio.calls.values()):
                await call.close()
            server.should_exit = True
            if not task.done():
                await asyncio.wait_for(task, 30)
            await runtime.close()
            sock.close()
