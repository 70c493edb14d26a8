"""The offline default LLM: a LangChain chat model that turns utterances into tool calls with the grammar.

It is deterministic and needs no network: the latest human message is parsed into a call to one of the
bound tools (asking for missing arguments and confirming deletions first), and tool results are turned
into a short spoken reply. A goodbye sets `end_call=True` in `additional_kwargs` and `response_metadata`.
The domains of the caller's line come in the run's metadata (`LINE_DOMAINS`), as the agent sets it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from bots.llm.turns import END_CALL, PENDING, next_message

__all__ = ["END_CALL", "LINE_DOMAINS", "PENDING", "LocalIntentChatModel"]

LINE_DOMAINS = "convonet_line_domains"
"""Run metadata: the domains the caller's line serves, all the model says it can help with."""

_STATED_NOW = re.compile(r"(?i)\bnow\b\W+(?:[a-z]+,? )?(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d)")


class LocalIntentChatModel(BaseChatModel):
    """Grammar-driven chat model; `bind_tools` limits it to the bound tools' names and arguments."""

    tool_names: tuple[str, ...] | None = None
    """Tools it may call; None (unbound) means it answers in words only."""
    tool_args: dict[str, frozenset[str]] = Field(default_factory=dict)
    """Argument names of each bound tool; arguments a tool does not declare are dropped."""
    clock: Callable[[], datetime] = datetime.now
    """Local wall-clock time that relative dates ("tomorrow") are resolved against."""

    @property
    def _llm_type(self) -> str:
        return "convonet-local-intent"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"tools": self.tool_names}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """A copy of the model that may call exactly these tools."""
        names: list[str] = []
        args: dict[str, frozenset[str]] = {}
        for tool in tools:
            function = convert_to_openai_tool(tool)["function"]
            names.append(function["name"])
            properties = function.get("parameters", {}).get("properties")
            if properties:
                args[function["name"]] = frozenset(properties)
        return self.model_copy(update={"tool_names": tuple(names), "tool_args": args})

    def decide(self, messages: Sequence[BaseMessage], serves: Collection[str] | None = None) -> AIMessage:
        """The next AI message for `messages` (no callbacks, no LangChain run); `serves`: the line's domains."""
        tools = self.tool_names if self.tool_names is not None else ()
        return next_message(messages, self.now(messages), tools, self.tool_args, serves)

    def now(self, messages: Sequence[BaseMessage]) -> datetime:
        """The caller's local time: stated in a system message ("Local time now: Monday 2026-11-23 10:00"),
        else `clock()`."""
        for message in reversed(messages):
            if isinstance(message, SystemMessage) and (m := _STATED_NOW.search(message.text)):
                return datetime.fromisoformat(f"{m[1]}T{m[2]}")
        return self.clock()

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.decide(messages, _serves(run_manager)))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # reading a sentence takes milliseconds of CPU: not on the event loop that carries the calls' audio
        message = await asyncio.to_thread(self.decide, messages, _serves(run_manager))
        return ChatResult(generations=[ChatGeneration(message=message)])


def _serves(run: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None) -> list[str] | None:
    domains = run.metadata.get(LINE_DOMAINS) if run is not None else None
    return [str(d) for d in domains] if isinstance(domains, list | tuple) else None
