"""The agent bridge: where an LLM service would sit, run one agent turn per user turn.

The user aggregator pushes an `LLMContextFrame` when the caller finishes a turn; the bridge
sends the caller's new words to the conversation (`turn(text)`), and speaks the reply as
`LLMFullResponseStartFrame → LLMTextFrame → LLMFullResponseEndFrame`, which the TTS voices
and the assistant aggregator records; a model that streams (the cloud LLMs) is spoken as its text
arrives, one `LLMTextFrame` per piece. The turn runs as a task, so a barge-in
(`InterruptionFrame`) cancels it without blocking the pipeline. A slow turn gets one short
filler; a failed one an apology, and the call carries on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from core.logging import report_exception
from core.tools import ToolEvent, TransferRequest
from processors.frames import AgentTurnFrame

log = logging.getLogger(__name__)

FILLER = "One moment."
APOLOGY = "Sorry, something went wrong on my side. Could you say that again?"
TRANSFER = "Connecting you to a person."


class TurnOutcome(Protocol):
    """What one agent turn produced (`bots.agent.agent.TurnResult` has this shape)."""

    @property
    def reply(self) -> str: ...
    @property
    def domain(self) -> str: ...
    @property
    def thread_id(self) -> str: ...
    @property
    def tool_calls(self) -> list[ToolEvent]: ...
    @property
    def timings(self) -> dict[str, Any]: ...
    @property
    def end_call(self) -> bool: ...
    @property
    def transfer(self) -> TransferRequest | None: ...


class Conversation(Protocol):
    """Anything that answers one utterance at a time (an `AgentSession`, a call session); with
    `on_text`, the reply's text is handed over piece by piece as the model generates it."""

    async def turn(self, text: str, on_text: Callable[[str], Awaitable[None]] | None = None) -> TurnOutcome: ...


TransferHandler = Callable[[TransferRequest], Awaitable[None]]


def _message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


