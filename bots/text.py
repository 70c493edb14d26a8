"""Text doors to the agent: `convonet say` (one utterance, JSON out) and `convonet chat` (a REPL)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bots.agent.agent import Agent, AgentSession
from core import accounts
from core.errors import NotFound
from core.runtime import Runtime
from core.tools import ToolContext


@asynccontextmanager
async def text_session(runtime: Runtime, email: str, thread_id: str | None = None) -> AsyncIterator[AgentSession]:
    async with runtime.sessions() as session:
        user = await accounts.get_user_by_email(session, email)
    if user is None or not user.is_active:
        raise NotFound(f"No active user has the email {email}.")
    async with Agent.open(runtime) as agent:
        ctx = ToolContext.for_user(runtime, user.id, channel="text", caller_name=user.first_name or user.username)
        yield agent.session(ctx, thread_id or f"text-{user.id}")


async def say(runtime: Runtime, email: str, text: str, thread_id: str | None = None) -> dict[str, object]:
    async with text_session(runtime, email, thread_id) as session:
        result = await session.turn(text)
        await runtime.background.drain()
        return result.as_json()


async def chat(runtime: Runtime, email: str, thread_id: str | None = None) -> None:
    async with text_session(runtime, email, thread_id) as session:
        print(f"Convonet chat as {email} (thread {session.thread_id}); Ctrl-D to leave.")
        while True:
            try:
                line = (await asyncio.to_thread(input, "you> ")).strip()
            except EOFError:
                print()
                return
            if not line:
                continue
            result = await session.turn(line)
            calls = ", ".join(c.name for c in result.tool_calls)
            print(f"bot> {result.reply}" + (f"   [{calls}]" if calls else ""), flush=True)
            if result.end_call:
                return


def print_json(data: dict[str, object]) -> None:
    json.dump(data, sys.stdout, default=str)
    sys.stdout.write("\n")
