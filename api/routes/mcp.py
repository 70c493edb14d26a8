"""`/mcp`: the MCP server over streamable HTTP, as the user named by the bearer access token.

The token is checked here, before the MCP SDK sees the request; the caller's id then rides
in the ASGI scope's state, which reaches the tool handler as the Starlette request in the
MCP request context.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.context import RequestContext
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api.deps import UNAUTHORIZED, access_token_session, client_address, device_signed_in, signed_in
from api.mcp_server import build_server
from bots.agent.agent import Agent
from core.models import User
from core.ratelimit import RateLimited, address_limit
from core.runtime import Runtime

PATH = "/mcp"
_USER_KEY = "mcp_user_id"


def caller_from_request(request_ctx: RequestContext[Any, Any, Any]) -> uuid.UUID:
    """The user `MCPEndpoint` authenticated for this HTTP request."""
    request = request_ctx.request
    state = request.scope.get("state", {}) if isinstance(request, Request) else {}
    user_id = state.get(_USER_KEY)
    if not isinstance(user_id, uuid.UUID):
        raise RuntimeError("MCP request reached a tool without an authenticated caller")
    return user_id


def _unauthorized() -> JSONResponse:
    return JSONResponse(
        {"detail": UNAUTHORIZED.detail}, status_code=UNAUTHORIZED.status_code, headers=UNAUTHORIZED.headers
    )


async def _authenticate(scope: Scope, runtime: Runtime) -> uuid.UUID | None:
    """The active user whose access token the request carries; None for anything else."""
    scheme, _, token = Request(scope).headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        user_id, version, sid = access_token_session(token.strip(), runtime.settings)
        await device_signed_in(runtime.store, user_id, sid)
        async with runtime.sessions() as session:
            return signed_in(await session.get(User, user_id), version).id
    except HTTPException:
        return None


class MCPEndpoint:
    """ASGI app for `/mcp`: 401 without a valid access token, else the stateless MCP manager."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        manager: StreamableHTTPSessionManager | None = getattr(state, "mcp_manager", None)
        if manager is None:  # the app's lifespan has not run (or has ended)
            response = JSONResponse({"detail": "The MCP server is not running."}, status_code=503)
            await response(scope, receive, send)
            return
        runtime: Runtime = state.runtime
        user_id = await _authenticate(scope, runtime)
        if user_id is None:
            # A wrong token is a sign-in attempt: counted against the address like a wrong password.
            request = Request(scope)
            try:
                await address_limit(runtime.settings).hit(runtime.store, client_address(request))
            except RateLimited as exc:
                limited = JSONResponse({"detail": exc.message}, status_code=429,
                                       headers={"Retry-After": str(exc.retry_after)})
                await limited(scope, receive, send)
                return
            await _unauthorized()(scope, receive, send)
            return
        scope = {**scope, "state": {**scope.get("state", {}), _USER_KEY: user_id}}
        await manager.handle_request(scope, receive, send)


def mount(app: FastAPI) -> None:
    """Serve `/mcp` on `app`; requests are answered while `serving(app, …)` is entered."""
    app.router.routes.append(Route(PATH, endpoint=MCPEndpoint(), include_in_schema=False))


@asynccontextmanager
async def serving(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    """Run the MCP session manager for the app's lifetime (enter it in the lifespan)."""

    async def agent() -> Agent:
        # Read at each call: the app's agent opens after this server (`voice.serving`).
        opened: Agent | None = getattr(app.state, "agent", None)
        if opened is None:
            raise RuntimeError("the agent is not open (the app's lifespan has not finished starting)")
        return opened

    server = build_server(runtime, caller_from_request, agent)
    # Stateless: every POST is a whole exchange, so any worker can answer any request;
    # JSON replies, since no tool streams progress.
    manager = StreamableHTTPSessionManager(server, stateless=True, json_response=True)
    async with manager.run():
        app.state.mcp_manager = manager
        try:
            yield
        finally:
            del app.state.mcp_manager
