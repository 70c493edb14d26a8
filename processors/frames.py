"""Frames our processors add to a call's pipeline, for observers (timing, monitor) to read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import SystemFrame

from core.tools import ToolEvent, TransferRequest


@dataclass
class AgentTurnFrame(SystemFrame):
    """One finished agent turn: what the caller said, what the agent answered and did.

    Pushed downstream by the agent bridge after the reply's text frames; a SystemFrame so an
    interruption does not drop it before the timing observer sees it.
    """

    text_in: str = ""
    reply: str = ""
    domain: str = ""
    thread_id: str = ""
    tool_calls: list[ToolEvent] = field(default_factory=list)
    agent_timings: dict[str, Any] = field(default_factory=dict)
    agent_ms: float = 0.0
    filler: bool = False
    failed: bool = False
    end_call: bool = False
    transfer: TransferRequest | None = None


@dataclass
class CallerAuthenticatedFrame(SystemFrame):
    """The PIN gate let the caller in."""

    user_id: uuid.UUID = field(default_factory=uuid.uuid4)
    first_name: str = ""


@dataclass
class SpeechPauseFrame(SystemFrame):
    """The caller went quiet: the VAD's stop window is running, the turn may be about to end.

    Pushed upstream by the user aggregator's stop strategy (`bots.turn_models.EarlyTurnStopStrategy`)
    a few VAD windows into a silence, before the VAD stop. The STT may finish the utterance now and
    hold the result until the VAD stop (or drop it at a `SpeechResumedFrame`).
    """


@dataclass
class SpeechResumedFrame(SystemFrame):
    """The caller spoke again within the VAD's stop window: the last `SpeechPauseFrame` was not the end."""
