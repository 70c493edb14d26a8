"""What an in-app transfer connects, as `processors.transfer_bridge.TransferBridge` sees it: the caller's
call (`TransferringCall`), an agent's audio leg (`AgentLeg`), and this process's bridges by call id
(`LIVE_CALLS`), where an agent's leg (`transports.agent_leg`) and the call-center routes find the call
they join. Pipelines are objects in one process, so only they are listed here; every other fact about a
transfer is in the store."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Protocol

from pipecat.frames.frames import AudioRawFrame

from core.runtime import Runtime

if TYPE_CHECKING:
    from processors.transfer_bridge import TransferBridge


class CallerLike(Protocol):
    @property
    def user_id(self) -> uuid.UUID: ...


class CallInfoLike(Protocol):
    @property
    def call_sid(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def from_number(self) -> str | None: ...


class TransferringCall(Protocol):
    """What the bridge needs of the call (`bots.session.CallSession` has it)."""

    runtime: Runtime
    transcript: list[dict[str, Any]]

    @property
    def info(self) -> CallInfoLike: ...
    @property
    def caller(self) -> CallerLike | None: ...


class AgentLeg(Protocol):
    """The agent's audio connection (`transports.agent_leg.AgentLegProcessor`)."""

    async def to_agent(self, frame: AudioRawFrame) -> None: ...
    async def hang_up(self) -> None: ...


class LiveCalls:
    """This process's transfer bridges by call id (a pipeline cannot live in the store)."""

    def __init__(self) -> None:
        self._bridges: dict[str, TransferBridge] = {}

    def add(self, call_id: str, bridge: TransferBridge) -> None:
        self._bridges[call_id] = bridge

    def remove(self, call_id: str, bridge: TransferBridge) -> None:
        if self._bridges.get(call_id) is bridge:
            del self._bridges[call_id]

    def get(self, call_id: str) -> TransferBridge | None:
        return self._bridges.get(call_id)


LIVE_CALLS = LiveCalls()
