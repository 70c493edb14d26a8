"""`POST /api/assistant/say`: talk to the assistant in words, as the logged-in user.

The same turn as a call or `convonet say` (see `api.assistant`), run by the app's one agent.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from api.assistant import AssistantReply, SayIn, ask
from api.deps import CurrentUserNoSession
from api.voice import get_agent

router = APIRouter(prefix="/api/assistant", tags=["assistant"])


@router.post(
    "/say",
    responses={
        status.HTTP_404_NOT_FOUND: {"description": "The thread_id is not one of the caller's conversations."},
    },
)
async def say(said: SayIn, user: CurrentUserNoSession, request: Request) -> AssistantReply:
    """Say one thing to the assistant and get its reply. Send the reply's `thread_id` back to
    continue the conversation (to answer its question, or say "yes" to what it asked to confirm).
    A turn that goes wrong is answered with the assistant's apology, not an error status."""
    return await ask(get_agent(request), user, said, channel="api")
