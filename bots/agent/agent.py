"""The agent a process runs: one compiled graph, one session per call or chat thread.

A turn has a budget (TURN_TIMEOUT, 10 s by default). When it runs out, or the thread holds a
tool call with no result, the thread is replaced by a fresh one and the caller hears a
one-sentence apology — never silence, never a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.graph.state import CompiledStateGraph

from bots.agent.checkpoint import open_checkpointer
from bots.agent.context import TurnContext
from bots.agent.graph import BrokenThread, ModelChain, build_graph
from bots.agent.trace import TurnTrace
from bots.llm.local import LINE_DOMAINS
from bots.llm.providers import TextSink, build_chat_models
from core.grammar import registry as grammar_registry
from core.logging import report_exception
from core.runtime import Runtime
from core.tools import ToolContext, ToolEvent, ToolSpec, TransferRequest
from domains import registry
from speech.models import SpeechModels

log = logging.getLogger(__name__)

APOLOGY = "Sorry, that took me too long and I lost my place; could you say that again?"
ERROR_APOLOGY = "Sorry, something went wrong on my side; could you say that again?"


def _warm_understanding() -> None:
    """Build what the offline model reads sentences with (about two seconds) before the first call needs it."""
    grammar_registry.default_interpreter().parser.warm()


def tool_schema(spec: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": spec.name, "description": spec.description, "parameters": spec.input_schema()},
    }


def domain_tools(specs: list[ToolSpec], domain: str) -> list[ToolSpec]:
    """A domain agent's tools: its own, plus transfer (a caller may ask for a person anywhere)."""
    return [s for s in specs if s.domain in (domain, "transfer")]


@dataclass
class TurnResult:
    reply: str
    domain: str
    thread_id: str
    tool_calls: list[ToolEvent]
    timings: dict[str, Any]
    end_call: bool = False
    transfer: TransferRequest | None = None
    reset: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "reply": self.reply,
            "tool_calls": [call.as_json() for call in self.tool_calls],
            "domain": self.domain,
            "thread_id": self.thread_id,
            "timings": self.timings,
            "end_call": self.end_call,
            "transfer": asdict(self.transfer) if self.transfer else None,
            "reset": self.reset,
        }


class Agent:
    """Process-wide: the graph, its checkpointer and the provider chains per domain, and the offline
    speech models its calls hear and speak with (`speech`: the server's, or its own made on open)."""

    def __init__(self, runtime: Runtime, graph: CompiledStateGraph[Any, Any, Any, Any],
                 speech: SpeechModels | None = None) -> None:
        self.runtime = runtime
        self.graph = graph
        self.speech = speech if speech is not None else SpeechModels(runtime.settings)
        self._threads: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def thread_lock(self, thread_id: str) -> asyncio.Lock:
        """One turn at a time per conversation in this process: two sentences sent at once on one thread
        (two browser tabs, a retried request) are answered in turn, neither overwriting the other's
        messages."""
        lock = self._threads.get(thread_id)
        if lock is None:
            lock = self._threads[thread_id] = asyncio.Lock()
        return lock

    @classmethod
    @asynccontextmanager
    async def open(cls, runtime: Runtime, *, external: list[Any] | None = None,
                   speech: SpeechModels | None = None) -> AsyncIterator[Agent]:
        """The agent for `runtime`'s lifetime. Without the server's `speech` models it makes its own and
        stops their worker processes when it closes."""
        specs = registry.all_tools()
        grammar_registry.install(registry.grammar_set())  # core reads the domains' grammars from here on
        grammar_registry.installed().use_cache(runtime.settings.data_dir / "understanding")
        await asyncio.to_thread(_warm_understanding)  # templates, intent model and argument shapes, off the loop
        async with AsyncExitStack() as stack:
            if speech is None:
                speech = SpeechModels(runtime.settings)
                stack.push_async_callback(asyncio.to_thread, speech.close)  # joins worker processes
            checkpointer = await stack.enter_async_context(open_checkpointer(runtime.settings))
            outside: list[Any] = list(external or [])
            if external is None and runtime.settings.mcp_servers:  # their sessions open while the agent is
                from bots.external_tools import open_external_tools

                outside = await stack.enter_async_context(open_external_tools(runtime.settings))
            models: dict[str, ModelChain] = {}
            for domain in registry.names():
                schemas: list[Any] = [tool_schema(s) for s in domain_tools(specs, domain)]
                schemas += [convert_to_openai_tool(t) for t in outside]
                models[domain] = build_chat_models(runtime.settings, schemas)
            yield cls(runtime, build_graph(models, specs, outside, checkpointer), speech)

    def session(self, ctx: ToolContext, thread_id: str | None = None) -> AgentSession:
        return AgentSession(self, ctx, thread_id or f"thread-{uuid.uuid4().hex}")