class AgentBridge(FrameProcessor):
    """Runs `conversation.turn(text)` for each finished user turn and speaks the reply."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        filler_after: float | None = 1.5,
        filler_text: str = FILLER,
        apology: str = APOLOGY,
        transfer_text: str = TRANSFER,
        on_transfer: TransferHandler | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._conversation = conversation
        self._filler_after = filler_after
        self._filler_text = filler_text
        self._apology = apology
        self._transfer_text = transfer_text
        self._on_transfer = on_transfer
        self._task: asyncio.Task[None] | None = None
        self._answered = 0  # context messages the agent has already been given
        self._ending = False

    def can_generate_metrics(self) -> bool:
        return True

    @property
    def busy(self) -> bool:
        """True while a turn is being answered."""
        return self._task is not None and not self._task.done()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            if not frame.speculation:
                await self._start_turn(frame.context)
            return
        if isinstance(frame, (InterruptionFrame, EndFrame, CancelFrame)):
            await self._cancel()
        await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._cancel()

    def _unanswered_text(self, context: LLMContext) -> tuple[str, int]:
        """The caller's words the agent has not yet answered (a barged-in turn is asked again)."""
        messages = context.get_messages()
        start = min(self._answered, len(messages))
        parts = [_message_text(m) for m in messages[start:] if isinstance(m, dict) and m.get("role") == "user"]
        return " ".join(p.strip() for p in parts if p.strip()), len(messages)

    async def _start_turn(self, context: LLMContext) -> None:
        if self._ending:
            return
        text, upto = self._unanswered_text(context)
        if not text:
            return
        await self._cancel()
        self._task = self.create_task(self._respond(text, upto), name="agent_turn")

    async def _cancel(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            if not task.done():
                await self.cancel_task(task)

    async def _respond(self, text: str, upto: int) -> None:
        started = time.perf_counter()
        await self.start_ttfb_metrics()
        await self.start_processing_metrics()
        pieces: asyncio.Queue[str] = asyncio.Queue()

        async def on_text(piece: str) -> None:
            pieces.put_nowait(piece)

        turn = self.create_task(self._conversation.turn(text, on_text), name="agent_turn_run")
        speech = _StreamedReply(self)
        filler = False
        try:
            while True:  # the model's text as it comes, a filler if none has come after filler_after
                get = asyncio.ensure_future(pieces.get())
                wait = (self._filler_after - (time.perf_counter() - started)
                        if self._filler_after is not None and not filler and not speech.text else None)
                try:
                    done, _ = await asyncio.wait({turn, get}, timeout=max(wait, 0) if wait is not None else None,
                                                 return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not get.done():  # a cancelled get loses nothing: the piece stays queued
                        get.cancel()
                if get in done:
                    await speech.add(get.result())
                    continue
                if turn in done:
                    while not pieces.empty():
                        await speech.add(pieces.get_nowait())
                    break
                filler = True
                await self._say(self._filler_text)
            result: TurnOutcome | None = turn.result()
        except asyncio.CancelledError:
            await self.cancel_task(turn)
            raise
        except Exception as exc:  # the caller hears an apology and the call goes on
            log.exception("agent turn failed")
            report_exception(exc)
            await self.push_error(f"agent turn failed: {exc}", exception=exc)
            result = None
        finally:
            await self.stop_processing_metrics()
        await speech.end()
        self._answered = upto
        agent_ms = (time.perf_counter() - started) * 1000
        if result is None:
            await self._say(self._apology)
            await self.push_frame(AgentTurnFrame(text_in=text, reply=self._apology, agent_ms=agent_ms,
                                                 filler=filler, failed=True))
            return
        if result.transfer:
            rest = self._transfer_text
        else:  # the reply, unless it was streamed (an apology for a failed turn never is)
            rest = "" if speech.text and speech.text.rstrip().endswith(result.reply.strip()) else result.reply
        await self._say(rest)
        spoken = " ".join(p for p in (speech.text.strip(), rest) if p)
        await self.push_frame(
            AgentTurnFrame(
                text_in=text,
                reply=spoken,
                domain=result.domain,
                thread_id=result.thread_id,
                tool_calls=list(result.tool_calls),
                agent_timings=dict(result.timings),
                agent_ms=agent_ms,
                filler=filler,
                end_call=result.end_call,
                transfer=result.transfer,
            )
        )
        if result.transfer:
            await self._hand_over(result.transfer)
        elif result.end_call:
            self._ending = True
            await self.push_frame(EndWorkerFrame(reason="the caller said goodbye"))

    async def _hand_over(self, request: TransferRequest) -> None:
        if self._on_transfer is None:
            return
        try:
            await self._on_transfer(request)
        except Exception as exc:  # a failed transfer leaves the caller with the assistant
            log.exception("transfer failed")
            report_exception(exc)
            await self._say("Sorry, I couldn't reach anyone right now. I'm still here to help.")

    async def _say(self, text: str) -> None:
        if not text:
            return
        await self.stop_ttfb_metrics()
        await self.push_frame(LLMFullResponseStartFrame())
        await self.push_frame(LLMTextFrame(text))
        await self.push_frame(LLMFullResponseEndFrame())


class _StreamedReply:
    """The model's text pushed as it is generated: one `LLMFullResponseStartFrame` before the first
    piece, an `LLMTextFrame` per piece, the end frame when the turn is over."""

    def __init__(self, bridge: AgentBridge) -> None:
        self._bridge = bridge
        self.text = ""
        self._open = False

    async def add(self, piece: str) -> None:
        if not piece:
            return
        if not self._open:
            self._open = True
            await self._bridge.stop_ttfb_metrics()
            await self._bridge.push_frame(LLMFullResponseStartFrame())
        self.text += piece
        await self._bridge.push_frame(LLMTextFrame(piece))

    async def end(self) -> None:
        if self._open:
            self._open = False
            await self._bridge.push_frame(LLMFullResponseEndFrame())
