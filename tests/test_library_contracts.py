"""The private attributes of Pipecat, LangChain and google-genai our code reaches into, checked on the
real library objects: an upgrade that renames or drops one fails here, by name, rather than in a call.

Who relies on what: bots/turn_models.py (the shared VAD and smart-turn sessions, the gated VAD, the early
turn stop) and speech/turn.py (the model files in the pipecat wheel), bots/call_worker.py (the filtered observer proxy),
transports/twilio.py (the hardened Twilio serializer), bots/llm/providers.py (the Gemini client
rebuilt for the Gemini API)."""

from __future__ import annotations

import inspect
from importlib import resources
from pathlib import Path
from typing import Any

from google.genai.types import HttpOptions
from langchain_google_genai import ChatGoogleGenerativeAI
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADState
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy


def _missing(obj: object, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not hasattr(obj, name)]


def test_silero_vad_attributes_the_shared_session_relies_on() -> None:
    path = resources.files("pipecat.audio.vad.data").joinpath("silero_vad.onnx")
    model = SileroOnnxModel(str(path))
    assert _missing(model, ("session", "sample_rates", "reset_states")) == []
    analyzer = SileroVADAnalyzer()
    assert _missing(analyzer, ("_model", "_windows_since_reset", "_low_confidence_windows", "_run_analyzer")) == []
    assert isinstance(analyzer._model, SileroOnnxModel)
    assert "sample_rate" in inspect.signature(VADAnalyzer.__init__).parameters
    # EarlyTurnStopStrategy reads the VAD's state machine (set up with the params, once the rate is known).
    analyzer.set_sample_rate(8000)
    assert _missing(analyzer, ("_vad_state", "_vad_stopping_count")) == []
    # The gated analysis (SharedSileroVADAnalyzer._run_analyzer) runs Pipecat's state machine itself.
    names = ("_vad_buffer", "_vad_frames_num_bytes", "_params", "_prev_volume", "_get_smoothed_volume",
             "_vad_starting_count", "_vad_start_frames", "_vad_stop_frames", "voice_confidence")
    assert _missing(analyzer, names) == []
    assert isinstance(analyzer._vad_buffer, bytes) and analyzer._vad_frames_num_bytes == 512
    assert isinstance(analyzer._vad_state, VADState) and isinstance(analyzer._vad_stopping_count, int)
    assert {"STOPPING", "SPEAKING", "QUIET"} <= set(VADState.__members__)


def test_the_turn_model_files_are_where_pipecat_keeps_them() -> None:
    """speech/turn.py opens the VAD and smart-turn models in the pipecat wheel without importing Pipecat."""
    from speech.turn import SILERO_FILE, SMART_TURN_FILE, pipecat_file

    silero = resources.files("pipecat.audio.vad.data").joinpath("silero_vad.onnx")
    smart_turn = resources.files("pipecat.audio.turn.smart_turn.data").joinpath("smart-turn-v3.2-cpu.onnx")
    assert pipecat_file(SILERO_FILE) == Path(str(silero)) and pipecat_file(SILERO_FILE).is_file()
    assert pipecat_file(SMART_TURN_FILE) == Path(str(smart_turn)) and pipecat_file(SMART_TURN_FILE).is_file()


def test_worker_observer_attributes_the_filtered_observer_relies_on() -> None:
    """bots/call_worker.py swaps the worker's observer proxy for a filtering one."""
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import IdleFrameObserver, PipelineWorker
    from pipecat.pipeline.worker_observer import WorkerObserver

    worker = PipelineWorker(Pipeline([]), idle_timeout_secs=30, enable_rtvi=False)
    assert isinstance(worker._observer, WorkerObserver)
    assert _missing(worker._observer, ("_observers", "_proxies", "_frames_pushed")) == []
    idle = [o for o in worker._observer._observers if isinstance(o, IdleFrameObserver)]
    assert len(idle) == 1 and isinstance(idle[0]._idle_timeout_frames, tuple)


def test_smart_turn_attributes_the_shared_session_and_speculation_rely_on() -> None:
    analyzer = LocalSmartTurnAnalyzerV3()
    names = ("_log_data", "_session", "_speech_triggered", "_audio_buffer", "_model_executor",
             "_process_speech_segment", "_clear")
    assert _missing(analyzer, names) == []
    assert isinstance(analyzer._audio_buffer, list) and analyzer._speech_triggered is False
    assert list(inspect.signature(analyzer._process_speech_segment).parameters) == ["audio_buffer"]
    assert list(inspect.signature(analyzer._clear).parameters) == ["turn_state"]


def test_turn_stop_strategy_attribute_the_early_stop_reads() -> None:
    strategy = TurnAnalyzerUserTurnStopStrategy(turn_analyzer=LocalSmartTurnAnalyzerV3())
    assert _missing(strategy, ("_vad_user_speaking",)) == []


def test_twilio_serializer_attributes_the_hardened_serializer_reads() -> None:
    serializer = TwilioFrameSerializer(stream_sid="MZ1", params=TwilioFrameSerializer.InputParams(auto_hang_up=False))
    assert _missing(serializer, ("_sample_rate", "_twilio_sample_rate", "_input_resampler")) == []
    assert isinstance(serializer._twilio_sample_rate, int)


def test_gemini_client_attributes_the_api_rebuild_relies_on() -> None:
    model = ChatGoogleGenerativeAI(model="gemini-2.0-flash", google_api_key="k", vertexai=False, max_retries=1)
    assert _missing(model, ("client", "_client_cleanup", "api_version")) == []
    inner: Any = model.client._api_client
    assert _missing(inner, ("vertexai", "_http_options")) == []
    assert isinstance(inner._http_options, HttpOptions)
    assert _missing(inner._http_options, ("base_url", "headers", "client_args", "async_client_args")) == []
    cleanup = model._client_cleanup
    assert len(inspect.signature(type(cleanup)).parameters) == 1  # rebuilt around the new client
