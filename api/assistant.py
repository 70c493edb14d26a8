"""One turn of the assistant in words, for a signed-in user: what `POST /api/assistant/say` and the
MCP tool `ask_assistant` both run. It is the process's one agent, so a sentence is understood as it
would be on a call or by `convonet say`.

A thread id names its owner (`assistant-<user id>-<random>`), so a conversation survives restarts
with the agent's checkpointer and no other record, and one user cannot continue another's.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from bots.agent.agent import Agent
from core import monitor
from core.errors import NotFound
from core.models import User
from core.tools import ToolContext

MAX_TEXT = 2000
MAX_THREAD_ID = 200
THREAD_PREFIX = "assistant"


class SayIn(BaseModel):
    """What the caller says, and the conversation it belongs to."""

    text: str = Field(
        description="What the caller says, in plain words (1 to 2000 characters).",
        json_schema_extra={"minLength": 1, "maxLength": MAX_TEXT},
        examples=["add a todo to water the tomato plants"],
    )
    thread_id: str | None = Field(
        default=None,
        max_length=MAX_THREAD_ID,
        description="The `thread_id` of an earlier reply, to continue that conversation; null starts a new one.",
    )

    @field_validator("text")
    @classmethod
    def _said_something(cls, text: str) -> str:
        words = text.strip()
        if not words:
            raise ValueError("The text is empty: say something to the assistant.")
        if len(words) > MAX_TEXT:
            raise ValueError(f"The text is {len(words)} characters long; the assistant takes at most {MAX_TEXT}.")
        return words


class ToolCallOut(BaseModel):
    """A tool the agent ran during the turn, and how it went."""

    name: str
    arguments: dict[str, Any]
    ok: bool
    error: str | None
    elapsed_ms: float
    result: Any = None


class AssistantReply(BaseModel):
    """The assistant's answer to one utterance."""

    reply: str = Field(description="What the assistant says back.")
    tool_calls: list[ToolCallOut] = Field(description="The tools the assistant ran for this turn, in order.")
    domain: str = Field(description="The domain agent that answered (a name from the domain registry).")
    thread_id: str = Field(description="Send it back with the next utterance to continue this conversation.")
    end_call: bool = Field(description="True when the caller said goodbye and the conversation is over.")


def validation_sentence(exc: ValidationError) -> str:
    """The problems with a `SayIn`, as one sentence for a model to act on."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "arguments"
        reason = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
        problems.append(f"{where}: {str(reason or error['msg']).rstrip('.')}")
    return "; ".join(problems) + "."


def new_thread_id(user_id: uuid.UUID) -> str:
    return f"{THREAD_PREFIX}-{user_id.hex}-{uuid.uuid4().hex}"


def owned_thread_id(user_id: uuid.UUID, thread_id: str | None) -> str:
    """`thread_id` if the user may continue it, a new thread of theirs for None; NotFound otherwise
    (another user's thread is reported as missing, not as forbidden)."""
    if thread_id is None:
        return new_thread_id(user_id)
    if not thread_id.startswith(f"{THREAD_PREFIX}-{user_id.hex}-"):
        raise NotFound("There is no conversation with that thread_id; leave it out to start a new one.")
    return thread_id


async def ask(agent: Agent, user: User, said: SayIn, *, channel: str) -> AssistantReply:
    """Run one agent turn for `user`. A turn that fails or times out answers with the agent's apology
    and a fresh thread (the agent's own reset); only a thread the user does not own raises."""
    thread_id = owned_thread_id(user.id, said.thread_id)
    ctx = ToolContext.for_user(agent.runtime, user.id, channel=channel, caller_name=user.first_name or user.username)
    ctx.listeners.append(monitor.tool_listener(agent.runtime.store, channel))
    result = await agent.session(ctx, thread_id).turn(said.text)
    return AssistantReply(
        reply=result.reply,
        tool_calls=[ToolCallOut.model_validate(call.as_json()) for call in result.tool_calls],
        domain=result.domain,
        # After a reset the agent continues on a thread id of its own making; hand out one the
        # caller owns instead (the reset thread holds at most this turn, the conversation restarts).
        thread_id=new_thread_id(user.id) if result.reset else result.thread_id,
        end_call=result.end_call,
    )
