"""The graph: route → assistant ⇄ tools (joined by tools_condition).

One compiled graph serves every session of the process; the caller's ToolContext and the
turn's trace travel in the run's typed context (`TurnContext`), never in module state.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import tools_condition
from langgraph.runtime import Runtime

from bots.agent.context import TurnContext
from bots.agent.prompts import system_prompt
from bots.agent.router import route
from bots.agent.state import AgentState
from bots.external_tools import call_outside_tool
from bots.llm.providers import ChatRunnable, TextSink, invoke_with_fallback, stream_with_fallback
from core.tools import ToolSpec, run_tool

HISTORY_LIMIT = 24
"""Messages sent to the model per call; older ones stay in the checkpoint but not in the prompt."""

ModelChain = Sequence[tuple[str, ChatRunnable]]


class BrokenThread(RuntimeError):
    """The thread's last AI message has a tool call with no result (a turn cut off midway): no model may be
    given that history, so the turn stops before any is asked and the session moves to a fresh thread."""


def dangling_call(messages: Sequence[BaseMessage]) -> bool:
    """True when the last AI message of `messages` has a tool call with no result among them."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            return any(call["id"] not in answered for call in message.tool_calls)
    return False


def _recent(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The last HISTORY_LIMIT messages, never starting on a tool result whose call was cut off."""
    recent = list(messages[-HISTORY_LIMIT:])
    while recent and not isinstance(recent[0], HumanMessage):
        recent.pop(0)
    return recent


def build_graph(
    models: Mapping[str, ModelChain],
    specs: Sequence[ToolSpec],
    external: Sequence[BaseTool],
    checkpointer: BaseCheckpointSaver[Any] | None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """`models` maps each domain to its provider chain, each model already bound to that domain's tools."""
    by_name = {spec.name: spec for spec in specs}
    outside = {t.name: t for t in external}

    async def route_node(state: AgentState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        t0 = time.perf_counter()
        runtime.context.trace.routed = True
        # checked here, on the state the run has read anyway: a read of its own cost a turn a second
        # decoding of the whole conversation (README "The CPU of an agent turn")
        if dangling_call(state["messages"][:-1]):
            raise BrokenThread("tool call without a result")
        last = state["messages"][-1]
        text = last.content if isinstance(last.content, str) else ""
        ctx = runtime.context.ctx
        # reading the sentence (templates, intent model) is ~2-12 ms of CPU: off the loop that carries the calls' audio
        domain = await asyncio.to_thread(route, text, state.get("domain"), ctx.now_local(), ctx.domains)
        runtime.context.trace.route_ms = (time.perf_counter() - t0) * 1000
        return {"domain": domain}

    async def assistant(state: AgentState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        ctx = runtime.context.ctx
        domain = state.get("domain") or "productivity"
        prompt = system_prompt(domain, ctx.now_local(), ctx.caller_name, ctx.line_name, ctx.contact_id is not None)
        messages = [SystemMessage(prompt), *_recent(state["messages"])]
        t0 = time.perf_counter()
        trace = runtime.context.trace
        on_text: TextSink | None = runtime.context.on_text
        if on_text is not None and ctx.transfer is None:  # after a transfer the channel speaks for itself
            async def heard(text: str) -> None:
                if trace.first_text_ms is None:
                    trace.first_text_ms = trace.since_start_ms()
                await on_text(text)

            provider, reply = await stream_with_fallback(
                models[domain], messages, per_model_timeout=ctx.settings.llm_timeout_seconds, on_text=heard
            )
        else:
            provider, reply = await invoke_with_fallback(
                models[domain], messages, per_model_timeout=ctx.settings.llm_timeout_seconds
            )
        trace.llm(provider, (time.perf_counter() - t0) * 1000, first_choice=models[domain][0][0])
        if trace.first_text_ms is None and reply.content and not reply.tool_calls:
            trace.first_text_ms = trace.since_start_ms()
        return {"messages": [reply]}

    async def tools(state: AgentState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
        ctx = runtime.context.ctx
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        results: list[ToolMessage] = []
        for call in last.tool_calls:
            name, call_id = call["name"], call["id"] or ""
            if name in by_name:
                result = await run_tool(by_name[name], ctx, call["args"])
                content, status = json.dumps(result.for_model(), default=str), "success" if result.ok else "error"
            elif name in outside:
                content, worked = await call_outside_tool(outside[name], ctx, call["args"], call_id)
                status = "success" if worked else "error"
            else:
                content, status = json.dumps({"error": f"There is no tool called {name}."}), "error"
            results.append(ToolMessage(content=content, tool_call_id=call_id, name=name, status=status))
        return {"messages": results}

    graph = StateGraph(AgentState, context_schema=TurnContext)
    graph.add_node("route", route_node)
    graph.add_node("assistant", assistant)
    graph.add_node("tools", tools)
    graph.add_edge(START, "route")
    graph.add_edge("route", "assistant")
    graph.add_conditional_edges("assistant", tools_condition)
    graph.add_edge("tools", "assistant")
    return graph.compile(checkpointer=checkpointer)
