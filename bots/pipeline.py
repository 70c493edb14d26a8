"""What the bot is: one call's Pipecat pipeline, whatever transport carries it.

transport in → STT → PIN gate → user aggregator (Silero VAD, smart-turn) → agent bridge → TTS
→ transport out → assistant aggregator, with a timing observer writing one record per turn. The
aggregator's stop strategy (`bots.turn_models.EarlyTurnStopStrategy`) prepares the end of a turn
while the VAD's stop window runs: smart-turn and the STT's final start at the first silent VAD
window, so both are ready when the VAD stop ends the turn.
`run_call` runs it to the end and completes the call's record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import EndFrame, FatalErrorFrame, TTSSpeakFrame
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_transport import BaseTransport
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from bots.call_worker import CallWorker
from bots.session import CallSession
from bots.speech import build_stt, make_stt, make_tts
from bots.turn_models import EarlyTurnStopStrategy, SharedSileroVADAnalyzer, SharedSmartTurnAnalyzer
from core.monitor import TurnRecord
from core.tracing import CallTrace, TurnTimes
from processors.agent_bridge import AgentBridge
from processors.pin_gate import PinGate
from processors.recorder import CALLER, HEARD, CallRecorder
from processors.timing import TurnTimingObserver
from processors.transfer_bridge import TransferBridge

log = logging.getLogger(__name__)

IDLE_GOODBYE = "I haven't heard anything for a while, so I'll hang up now. Goodbye."
RECORDING_NOTICE = "This call is recorded."


def build_pipeline(
    transport: BaseTransport,
    session: CallSession,
    *,
    sample_rate: int = 8000,
    out_sample_rate: int | None = None,
    stt: FrameProcessor | None = None,
    tts: FrameProcessor | None = None,
    before_output: Sequence[FrameProcessor] = (),
    require_pin: bool = True,
    enable_rtvi: bool = False,
    idle_timeout_secs: float | None = 180.0,
    filler_after: float | None = 1.5,
    observers: Sequence[BaseObserver] = (),
    greeting: str | None = None,
    announce: bool = True,
    call_trace: CallTrace | None = None,
) -> PipelineWorker:
    """Assemble one call's worker. `stt`/`tts` default to the configured speech providers; `greeting`
    is said first on a call with no PIN gate (a public line's). With RECORD_CALLS the call is recorded
    (`processors.recorder`, kept by `CallSession.close_record`) and, with ANNOUNCE_RECORDING and
    `announce`, says so first (a browser call says it in its greeting instead)."""
    settings = session.runtime.settings
    out_rate = out_sample_rate or sample_rate
    speech = session.agent.speech  # the server's models, shared by every call
    stt = stt or make_stt(settings, sample_rate, speech)
    tts = tts or make_tts(settings, out_rate, speech)

    context = LLMContext(messages=[])
    vad = SharedSileroVADAnalyzer(speech.turn, params=VADParams(stop_secs=settings.vad_stop_secs))
    user_agg, assistant_agg = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(
            vad_analyzer=vad,
            user_turn_strategies=UserTurnStrategies(
                stop=[EarlyTurnStopStrategy(turn_analyzer=SharedSmartTurnAnalyzer(speech.turn), vad_analyzer=vad)]
            ),
            empty_user_turn=None,  # silence or a cough is not a question
        ),
    )
    gate = PinGate(session.pin_verifier(), on_authenticated=session.authenticate) if require_pin else None
    bridge = AgentBridge(session, filler_after=filler_after, on_transfer=session.request_transfer)
    transfer = TransferBridge(session)  # in-app transfer to a person (processors/transfer_bridge.py)
    session.transfer_handler = transfer.request

    def _turn_done(record: TurnRecord, times: TurnTimes) -> None:
        session.runtime.metrics.turn(record)
        if call_trace is not None:
            call_trace.turn(record, times)

    timing = TurnTimingObserver(session.publish_turn, call_info=session.call_info, on_turn=_turn_done)
    recorder = session.recorder = CallRecorder(
        settings.recording_max_minutes * 60.0,
        armed=lambda: session.caller is not None or session.outbound_call_id is not None,
    ) if settings.record_calls else None

    processors: list[FrameProcessor] = [transport.input(), stt]
    processors += [gate] if gate else []
    processors += [user_agg, transfer, bridge, tts, *before_output, transport.output(), assistant_agg]
    worker = CallWorker(
        Pipeline(with_recorder(processors, transport, recorder)),
        params=PipelineParams(
            audio_in_sample_rate=sample_rate,
            audio_out_sample_rate=out_rate,
            enable_metrics=True,
            send_initial_empty_metrics=False,
        ),
        enable_turn_tracking=False,  # pipecat's turn tracking feeds only its tracing; our timing observer does ours
        observers=[timing, *observers],
        enable_rtvi=enable_rtvi,
        idle_timeout_secs=idle_timeout_secs,
        cancel_on_idle_timeout=False,
        conversation_id=session.info.call_sid,
    )

    @user_agg.event_handler("on_user_turn_message_added")  # the caller's words as the agent got them
    async def _user_said(_agg: Any, message: Any) -> None:
        session.add_line("user", message.content)

    @assistant_agg.event_handler("on_assistant_turn_stopped")
    async def _bot_said(_agg: Any, message: Any) -> None:
        session.add_line("assistant", message.content, interrupted=bool(message.interrupted))

    if recorder is not None and announce and settings.announce_recording:
        @worker.event_handler("on_pipeline_started")
        async def _announce(w: PipelineWorker, _frame: Any) -> None:
            await w.queue_frame(TTSSpeakFrame(RECORDING_NOTICE))

    if greeting and gate is None:
        @worker.event_handler("on_pipeline_started")
        async def _greet(w: PipelineWorker, _frame: Any) -> None:
            await w.queue_frame(TTSSpeakFrame(greeting))

    if session.unanswered_transfer is not None:
        unanswered = session.unanswered_transfer

        @worker.event_handler("on_pipeline_started")
        async def _offer(_w: PipelineWorker, _frame: Any) -> None:
            await transfer.offer_callback(unanswered)

    if session.outbound_call_id:
        call_id = session.outbound_call_id

        @worker.event_handler("on_pipeline_started")
        async def _join(_w: PipelineWorker, _frame: Any) -> None:
            await transfer.join_outbound(call_id)

    @worker.event_handler("on_idle_timeout")
    async def _idle(w: PipelineWorker) -> None:
        await w.queue_frames([TTSSpeakFrame(IDLE_GOODBYE), EndFrame()])

    @worker.event_handler("on_pipeline_error")
    async def _error(_w: PipelineWorker, frame: Any) -> None:
        if frame.processor is not None and not frame.processor.is_usable:
            session.failed = True
        session.runtime.metrics.pipeline_error(type(frame.processor).__name__ if frame.processor else "pipeline",
                                               fatal=session.failed or isinstance(frame, FatalErrorFrame))

    @worker.event_handler("on_pipeline_finished")
    async def _finished(_w: PipelineWorker, _frame: Any) -> None:
        await timing.flush()

    return worker


def with_recorder(processors: list[FrameProcessor], transport: BaseTransport, recorder: CallRecorder | None
                  ) -> list[FrameProcessor]:
    """The recorder's taps: the caller's side right after the input, what they heard right after the output."""
    if recorder is None:
        return processors
    out = processors.index(transport.output())
    return [processors[0], recorder.tap(CALLER), *processors[1 : out + 1], recorder.tap(HEARD),
            *processors[out + 1 :]]


async def run_call(transport: BaseTransport, session: CallSession, **options: Any) -> None:
    """Run one call to its end; its record is written at the start and completed at the end. The call is
    counted (`core.metrics`) and traced (`core.tracing`) while it runs."""
    await session.open_record()
    runtime, channel = session.runtime, session.info.channel
    line = session.line.name if session.line is not None else "default"
    with runtime.tracing.call(call_sid=session.info.call_sid, channel=channel, line=line) as call_trace:
        try:
            if options.get("stt") is None:
                options["stt"] = await build_stt(runtime.settings, options.get("sample_rate", 8000),
                                                 session.agent.speech)
            worker = build_pipeline(transport, session, call_trace=call_trace, **options)

            @transport.event_handler("on_client_disconnected")
            async def _hung_up(_transport: Any, _client: Any) -> None:
                await worker.cancel(reason="the caller hung up")

            async def _end_with(goodbye: str) -> None:  # the process is draining (core.calls)
                await worker.queue_frames([TTSSpeakFrame(goodbye), EndFrame()])

            runtime.calls.add(worker, _end_with)
            try:
                with runtime.metrics.call(line, channel):
                    runner = WorkerRunner(handle_sigint=False)
                    await runner.add_workers(worker)
                    await runner.run()
            finally:
                runtime.calls.discard(worker)
        except Exception:
            session.failed = True
            log.exception("call %s failed", session.info.call_sid)
            raise
        finally:
            call_trace.failed = call_trace.failed or session.failed
            # Shielded: a server shutting down must not cut the record's last write in half.
            await asyncio.shield(session.close_record())
