"""Cloud chat models against the fake servers: the settings, a stand-in offline model, the tool and the
conversations the provider tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from core.config import Settings
from tests.fakes.llm_servers import RecordedRequest

ASK = [HumanMessage("add buy milk to my todo list")]
AFTER_TOOL = [
    *ASK,
    AIMessage("", tool_calls=[{"name": "create_todo", "args": {"title": "buy milk"}, "id": "toolu_01"}]),
    ToolMessage("created todo 'buy milk'", tool_call_id="toolu_01"),
]
"""A conversation the model answers with text (its tool call already has a result)."""


@tool
async def create_todo(title: str) -> str:
    """Add a todo with this title to the caller's list."""
    return f"created todo {title!r}"


class StandInLocal(BaseChatModel):
    """Stands in for the offline intent model so these tests don't depend on its grammar."""

    reply: str = "local answer"
    fail: bool = False

    @property
    def _llm_type(self) -> str:
        return "stand-in-local"

    def bind_tools(self, tools: Any, **kwargs: Any) -> StandInLocal:  # type: ignore[override]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.fail:
            raise RuntimeError("local model broke")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.reply))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop)


def llm_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"environment": "development", "data_dir": tmp_path, "_env_file": None}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]



def asked_for_a_stream(request: RecordedRequest) -> bool:
    if request.path.startswith("/v1beta/models/"):  # Gemini: a method of its own, and SSE by query
        return request.path.endswith(":streamGenerateContent") and request.query == {"alt": "sse"}
    return request.body.get("stream") is True
