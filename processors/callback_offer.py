"""What follows a transfer nobody took: the offer of a call back, the caller's voice message, and the
request in the staff callback queue (`domains.transfer.callbacks`).

The transfer bridge hands this its downstream frames while the offer is open. A "yes" starts the
message (`processors.voicemail`): the caller's audio until their turn ends, and its words. The
request is left once, with or without a message, whichever comes first: the turn's end, silence
for `message_wait` seconds, a message past its length, or the caller hanging up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal, Protocol

from pipecat.frames.frames import Frame, InputAudioRawFrame, LLMContextFrame, UserStartedSpeakingFrame
from pipecat.processors.aggregators.llm_context import LLMContext

from core.events import publish_change
from core.grammar.dialogue import parse_dialogue
from core.runtime import Runtime
from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from domains.transfer.calls import TransferCall
from processors.voicemail import MessageRecorder

log = logging.getLogger(__name__)

NO_ONE_FREE = ("No one is free right now. Would you like someone from the team to call you back? "
               "Please say yes or no.")
CALLBACK_LEFT = "Okay, someone from the team will call you back. Is there anything else I can help with?"
CALLBACK_DECLINED = "Okay. What else can I help you with?"
LEAVE_MESSAGE = "Okay. Please leave a short message for the team now, and stop talking when you're done."
MESSAGE_TAKEN = ("Thank you, your message is with the team and someone will call you back. "
                 "Is there anything else I can help with?")
MESSAGE_WAIT_SECONDS = 10.0  # silence after the prompt: no message, the call back is still asked for


class CallLike(Protocol):
    runtime: Runtime
    transcript: list[dict[str, Any]]


Say = Callable[[str], Coroutine[Any, Any, None]]
Spawn = Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]
Cancel = Callable[[asyncio.Task[None]], Awaitable[None]]


def silence_unanswered(context: LLMContext) -> str:
    """Blank the caller's messages after the assistant's last reply (they were not for it); their text."""
    said: list[str] = []
    for message in reversed(context.messages):
        if not isinstance(message, dict) or message.get("role") != "user":
            break
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            said.append(content.strip())
        message["content"] = ""
    return " ".join(reversed(said))


class CallbackOffer:
    def __init__(self, call: CallLike, say: Say, spawn: Spawn, cancel: Cancel) -> None:
        self._call = call
        self._say = say
        self._spawn = spawn
        self._cancel = cancel
        self.state: Literal["idle", "offering", "message"] = "idle"
        self.message_wait = MESSAGE_WAIT_SECONDS
        self._transfer: TransferCall | None = None
        self._recorder: MessageRecorder | None = None
        self._timer: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self.state != "idle"

    async def start(self, transfer: TransferCall | None) -> None:
        self._transfer, self.state = transfer, "offering"
        await self._say(NO_ONE_FREE)

    def handle(self, frame: Frame) -> bool:
        """Take a downstream frame; True when it stops here (an answer to the offer, or the message)."""
        if self.state == "offering" and isinstance(frame, LLMContextFrame) and not frame.speculation:
            return self._answer(frame.context)
        if self.state != "message" or self._recorder is None:
            return False
        if isinstance(frame, InputAudioRawFrame):
            self._recorder.add(frame)
        elif isinstance(frame, UserStartedSpeakingFrame):
            self._recorder.heard_speech = True
        elif isinstance(frame, LLMContextFrame):
            if not frame.speculation:  # the caller's turn, their message, is over
                self._spawn(self._finish(silence_unanswered(frame.context), self._recorder), "voicemail")
            return True  # the message is for the team, not the assistant
        return False

    def _answer(self, context: LLMContext) -> bool:
        """The caller's yes/no; False lets anything else reach the agent (and closes the offer)."""
        messages = [m for m in context.messages if isinstance(m, dict)]
        last = messages[-1] if messages else None
        text = last.get("content") if last and last.get("role") == "user" else None
        act = parse_dialogue(text) if isinstance(text, str) else None
        self.state = "idle"
        if act not in ("yes", "no"):
            return False
        silence_unanswered(context)
        if act == "no":
            self._spawn(self._say(CALLBACK_DECLINED), "callback_declined")
            return True
        self.state, self._recorder = "message", MessageRecorder()
        self._timer = self._spawn(self._expire(self._recorder), "voicemail_timer")
        self._spawn(self._say(LEAVE_MESSAGE), "voicemail_prompt")
        return True

    async def _expire(self, recorder: MessageRecorder) -> None:
        await asyncio.sleep(self.message_wait)
        if recorder.heard_speech:
            await asyncio.sleep(recorder.max_seconds)
        await self._finish(None, recorder, from_timer=True)

    async def _finish(self, said: str | None, recorder: MessageRecorder, *, from_timer: bool = False) -> None:
        if recorder is not self._recorder:
            return  # already left
        self._recorder, self.state = None, "idle"
        timer, self._timer = self._timer, None
        if timer is not None and not from_timer:
            await self._cancel(timer)
        if said:
            recorder.heard_speech = True
        await self._leave(said, recorder)

    async def ending(self) -> None:
        """The call is ending: a message being left is left as it is, in the background."""
        if self._timer is not None:
            timer, self._timer = self._timer, None
            await self._cancel(timer)
        if self._recorder is not None:
            recorder, self._recorder, self.state = self._recorder, None, "idle"
            self._call.runtime.background.spawn(self._leave(None, recorder, speak=False), name="voicemail_hang_up")

    async def _leave(self, said: str | None, recorder: MessageRecorder, *, speak: bool = True) -> None:
        call = self._transfer
        if call is None:
            if speak:
                await self._say(CALLBACK_DECLINED)
            return
        runtime = self._call.runtime
        # What was said up to now: the call's lines when it was handed over (another stream's, after a PBX
        # transfer), then this session's that it lacks.
        seen = {(line.get("at"), line.get("text")) for line in call.transcript}
        call.transcript = [*call.transcript, *(dict(line) for line in self._call.transcript
                                               if (line.get("at"), line.get("text")) not in seen)]
        path = await recorder.save(runtime.settings.data_dir, call.id)
        request = await callbacks.leave(runtime.sessions, call, message_text=said, message_path=path)
        await publish_change(runtime.store, EVENTS, callbacks.notice(request))
        log.info("callback request %s left for call %s (message: %.1f s)", request.id, call.id,
                 recorder.seconds if path else 0.0)
        if speak:
            await self._say(MESSAGE_TAKEN if path or said else CALLBACK_LEFT)
