"""Per-turn timing, watched from outside the pipeline (an observer changes no processor).

Stamps, on the pipeline clock: the caller's end of speech (VAD stop minus its `stop_secs`),
the final transcript, the user aggregator handing the turn over, the bridge's first text,
the TTS's first audio, and the output transport starting to play. With the agent's own
report (`AgentTurnFrame`: tool calls, domain, words in and out) they make one record per
turn, handed to `emit` once the reply has started playing (or when the next turn or the call
ends first).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    LLMContextFrame,
    LLMTextFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.aggregators.llm_response_universal import LLMUserAggregator
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.tts_service import TTSService
from pipecat.transports.base_output import BaseOutputTransport

from core.monitor import TurnRecord, tool_call_summary
from core.tracing import TurnTimes
from processors.frames import AgentTurnFrame

log = logging.getLogger(__name__)

Emit = Callable[[TurnRecord], Awaitable[None]]
CallInfo = Callable[[], dict[str, Any]]
OnTurn = Callable[[TurnRecord, TurnTimes], None]


def _ms(later: int | None, earlier: int | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier) / 1e6, 1)


@dataclass
class _Turn:
    number: int
    eos: int | None
    transcript: int | None
    handed_over: int
    first_text: int | None = None
    first_tts_audio: int | None = None
    first_audio_out: int | None = None
    agent: AgentTurnFrame | None = None
    emitted: bool = False

    def times(self, wall_offset: int) -> TurnTimes:
        def wall(t: int | None) -> int | None:
            return None if t is None else t + wall_offset

        return TurnTimes(end_of_speech=wall(self.eos), transcript=wall(self.transcript),
                         handed_over=self.handed_over + wall_offset, first_text=wall(self.first_text),
                         first_tts_audio=wall(self.first_tts_audio), first_audio_out=wall(self.first_audio_out),
                         emitted=time.time_ns())

    def record(self, at: datetime, call: dict[str, Any]) -> TurnRecord:
        agent = self.agent
        return TurnRecord(
            at=at,
            **call,
            turn=self.number,
            domain=agent.domain if agent else None,
            text_in=agent.text_in if agent else None,
            text_out=agent.reply if agent else None,
            stt_ms=_ms(self.transcript, self.eos),
            turn_end_ms=_ms(self.handed_over, self.transcript),
            agent_ms=round(agent.agent_ms, 1) if agent else None,
            llm_first_token_ms=_ms(self.first_text, self.transcript),
            tts_first_audio_ms=_ms(self.first_tts_audio, self.first_text),
            eos_to_first_audio_ms=_ms(self.first_audio_out, self.eos),
            tool_calls=[tool_call_summary(c) for c in (agent.tool_calls if agent else [])],
            agent_timings=agent.agent_timings if agent else {},
            filler=agent.filler if agent else False,
            failed=agent.failed if agent else False,
            completed=agent is not None and self.first_audio_out is not None,
        )


class TurnTimingObserver(BaseObserver):
    """Turns the frames of each user→bot exchange into one timing record."""

    frame_types = (VADUserStoppedSpeakingFrame, TranscriptionFrame, LLMContextFrame, LLMTextFrame,
                   TTSAudioRawFrame, BotStartedSpeakingFrame, AgentTurnFrame)
    """The frames `on_push_frame` reads (`bots.call_worker` tells it about no others)."""

    def __init__(self, emit: Emit, *, call_info: CallInfo | None = None, on_turn: OnTurn | None = None,
                 **kwargs: Any) -> None:
        """`on_turn` also gets each record, with its moments on the wall clock (metrics, traces)."""
        super().__init__(observe_every_push=False, **kwargs)
        self._emit = emit
        self._call_info = call_info
        self._on_turn = on_turn
        self._wall_offset = 0  # wall-clock ns minus pipeline-clock ns, as of the last frame seen
        self._eos: int | None = None
        self._transcript: int | None = None
        self._turn: _Turn | None = None
        self._count = 0

    async def on_push_frame(self, data: FramePushed) -> None:
        frame, ts, source = data.frame, data.timestamp, data.source
        self._wall_offset = time.time_ns() - ts
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            if data.direction == FrameDirection.DOWNSTREAM:
                self._eos = ts - int(frame.stop_secs * 1e9)
        elif isinstance(frame, TranscriptionFrame):
            self._transcript = ts
        elif isinstance(frame, LLMContextFrame):
            if isinstance(source, LLMUserAggregator) and not frame.speculation:
                await self._begin(ts)
        elif self._turn is None or self._turn.emitted:
            return
        elif isinstance(frame, LLMTextFrame):
            self._turn.first_text = self._turn.first_text or ts
        elif isinstance(frame, TTSAudioRawFrame):
            if isinstance(source, TTSService) and self._turn.first_text is not None:
                self._turn.first_tts_audio = self._turn.first_tts_audio or ts
        elif isinstance(frame, BotStartedSpeakingFrame):
            played = isinstance(source, BaseOutputTransport) and data.direction == FrameDirection.DOWNSTREAM
            if played and self._turn.first_text is not None and self._turn.first_audio_out is None:
                self._turn.first_audio_out = ts
                await self._maybe_emit()
        elif isinstance(frame, AgentTurnFrame):
            self._turn.agent = frame
            await self._maybe_emit()

    async def _begin(self, ts: int) -> None:
        await self.flush()
        self._count += 1
        self._turn = _Turn(self._count, self._eos, self._transcript, ts)
        self._eos = self._transcript = None

    async def _maybe_emit(self) -> None:
        turn = self._turn
        if turn is not None and turn.agent is not None and turn.first_audio_out is not None:
            await self._send(turn)

    async def flush(self) -> None:
        """Emit the turn in progress, whatever it has (the next turn or the call's end came first)."""
        if self._turn is not None and not self._turn.emitted:
            await self._send(self._turn)

    async def _send(self, turn: _Turn) -> None:
        turn.emitted = True
        record = turn.record(datetime.now(UTC), self._call_info() if self._call_info else {})
        if self._on_turn is not None:
            try:
                self._on_turn(record, turn.times(self._wall_offset))
            except Exception:  # metrics and traces must never break a call either
                log.exception("recording a turn's metrics failed")
        try:
            await self._emit(record)
        except Exception:  # the monitor must never break a call
            log.exception("publishing a turn record failed")
