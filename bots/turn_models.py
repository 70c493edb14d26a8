"""Voice activity and end-of-turn analyzers for one call, on the server's shared models.

Pipecat's `SileroVADAnalyzer` and `LocalSmartTurnAnalyzerV3` each open their own ONNX session
when constructed. A session is safe to run from several threads, but each analyzer also holds
one audio stream's state, so every call still needs its own analyzer: these subclasses keep
the per-call state and borrow the sessions of the server's `speech.turn.TurnModels` (held by its
`SpeechModels`), and smart-turn runs on its few model threads instead of a thread of its own per
call. (They reach into pipecat 1.14's attributes, which the pin in pyproject.toml holds still and
tests/test_library_contracts.py checks.)

`EarlyTurnStopStrategy` is pipecat's smart-turn stop strategy with the turn's end prepared during
the VAD's stop window instead of after it: a few windows into a silence it starts the smart-turn
inference on the speech so far and tells the STT (`SpeechPauseFrame`, upstream) to finish the
utterance speculatively; if the caller speaks again before the VAD stop both are dropped
(`SpeechResumedFrame`). The turn still ends only at the VAD stop, on the model's verdict and a
final transcript, exactly as before; the work is just done by then.
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import onnxruntime as ort
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams, VADState
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import MetricsData
from pipecat.processors.frame_processor import FrameDirection
from pipecat.turns.types import ProcessFrameResult
from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy

from processors.frames import SpeechPauseFrame, SpeechResumedFrame
from speech.turn import TurnModels

_Prediction = tuple[EndOfTurnState, MetricsData | None]


class _SharedSileroModel(SileroOnnxModel):
    """Silero's per-stream state (`reset_states`) around the shared session."""

    def __init__(self, session: ort.InferenceSession) -> None:  # not calling super(): it would load the model again
        self.session = session
        self.sample_rates = [8000, 16000]
        self.reset_states()


WARM_UP_WINDOWS = 63
"""Skipped windows (32 ms each at 8 kHz) the model hears again before it scores a loud one after a quiet
stretch: 2 s, Pipecat's interval between model resets in a quiet stretch, so the model scores the onset
from the state Pipecat's would have (identical VAD states on short words after silence, in the tests).
Replaying them costs ~8 ms on the event loop once per onset, against ~130 µs saved per quiet window."""


class SharedSileroVADAnalyzer(SileroVADAnalyzer):
    """A Silero VAD analyzer for one call, on the server's one Silero session (`models`)."""

    def __init__(self, models: TurnModels, *, sample_rate: int | None = None, params: VADParams | None = None
                 ) -> None:
        VADAnalyzer.__init__(self, sample_rate=sample_rate, params=params)
        self._model = _SharedSileroModel(models.silero())
        self._windows_since_reset = 0
        self._low_confidence_windows = 0
        self.model_windows_skipped = 0
        """Quiet windows the model was not run on (`_run_analyzer`)."""
        self._skipped: deque[bytes] = deque(maxlen=WARM_UP_WINDOWS)

    async def analyze_audio(self, buffer: bytes) -> VADState:
        """Analyse on the event loop: one 32 ms window is ~0.15 ms of inference, less than pipecat's
        hand-off of every 20 ms frame to the analyzer's thread cost (20 % of an idle call's CPU at
        10 calls, py-spy; README "Performance")."""
        return self._run_analyzer(buffer)

    def _run_analyzer(self, buffer: bytes) -> VADState:
        """Pipecat's analysis, with the model run only where its answer can matter.

        A window is speech only if it is loud enough (`min_volume`) *and* the model is confident, so
        while the caller is quiet a window below `min_volume` is not speech whatever the model says:
        its inference (~130 µs of the ~200 µs a window costs) is skipped. The model is recurrent, and
        a word's first syllables are usually still under `min_volume` (the volume is smoothed over
        0.4 s): started cold on the first loud window it misses short words ("yes", "six"). So the
        last `WARM_UP_WINDOWS` skipped windows are kept and run through the model, from a reset state,
        before the first window it scores (a previous attempt without this lost "yes" and "two"); every window outside the quiet state (starting, speaking,
        stopping) runs the model as before.
        """
        self._vad_buffer += buffer
        size = self._vad_frames_num_bytes
        while len(self._vad_buffer) >= size:
            window, self._vad_buffer = self._vad_buffer[:size], self._vad_buffer[size:]
            volume = self._get_smoothed_volume(window)
            self._prev_volume = volume
            if volume < self._params.min_volume and self._vad_state == VADState.QUIET:
                self.model_windows_skipped += 1
                self._skipped.append(window)
                continue  # not speech, and still quiet
            if self._skipped:  # the model picks up where it would have been: on the audio just before
                self._model.reset_states()
                self._windows_since_reset = self._low_confidence_windows = 0
                for held in self._skipped:
                    self.voice_confidence(held)
                self._skipped.clear()
            confident = bool(self.voice_confidence(window) >= self._params.confidence)  # a numpy bool otherwise
            speaking = confident and volume >= self._params.min_volume
            match (speaking, self._vad_state):
                case (True, VADState.QUIET):
                    self._vad_state, self._vad_starting_count = VADState.STARTING, 1
                case (True, VADState.STARTING):
                    self._vad_starting_count += 1
                case (True, VADState.STOPPING):
                    self._vad_state, self._vad_stopping_count = VADState.SPEAKING, 0
                case (False, VADState.STARTING):
                    self._vad_state, self._vad_starting_count = VADState.QUIET, 0
                case (False, VADState.SPEAKING):
                    self._vad_state, self._vad_stopping_count = VADState.STOPPING, 1
                case (False, VADState.STOPPING):
                    self._vad_stopping_count += 1
        if self._vad_state == VADState.STARTING and self._vad_starting_count >= self._vad_start_frames:
            self._vad_state, self._vad_starting_count = VADState.SPEAKING, 0
        if self._vad_state == VADState.STOPPING and self._vad_stopping_count >= self._vad_stop_frames:
            self._vad_state, self._vad_stopping_count = VADState.QUIET, 0
        return self._vad_state


