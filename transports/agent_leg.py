"""The agent's audio leg: the call-center page's microphone and speaker over SmallWebRTC, relayed to
the caller's pipeline while the AI steps back.

After answering, the agent's page sends an SDP offer for the call
(`POST /call-center/api/call/{id}/offer`). The answer starts a tiny pipeline of its own,

    agent's transport in → AgentLegProcessor → agent's transport out

whose processor hands the agent's `InputAudioRawFrame`s to the caller's `TransferBridge`
(which plays them to the caller) and plays the caller's audio, which the bridge copies to
`to_agent`, out to the agent. Both output transports resample, so each side keeps its own rate.
The leg ends when the agent's page disconnects or the call leaves the agent (the bridge then
calls `hang_up`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pipecat.frames.frames import AudioRawFrame, Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import IceServer, SmallWebRTCConnection
from pipecat.transports.smallwebrtc.request_handler import (
    ConnectionMode,
    SmallWebRTCPatchRequest,
    SmallWebRTCRequest,
    SmallWebRTCRequestHandler,
)
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pipecat.workers.runner import WorkerRunner

from processors.transfer_bridge import TransferBridge

log = logging.getLogger(__name__)

LEG_IN_RATE = 16000
LEG_OUT_RATE = 16000
WRITE_TIMEOUT = 3.0
SHUTDOWN_GRACE = 3.0


class AgentLegProcessor(FrameProcessor):
    """Agent microphone → caller; caller audio (`to_agent`) → agent speaker."""

    def __init__(self, bridge: TransferBridge, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bridge = bridge
        self._worker: PipelineWorker | None = None
        self.heard_from_agent = 0
        self.sent_to_agent = 0

    def bind(self, worker: PipelineWorker) -> None:
        self._worker = worker

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            self.heard_from_agent += 1
            await self._bridge.from_agent(frame, self)
            return
        await self.push_frame(frame, direction)

    async def to_agent(self, frame: AudioRawFrame) -> None:
        self.sent_to_agent += 1
        await self.push_frame(OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels))

    async def hang_up(self) -> None:
        if self._worker is not None:
            await self._worker.cancel(reason="the call left the agent")


class AgentLegs:
    """Every agent audio leg of this process: pipecat's peer connections and the legs' tasks."""

    def __init__(self, ice_servers: list[IceServer] | None = None) -> None:
        self.handler = SmallWebRTCRequestHandler(ice_servers=ice_servers, connection_mode=ConnectionMode.MULTIPLE)
        self._owners: dict[str, tuple[str, str]] = {}  # pc_id → (agent user id, call id)
        self._tasks: set[asyncio.Task[None]] = set()
        self.legs: dict[str, AgentLegProcessor] = {}  # call id → the leg carrying it

    async def answer(self, request: SmallWebRTCRequest, bridge: TransferBridge, agent_id: str, call_id: str,
                     *, consult: bool = False) -> dict[str, str]:
        """Answer the agent's offer (`consult`: a colleague's, on a warm transfer); a new peer connection
        starts relaying at once."""
        if request.pc_id is not None and self._owners.get(request.pc_id) != (agent_id, call_id):
            raise LookupError("no such connection")

        async def start(connection: SmallWebRTCConnection) -> None:
            task = asyncio.get_running_loop().create_task(self._run(connection, bridge, call_id, consult),
                                                          name="agent-leg")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        answer = await self.handler.handle_web_request(request, start)
        if answer is None:
            raise ValueError("the offer produced no answer")
        self._owners[answer["pc_id"]] = (agent_id, call_id)
        return answer

    def holds(self, pc_id: str) -> bool:
        """Whether the leg `pc_id` is one of this process's."""
        return pc_id in self._owners

    async def add_candidates(self, patch: SmallWebRTCPatchRequest, agent_id: str) -> None:
        if self._owners.get(patch.pc_id, ("",))[0] != agent_id:
            raise LookupError("no such connection")
        await self.handler.handle_patch_request(patch)

    async def _run(self, connection: SmallWebRTCConnection, bridge: TransferBridge, call_id: str,
                   consult: bool = False) -> None:
        transport = SmallWebRTCTransport(connection, TransportParams(
            audio_in_enabled=True, audio_out_enabled=True, audio_out_write_timeout_secs=WRITE_TIMEOUT))
        leg = AgentLegProcessor(bridge)
        worker = PipelineWorker(
            Pipeline([transport.input(), leg, transport.output()]),
            params=PipelineParams(audio_in_sample_rate=LEG_IN_RATE, audio_out_sample_rate=LEG_OUT_RATE),
            enable_rtvi=False, idle_timeout_secs=None,
        )
        leg.bind(worker)

        @transport.event_handler("on_client_disconnected")
        async def _gone(_transport: Any, _client: Any) -> None:
            await worker.cancel(reason="the agent's page disconnected")

        replaced = bridge.attach(leg, consult=consult)
        key = f"{call_id}:consult" if consult else call_id
        self.legs[key] = leg
        if replaced is not None:
            await replaced.hang_up()
        log.info("agent audio leg %s for call %s started", connection.pc_id, call_id)
        try:
            runner = WorkerRunner(handle_sigint=False)
            await runner.add_workers(worker)
            await runner.run()
        finally:
            bridge.detach(leg)
            if self.legs.get(key) is leg:
                del self.legs[key]
            self._owners.pop(connection.pc_id, None)
            await connection.disconnect()
            log.info("agent audio leg for call %s ended", call_id)

    async def close(self, grace: float = SHUTDOWN_GRACE) -> None:
        await self.handler.close()
        if not self._tasks:
            return
        _, still = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in still:
            task.cancel()
        if still:
            await asyncio.gather(*still, return_exceptions=True)
