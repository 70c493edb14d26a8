"""The voice resources an app loads once for every call: the agent (graph + checkpointer) and the speech
models (`SpeechModels`: the VAD/turn sessions, the offline recognisers and voice)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.requests import HTTPConnection

from bots.agent.agent import Agent
from bots.speech import check_speech_settings, make_stt, make_tts
from core.grammar import registry as grammar_registry
from core.runtime import Runtime
from domains import registry
from speech.audio import PHONE_RATE
from speech.models import SpeechModels


@asynccontextmanager
async def serving(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    """Open the agent for the app's lifetime (reusing one already open) and load the speech models: the
    app's own `SpeechModels` (``app.state.speech``, made here unless `convonet serve` preloaded one
    before forking), whose worker processes and threads stop with the app."""
    if getattr(app.state, "agent", None) is not None:
        yield
        return
    check_speech_settings(runtime.settings)
    grammar_registry.install(registry.grammar_set())  # the speech model is built from them, before the agent
    speech: SpeechModels | None = getattr(app.state, "speech", None)
    if speech is None:
        speech = app.state.speech = SpeechModels(runtime.settings)
    try:
        await asyncio.to_thread(speech.warm_up)
        async with Agent.open(runtime, speech=speech) as agent:
            app.state.agent = agent
            make_stt(runtime.settings, PHONE_RATE, speech)  # what a call imports first (its providers' services),
            make_tts(runtime.settings, PHONE_RATE, speech)  # imported now, to be frozen with the rest
            freeze_what_is_loaded()
            try:
                yield
            finally:
                app.state.agent = None
    finally:
        await asyncio.to_thread(speech.close)


_frozen = False


def freeze_what_is_loaded() -> None:
    """Once per process, when the models, the grammar and the agent are loaded: move every object alive now
    out of the garbage collector's reach (`gc.freeze`). They live as long as the process, yet each full
    collection walked all of them: ~300 ms with every thread stopped, on the 2-core machine, a few times
    a minute with 20 offline calls talking, and the calls speaking then heard a 300 ms hole in their
    audio (tests/benchmarks/test_bench_capacity.py; README "Capacity"). Once only: a process that starts several
    apps (the tests) would otherwise keep every unreachable cycle of the ones before."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def get_agent(connection: HTTPConnection) -> Agent:
    """The app's agent; works for HTTP requests and websockets alike."""
    agent: Agent | None = getattr(connection.app.state, "agent", None)
    if agent is None:
        raise RuntimeError("the voice agent is not open (the app's lifespan has not run)")
    return agent


def get_runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime
