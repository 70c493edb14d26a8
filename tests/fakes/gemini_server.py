"""A local stand-in for the Gemini API (`generateContent`, and `streamGenerateContent` as SSE), for testing
Google's client libraries; the plumbing it shares with the others is in `llm_servers`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from tests.fakes.llm_servers import FakeLLMServer, _pieces


class FakeGeminiServer(FakeLLMServer):
    """The Gemini Developer API as google-genai calls it: `POST /v1beta/models/{model}:generateContent`,
    and `:streamGenerateContent?alt=sse` for a stream (no `"stream"` in the body). The key comes in
    the `x-goog-api-key` header; tools come as `tools[].functionDeclarations`, a tool call goes back
    as a `functionCall` part (no id: the client makes one up) and its result returns as a
    `functionResponse` part in a `user` turn."""

    paths = (
        "/v1beta/models/{model}:generateContent",
        "/v1beta/models/{model}:streamGenerateContent",
    )
    provider = "google"

    @property
    def base_url(self) -> str:
        return self.origin

    def _wants_stream(self, request: web.Request, body: dict[str, Any]) -> bool:
        return request.path.endswith(":streamGenerateContent")

    def _error_body(self) -> dict[str, Any]:
        return {"error": {"code": 500, "message": "fake upstream failure", "status": "INTERNAL"}}

    def _last_is_tool_result(self, body: dict[str, Any]) -> bool:
        contents = body.get("contents") or []
        if not contents or contents[-1].get("role") != "user":
            return False
        return any("functionResponse" in part for part in contents[-1].get("parts") or [])

    @staticmethod
    def _candidate(parts: list[dict[str, Any]], finish_reason: str | None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish_reason:
            candidate["finishReason"] = finish_reason
        return candidate

    def _response(self, parts: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "candidates": [self._candidate(parts, "STOP")],
            "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 5, "totalTokenCount": 17},
            "modelVersion": "gemini-fake",
            "responseId": self._next_id("resp_fake"),
        }

    def _tool_call_message(self, body: dict[str, Any]) -> dict[str, Any]:
        # Gemini ends a function-calling turn with STOP too; there is no "tool_calls" reason.
        return self._response(
            [{"functionCall": {"name": self.script.tool_name, "args": self.script.tool_args}}]
        )

    def _text_message(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._response([{"text": self.script.final_text}])

    def _events(self, body: dict[str, Any], message: dict[str, Any]) -> Iterator[str]:
        # Each event is a whole GenerateContentResponse holding the next parts; usage is cumulative
        # (here the whole turn's in every event), only the last one has the finish reason, and a
        # function call arrives in one piece.
        def event(data: dict[str, Any]) -> str:
            return f"data: {json.dumps(data)}\r\n\r\n"

        chunks: list[list[dict[str, Any]]] = []
        for part in message["candidates"][0]["content"]["parts"]:
            chunks.extend(
                [[{"text": word}] for word in _pieces(part["text"])] if "text" in part else [[part]]
            )
        for i, parts in enumerate(chunks):
            last = i == len(chunks) - 1
            yield event(message | {"candidates": [self._candidate(parts, "STOP" if last else None)]})