class SharedSmartTurnAnalyzer(LocalSmartTurnAnalyzerV3):
    """A smart-turn v3 analyzer for one call, on the server's one smart-turn session and its
    shared threads (`models`, `speech.turn.SMART_TURN_THREADS` of them).

    `speculate()` starts the model on the speech buffered so far (on the shared threads);
    the next `analyze_end_of_turn()` takes that answer if it says the turn is complete, and
    runs the model again on everything buffered by then otherwise (an early "incomplete" must not
    hold a finished turn until the 3 s silence cap). `discard_speculation()` drops it.
    """

    def __init__(self, models: TurnModels, *, params: SmartTurnParams | None = None, **kwargs: Any) -> None:
        BaseSmartTurn.__init__(self, params=params, **kwargs)
        self._log_data = False
        self._models = models
        self._session = models.smart_turn()
        self._speculation: asyncio.Future[_Prediction] | None = None

    @property
    def _model_executor(self) -> ThreadPoolExecutor:  # `self._executor` stays None: cleanup() leaves it be
        return self._models.smart_turn_threads()

    def speculate(self) -> None:
        """Start predicting the end of the turn from the audio so far (needs a running loop)."""
        if not self._speech_triggered or not self._audio_buffer:
            return
        loop = asyncio.get_running_loop()
        self._speculation = loop.run_in_executor(
            self._model_executor, self._process_speech_segment, list(self._audio_buffer))

    def discard_speculation(self) -> None:
        """Forget a speculative prediction (it finishes in its thread, unread)."""
        self._speculation = None

    async def analyze_end_of_turn(self) -> _Prediction:
        speculation, self._speculation = self._speculation, None
        if speculation is not None:
            state, result = await speculation
            if state == EndOfTurnState.COMPLETE:
                self._clear(state)
                return state, result
        return await super().analyze_end_of_turn()

    def _clear(self, turn_state: EndOfTurnState) -> None:
        super()._clear(turn_state)
        if turn_state == EndOfTurnState.COMPLETE:
            self._speculation = None


PAUSE_WINDOWS = 1
"""Silent VAD windows (32 ms each at 8 kHz; the VAD stop takes round(stop_secs / 0.032) = 6) after
which `EarlyTurnStopStrategy` starts the end-of-turn work, so that smart-turn's inference (65-70 ms on a
quiet core, 120-330 ms on the loaded 2-core box) and the STT's final pass (~50-100 ms CPU) run in the
remaining ~160 ms of the stop window rather than after it. Phone-path benchmark (tests/benchmarks/
test_bench_turns.py, 30 turns, back to back on a quiet machine, load 0.3-0.4): end of speech to first
bot audio p50 412 / p95 505 / max 711 ms before, 308 / 388 / 519 ms after (STT final after the VAD stop
93 / 166 -> 2 / 3 ms; end of turn 2 / 55 -> 0.6 / 0.8 ms); pipeline overhead with instant STT and TTS
105 / 146 -> 30 / 79 ms (the end-of-turn stage 69 / 88 -> 0.5 / 0.8 ms). Under load (3-4) the
inference can outlast the window and the rest of it shows as "end of turn". A later start leaves
smart-turn less time; an earlier one fires on more pauses inside a sentence (on 60 generated commands:
4 with 1 window, 1 with 2 or 3), each costing a smart-turn run and a re-decode of the utterance so far,
off the critical path."""


class EarlyTurnStopStrategy(TurnAnalyzerUserTurnStopStrategy):
    """Smart-turn stop strategy that prepares the end of the turn while the VAD stop window runs.

    It reads the VAD analyzer's state after each audio frame (the user aggregator analyses the
    frame before its strategies see it). `pause_windows` silent windows into a silence it starts
    the smart-turn model (`SharedSmartTurnAnalyzer.speculate`) and pushes a `SpeechPauseFrame`
    upstream to the STT; speech again before the VAD stop drops both (`SpeechResumedFrame`).
    What ends the turn is unchanged: the VAD stop, the model's "complete" and a final transcript.
    """

    def __init__(self, *, turn_analyzer: SharedSmartTurnAnalyzer, vad_analyzer: VADAnalyzer,
                 pause_windows: int = PAUSE_WINDOWS, **kwargs: Any) -> None:
        super().__init__(turn_analyzer=turn_analyzer, **kwargs)
        self._smart_turn = turn_analyzer
        self._vad = vad_analyzer
        self._pause_windows = pause_windows
        self._paused = False

    async def process_frame(self, frame: Frame) -> ProcessFrameResult:
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._paused = False
            self._smart_turn.discard_speculation()
        result = await super().process_frame(frame)
        if isinstance(frame, InputAudioRawFrame):
            await self._watch_for_pause()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._paused = False
        return result

    async def _watch_for_pause(self) -> None:
        if not self._vad_user_speaking:
            return
        state = self._vad._vad_state
        if state == VADState.STOPPING and self._vad._vad_stopping_count >= self._pause_windows:
            if not self._paused:
                self._paused = True
                self._smart_turn.speculate()
                await self.push_frame(SpeechPauseFrame(), FrameDirection.UPSTREAM)
        elif state == VADState.SPEAKING and self._paused:
            self._paused = False
            self._smart_turn.discard_speculation()
            await self.push_frame(SpeechResumedFrame(), FrameDirection.UPSTREAM)