@dataclass
class AgentSession:
    """One conversation: a call, a browser session, or a chat thread."""

    agent: Agent
    ctx: ToolContext
    thread_id: str
    _events: list[ToolEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ctx.thread_id = self.thread_id
        self.ctx.listeners.append(self._collect)

    async def _collect(self, event: ToolEvent) -> None:
        self._events.append(event)

    def _config(self) -> RunnableConfig:
        config: RunnableConfig = {"configurable": {"thread_id": self.thread_id}, "recursion_limit": 16}
        if self.ctx.domains is not None:  # the offline model offers only what the caller's line serves
            config["metadata"] = {LINE_DOMAINS: list(self.ctx.domains)}
        return config

    def reset(self, why: str) -> None:
        old = self.thread_id
        self.thread_id = f"thread-{uuid.uuid4().hex}"
        self.ctx.thread_id = self.thread_id
        log.warning("agent thread %s reset (%s); new thread %s", old, why, self.thread_id)

    async def turn(self, text: str, on_text: TextSink | None = None) -> TurnResult:
        """Answer one utterance. With `on_text`, the models' text is handed over piece by piece as it
        is generated (`stream_with_fallback`), every model call of the turn included; the result's
        `reply` is still the last message's text. Turns on one thread wait for each other."""
        async with self.agent.thread_lock(self.thread_id):
            return await self._turn(text, on_text)

    async def _turn(self, text: str, on_text: TextSink | None) -> TurnResult:
        trace = TurnTrace()
        self._events = []
        self.ctx.transfer = None
        reset = False
        domain = "productivity"
        try:
            async with asyncio.timeout(self.agent.runtime.settings.turn_timeout_seconds):
                try:
                    state = await self._run(text, trace, on_text)
                except BrokenThread as exc:  # the thread holds a tool call with no result: start afresh
                    self.reset(str(exc))
                    reset = True
                    state = await self._run(text, trace, on_text)
            last = state["messages"][-1]
            domain = state.get("domain", domain)
            reply = last.text if isinstance(last, AIMessage) else ""  # text blocks joined (a streamed Claude reply is a list)
            end_call = bool(isinstance(last, AIMessage) and last.additional_kwargs.get("end_call"))
        except TimeoutError as exc:
            self._fail("turn timed out", exc)
            reply, end_call, reset = APOLOGY, False, True
        except Exception as exc:  # the caller hears an apology; the error goes to logs and Sentry
            if not trace.routed:
                raise  # the thread could not be read (the checkpointer): the channel apologises, the thread stays
            self._fail(f"turn failed: {type(exc).__name__}: {exc}", exc)
            reply, end_call, reset = ERROR_APOLOGY, False, True
        total = trace.since_start_ms()
        return TurnResult(
            reply=reply,
            domain=domain,
            thread_id=self.thread_id,
            tool_calls=list(self._events),
            timings={
                "route_ms": round(trace.route_ms, 2),
                "llm": trace.llm_calls,
                "tools_ms": round(sum(e.elapsed_ms for e in self._events), 2),
                "total_ms": round(total, 2),
            },
            end_call=end_call,
            transfer=self.ctx.transfer,
            reset=reset,
        )

    async def _run(self, text: str, trace: TurnTrace, on_text: TextSink | None) -> dict[str, Any]:
        state: dict[str, Any] = await self.agent.graph.ainvoke(
            {"messages": [HumanMessage(text)]}, self._config(), context=TurnContext(self.ctx, trace, on_text))
        return state

    def _fail(self, why: str, exc: BaseException) -> None:
        log.error("agent %s on thread %s", why, self.thread_id)
        report_exception(exc)
        self.reset(why)
