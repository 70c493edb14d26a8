"""The LLM fallback chain: which chat models a turn may use, in order, and how a turn moves down it.

`build_chat_models` turns `LLM_PROVIDERS` into tool-bound chat models (cloud providers need
their key; the offline `local` model always closes the list). `invoke_with_fallback` gives
each model a time budget and hands the turn to the next one on an error or a stall, so a
caller hears an answer from whichever provider is up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessageChunk, message_chunk_to_message
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import BaseTool

from core.config import Settings
from core.logging import report_exception

log = logging.getLogger(__name__)

ChatRunnable: TypeAlias = Runnable[LanguageModelInput, AIMessage]
ToolLike: TypeAlias = dict[str, Any] | type | Callable[..., Any] | BaseTool

CLOUD_PROVIDERS = ("anthropic", "openai", "google")
LOCAL = "local"


class AllProvidersFailed(RuntimeError):
    """Every model in the fallback list failed or stalled on this turn."""

    def __init__(self, failures: Sequence[tuple[str, BaseException]]) -> None:
        self.failures = list(failures)
        detail = (
            "; ".join(f"{name}: {_describe(exc)}" for name, exc in self.failures) or "no models configured"
        )
        super().__init__(f"no LLM provider answered ({detail})")


def build_chat_models(
    settings: Settings,
    tools: Sequence[ToolLike],
    *,
    local: BaseChatModel | None = None,
) -> list[tuple[str, ChatRunnable]]:
    """The fallback list from `settings.llm_providers`, each model bound to `tools`, ending with `local`.

    A cloud provider without its API key is skipped (and logged); unknown names are refused.
    `local` is the offline intent model to use; by default a `LocalIntentChatModel` is built.
    """
    unknown = [name for name in settings.llm_providers if name not in (*CLOUD_PROVIDERS, LOCAL)]
    if unknown:
        raise ValueError(f"unknown LLM provider(s) {unknown}; choose from {[*CLOUD_PROVIDERS, LOCAL]}")
    names = [name for name in dict.fromkeys(settings.llm_providers) if name != LOCAL] + [LOCAL]
    models: list[tuple[str, ChatRunnable]] = []
    for name in names:
        model = _local_model(local) if name == LOCAL else _cloud_model(name, settings)
        if model is not None:
            models.append((name, model.bind_tools(list(tools))))
    log.info("LLM fallback order: %s", " -> ".join(name for name, _ in models))
    return models


async def invoke_with_fallback(
    models: Sequence[tuple[str, ChatRunnable]],
    messages: LanguageModelInput,
    *,
    per_model_timeout: float,
    config: RunnableConfig | None = None,
) -> tuple[str, AIMessage]:
    """Ask each model in turn, giving each `per_model_timeout` seconds; return who answered and what.

    An exception or a stall moves the turn to the next model; each failure is logged and reported.
    `config` is passed to the model so callbacks (LangGraph streaming, tracing) still see the call.
    Raises `AllProvidersFailed` when none answers.
    """

    async def ask(model: ChatRunnable) -> AIMessage:
        async with asyncio.timeout(per_model_timeout):
            return await model.ainvoke(messages, config)

    return await _first_answer(models, ask, per_model_timeout)


class ReplyCutOff(RuntimeError):
    """A provider failed after part of its reply was already passed on (spoken): no other provider
    may start the reply again."""


TextSink = Callable[[str], Awaitable[None]]


async def stream_with_fallback(
    models: Sequence[tuple[str, ChatRunnable]],
    messages: LanguageModelInput,
    *,
    per_model_timeout: float,
    on_text: TextSink,
) -> tuple[str, AIMessage]:
    """Like `invoke_with_fallback`, but each model's answer is streamed: every piece of text is handed
    to `on_text` as it arrives (the voice starts on the first words, not the last), and the whole
    message, tool calls included, is returned at the end.

    `per_model_timeout` bounds the wait for a model's first piece; after it the turn's own budget
    applies. An error or a stall before any text moves the turn to the next model, as with
    `invoke_with_fallback`; after text was passed on it raises `ReplyCutOff` instead, since the
    next model would start the reply over. A model that cannot stream (the offline intent model)
    answers in one piece."""

    async def ask(model: ChatRunnable) -> AIMessage:
        return await _stream_one(model, messages, per_model_timeout, on_text)

    return await _first_answer(models, ask, per_model_timeout)


async def _first_answer(models: Sequence[tuple[str, ChatRunnable]], ask: Callable[[ChatRunnable], Awaitable[AIMessage]],
                        per_model_timeout: float) -> tuple[str, AIMessage]:
    """Ask each model in turn; an error or a stall (a `TimeoutError` within `per_model_timeout`) is
    logged and reported and hands the turn to the next one; a reply cut off after it was passed on
    does not."""
    failures: list[tuple[str, BaseException]] = []
    for name, model in models:
        try:
            reply = await ask(model)
        except TimeoutError as exc:  # streamed: no first piece in time (a stall later is the turn budget's)
            log.warning("LLM %s gave no answer within %.1fs; trying the next provider", name, per_model_timeout)
            report_exception(exc)
            failures.append((name, exc))
        except _CutOff as cut:
            raise ReplyCutOff(f"LLM {name} failed in the middle of its reply: {_describe(cut.error)}") from cut.error
        # Providers fail in many ways (HTTP status, transport, parsing); any of them hands the turn on.
        except Exception as exc:
            log.warning("LLM %s failed (%s); trying the next provider", name, _describe(exc), exc_info=exc)
            report_exception(exc)
            failures.append((name, exc))
        else:
            return name, reply
    raise AllProvidersFailed(failures)


class _CutOff(Exception):
    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


async def _stream_one(model: ChatRunnable, messages: LanguageModelInput, first_within: float,
                      on_text: TextSink) -> AIMessage:
    chunks = aiter(model.astream(messages))
    total: BaseMessageChunk | None = None
    said = False
    try:
        while True:
            try:
                if total is None:
                    chunk = await asyncio.wait_for(anext(chunks), first_within)
                else:
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except Exception as exc:
                if said:
                    raise _CutOff(exc) from exc
                raise
            if not isinstance(chunk, BaseMessageChunk):  # a runnable that answers in one piece
                if chunk.text:
                    await on_text(chunk.text)
                return chunk
            total = chunk if total is None else total + chunk
            if text := chunk.text:
                said = True
                await on_text(text)
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
    if total is None:
        return AIMessage("")
    reply = message_chunk_to_message(total)
    if not isinstance(reply, AIMessage):
        raise TypeError(f"the model streamed a {type(reply).__name__}, not an AI message")
    return reply


def _cloud_model(name: str, settings: Settings) -> BaseChatModel | None:
    timeout = settings.turn_timeout_seconds
    # Retries are off: a retry inside the client spends the turn's budget that the next provider needs.
    if name == "anthropic":
        if not settings.anthropic_api_key:
            log.info("LLM provider anthropic skipped: ANTHROPIC_API_KEY is not set")
            return None
        from langchain_anthropic import ChatAnthropic

        return ChatAnthropic(
            model=settings.anthropic_model,
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            timeout=timeout,
            max_retries=0,
        )
    if name == "openai":
        if not settings.openai_api_key:
            log.info("LLM provider openai skipped: OPENAI_API_KEY is not set")
            return None
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=timeout,
            max_retries=0,
        )
    if not settings.google_api_key:
        log.info("LLM provider google skipped: GOOGLE_API_KEY is not set")
        return None
    from langchain_google_genai import ChatGoogleGenerativeAI

    model = ChatGoogleGenerativeAI(
        model=settings.gemini_model,
        google_api_key=settings.google_api_key,
        base_url=settings.google_base_url,
        vertexai=False,
        timeout=timeout,
        # The Google SDK reads 0 as "its default number of retries"; 1 means a single attempt.
        max_retries=1,
    )
    _keep_to_the_gemini_api(model, settings.google_api_key)
    return model


def _keep_to_the_gemini_api(model: BaseChatModel, api_key: str) -> None:
    """The Gemini API with the key from settings, whatever the environment says: langchain builds the
    google-genai Client without saying which backend, and the Client then reads GOOGLE_GENAI_USE_VERTEXAI
    (or ..._ENTERPRISE) and would send the turn to Vertex AI. Rebuild it, told, with the same options."""
    client = getattr(model, "client", None)
    inner = getattr(client, "_api_client", None)
    if inner is None or not getattr(inner, "vertexai", False):
        return
    from google.genai import Client
    from google.genai.types import HttpOptions

    made = inner._http_options  # the Vertex client's: its base URL and headers are ours, its version is not
    options = HttpOptions(base_url=made.base_url, api_version=getattr(model, "api_version", None),
                          headers={k: v for k, v in (made.headers or {}).items() if k.lower() == "user-agent"},
                          client_args=made.client_args, async_client_args=made.async_client_args)
    told = Client(vertexai=False, api_key=api_key, http_options=options)
    object.__setattr__(model, "client", told)
    cleanup = getattr(model, "_client_cleanup", None)
    if cleanup is not None:  # langchain closes the client it made when the model goes; this one instead
        object.__setattr__(model, "_client_cleanup", type(cleanup)(told))


def _local_model(local: BaseChatModel | None) -> BaseChatModel:
    if local is not None:
        return local
    from bots.llm.local import LocalIntentChatModel

    return LocalIntentChatModel()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
