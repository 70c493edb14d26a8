"""A cap on request bodies: no route reads more than MAX_REQUEST_BODY_BYTES of anyone's upload.

A declared `Content-Length` over the cap is answered 413 before the app runs; a body sent without
one (chunked) is counted as it arrives, and the read that passes the cap raises the same 413
(an HTTPException, which FastAPI passes through its body parsing untouched). Websockets are
capped by the server's message-size limit instead.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = "The request body is too large."


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


class BodySizeLimit:
    """ASGI middleware: 413 for a request whose body is over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await JSONResponse({"detail": TOO_LARGE}, status_code=413, headers={"Connection": "close"})(
                scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)
