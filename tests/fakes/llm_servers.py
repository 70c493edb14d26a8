"""Local stand-ins for the OpenAI and Anthropic HTTP APIs (Gemini: `gemini_server`), for testing the real client libraries.

Each server listens on 127.0.0.1 on a free port and follows one script: a request that offers
tools gets a tool call back; a request whose last message is a tool result gets a final text
answer. Every wire format is answered as JSON or, when the client asks for a stream (`"stream":
true`; Gemini's `:streamGenerateContent?alt=sse`), as server-sent events. `mode` turns a server
into a failing one: `"error"` answers 500, `"stall"` holds the request until `stall_seconds` pass
or the server closes, `"cut"` drops the connection half way through a streamed text answer (a
tool call still goes through whole).
`event_delay` paces a stream's events, as a model generating its words does; `events_written`
counts what has gone out. Every request is kept in `requests` for assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Self, TypeVar

from aiohttp import web

Mode = Literal["ok", "error", "stall", "cut"]
_R = TypeVar("_R", bound=web.StreamResponse)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Script:
    """What the fake model says: which tool it calls, with what, and its closing sentence."""

    tool_name: str = "create_todo"
    tool_args: dict[str, Any] = field(default_factory=lambda: {"title": "buy milk"})
    final_text: str = "Done, I added buy milk to your list."


class FakeLLMServer:
    """The HTTP plumbing the fakes share; subclasses speak one provider's dialect."""

    paths: tuple[str, ...] = ()
    """The POST routes answered, in aiohttp's syntax (`{model}` matches a part of one segment)."""
    provider: str = ""

    def __init__(
        self, script: Script | None = None, *, mode: Mode = "ok", stall_seconds: float = 60.0,
        event_delay: float = 0.0,
    ) -> None:
        self.script = script or Script()
        self.mode: Mode = mode
        self.stall_seconds = stall_seconds
        self.event_delay = event_delay
        self.events_written = 0
        self.requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> Self:
        app = web.Application()
        for path in self.paths:
            app.router.add_post(path, self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._release.set()  # lets stalled handlers finish instead of holding the shutdown
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """The address to give the provider's client as its base URL."""
        raise NotImplementedError

    # --- request handling -----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(RecordedRequest(request.path, headers, body, dict(request.query)))
        if self.mode == "error":
            return _closing(web.json_response(self._error_body(), status=500))
        if self.mode == "stall":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.stall_seconds)
            return _closing(web.json_response(self._error_body(), status=500))
        if self._last_is_tool_result(body) or not body.get("tools"):
            message = self._text_message(body)
        else:
            message = self._tool_call_message(body)
        if self._wants_stream(request, body):
            cut = self.mode == "cut" and (self._last_is_tool_result(body) or not body.get("tools"))
            return await self._stream(request, body, message, cut)
        return _closing(web.json_response(message))

    async def _stream(
        self, request: web.Request, body: dict[str, Any], message: dict[str, Any], cut: bool = False
    ) -> web.StreamResponse:
        response = _closing(
            web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        )
        await response.prepare(request)
        events = list(self._events(body, message))
        for i, event in enumerate(events):
            if cut and i >= len(events) // 2:
                assert request.transport is not None
                request.transport.abort()  # the connection drops in the middle of the answer
                return response
            if i and self.event_delay:
                await asyncio.sleep(self.event_delay)
            await response.write(event.encode())
            self.events_written += 1
        await response.write_eof()
        return response

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):04d}"

    # --- dialect --------------------------------------------------------------------------------
    def _wants_stream(self, request: web.Request, body: dict[str, Any]) -> bool:
        return bool(body.get("stream"))

    def _error_body(self) -> dict[str, Any]:
        raise NotImplementedError

    def _last_is_tool_result(self, body: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _tool_call_message(self, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _text_message(self, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _events(self, body: dict[str, Any], message: dict[str, Any]) -> Iterator[str]:
        raise NotImplementedError


class FakeOpenAIServer(FakeLLMServer):
    """`POST /v1/chat/completions` in the Chat Completions wire format."""

    paths = ("/v1/chat/completions",)
    provider = "openai"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def _error_body(self) -> dict[str, Any]:
        return {
            "error": {"message": "fake upstream failure", "type": "server_error", "code": None, "param": None}
        }

    def _last_is_tool_result(self, body: dict[str, Any]) -> bool:
        messages = body.get("messages") or []
        return bool(messages) and messages[-1].get("role") == "tool"

    def _completion(
        self, body: dict[str, Any], message: dict[str, Any], finish_reason: str
    ) -> dict[str, Any]:
        return {
            "id": self._next_id("chatcmpl-fake"),
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        }

    def _tool_call_message(self, body: dict[str, Any]) -> dict[str, Any]:
        call = {
            "id": self._next_id("call_fake"),
            "type": "function",
            "function": {"name": self.script.tool_name, "arguments": json.dumps(self.script.tool_args)},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return self._completion(body, message, "tool_calls")

    def _text_message(self, body: dict[str, Any]) -> dict[str, Any]:
        message = {"role": "assistant", "content": self.script.final_text}
        return self._completion(body, message, "stop")

    def _events(self, body: dict[str, Any], message: dict[str, Any]) -> Iterator[str]:
        choice = message["choices"][0]
        base = {k: message[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            data = base | {
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
            }
            return f"data: {json.dumps(data)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for i, call in enumerate(choice["message"].get("tool_calls") or []):
            fn = call["function"]
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": i,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": fn["name"], "arguments": ""},
                        }
                    ]
                }
            )
            args = fn["arguments"]
            for part in (args[: len(args) // 2], args[len(args) // 2 :]):
                yield chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
        text = choice["message"].get("content") or ""
        for word in _pieces(text):
            yield chunk({"content": word})
        yield chunk({}, choice["finish_reason"])
        if (body.get("stream_options") or {}).get("include_usage"):
            yield f"data: {json.dumps(base | {'choices': [], 'usage': message['usage']})}\n\n"
        yield "data: [DONE]\n\n"


class FakeAnthropicServer(FakeLLMServer):
    """`POST /v1/messages` in the Anthropic Messages wire format."""

    paths = ("/v1/messages",)
    provider = "anthropic"

    @property
    def base_url(self) -> str:
        return self.origin

    def _error_body(self) -> dict[str, Any]:
        return {"type": "error", "error": {"type": "api_error", "message": "fake upstream failure"}}

    def _last_is_tool_result(self, body: dict[str, Any]) -> bool:
        messages = body.get("messages") or []
        if not messages or messages[-1].get("role") != "user":
            return False
        content = messages[-1].get("content")
        return isinstance(content, list) and any(
            isinstance(block, dict) and block.get("type") == "tool_result" for block in content
        )

    def _message(
        self, body: dict[str, Any], content: list[dict[str, Any]], stop_reason: str
    ) -> dict[str, Any]:
        return {
            "id": self._next_id("msg_fake"),
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake"),
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 5},
        }

    def _tool_call_message(self, body: dict[str, Any]) -> dict[str, Any]:
        block = {
            "type": "tool_use",
            "id": self._next_id("toolu_fake"),
            "name": self.script.tool_name,
            "input": self.script.tool_args,
        }
        return self._message(body, [block], "tool_use")

    def _text_message(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._message(body, [{"type": "text", "text": self.script.final_text}], "end_turn")

    def _events(self, body: dict[str, Any], message: dict[str, Any]) -> Iterator[str]:
        def event(kind: str, data: dict[str, Any]) -> str:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

        start = message | {
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 12, "output_tokens": 1},
        }
        yield event("message_start", {"message": start})
        for index, block in enumerate(message["content"]):
            if block["type"] == "tool_use":
                yield event("content_block_start", {"index": index, "content_block": block | {"input": {}}})
                args = json.dumps(block["input"])
                for part in (args[: len(args) // 2], args[len(args) // 2 :]):
                    delta = {"type": "input_json_delta", "partial_json": part}
                    yield event("content_block_delta", {"index": index, "delta": delta})
            else:
                yield event(
                    "content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}
                )
                for word in _pieces(block["text"]):
                    yield event(
                        "content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": word}}
                    )
            yield event("content_block_stop", {"index": index})
        end = {"stop_reason": message["stop_reason"], "stop_sequence": None}
        yield event("message_delta", {"delta": end, "usage": {"output_tokens": 5}})
        yield event("message_stop", {})


def _closing(response: _R) -> _R:
    """No keep-alive: the clients' shared connection pools would otherwise outlive each test's event loop."""
    response.force_close()
    return response


def _pieces(text: str) -> list[str]:
    """`text` split after each space, so the streamed deltas join back to it exactly."""
    parts = text.split(" ")
    return [p + " " for p in parts[:-1]] + [parts[-1]] if text else []
