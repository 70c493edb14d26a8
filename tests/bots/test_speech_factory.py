"""Speech provider factories: the offline defaults, clear errors for missing keys, and the real
Pipecat Deepgram / ElevenLabs / Cartesia clients against a local fake of their websocket APIs."""

from __future__ import annotations

import ssl
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.services.cartesia.tts import CartesiaTTSService
from pipecat.services.deepgram.stt import DeepgramSTTService
from pipecat.services.deepgram.tts import DeepgramTTSService
from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
from pipecat.tests.utils import SleepFrame, run_test

from bots.speech import build_stt, check_speech_settings, make_stt, make_tts
from core.config import Settings, SettingsError
from processors.speech.moonshine_stt import MoonshineSTTService
from processors.speech.stt_service import SphinxSTTService
from processors.speech.tts_service import HibariTTSService
from speech.models import SpeechModels
from tests.fakes.speech_servers import FakeSpeechServer, tone
from tests.voice import VOICE


def speech_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSpeechServer]:
    async with FakeSpeechServer(transcript="what is on my calendar today") as server:
        yield server


# ------------------------------------------------------------------ choosing and refusing
def test_offline_providers_by_default(tmp_path: Path) -> None:
    settings = speech_settings(tmp_path)
    check_speech_settings(settings)
    stt = make_stt(settings, 8000, speech := SpeechModels(settings))
    assert isinstance(stt, MoonshineSTTService) and stt._load == speech.moonshine_worker
    tts = make_tts(settings, 8000, speech)
    assert isinstance(tts, HibariTTSService) and tts._voice is speech.voice  # the server's one voice


async def test_the_offline_voice_speaks_at_the_pace_asked(tmp_path: Path) -> None:
    async def seconds(speed: float) -> float:
        settings = speech_settings(tmp_path, hibari_speed=speed)
        down, _ = await run_test(make_tts(settings, 8000, SpeechModels(settings, voice=VOICE)),
                                 frames_to_send=[TTSSpeakFrame("Your todo buy milk is added for tomorrow.")],
                                 pipeline_params=PipelineParams(audio_out_sample_rate=8000))
        return sum(len(f.audio) for f in down if isinstance(f, TTSAudioRawFrame)) / 2 / 8000

    own, brisk = await seconds(1.0), await seconds(1.5)
    assert 0.55 < brisk / own < 0.8, (own, brisk)


def test_pocketsphinx_by_name(tmp_path: Path) -> None:
    settings = speech_settings(tmp_path, stt_provider="sphinx")
    check_speech_settings(settings)
    assert isinstance(make_stt(settings, 8000, SpeechModels(settings)), SphinxSTTService)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"stt_provider": "deepgram"}, "STT_PROVIDER=deepgram needs DEEPGRAM_API_KEY"),
        ({"tts_provider": "deepgram", "deepgram_api_key": " "}, "TTS_PROVIDER=deepgram needs DEEPGRAM_API_KEY"),
        ({"tts_provider": "elevenlabs"}, "TTS_PROVIDER=elevenlabs needs ELEVENLABS_API_KEY"),
        ({"tts_provider": "cartesia", "deepgram_api_key": "dg"}, "TTS_PROVIDER=cartesia needs CARTESIA_API_KEY"),
    ],
)
def test_cloud_provider_without_its_key_is_refused_at_start(tmp_path: Path, overrides: dict[str, object],
                                                            message: str) -> None:
    settings = speech_settings(tmp_path, **overrides)
    with pytest.raises(SettingsError, match=message):
        check_speech_settings(settings)
    with pytest.raises(SettingsError, match=message):
        if "stt_provider" in overrides:
            make_stt(settings, 8000, SpeechModels(settings))
        else:
            make_tts(settings, 8000, SpeechModels(settings))


def test_both_problems_are_reported_together(tmp_path: Path) -> None:
    settings = speech_settings(tmp_path, stt_provider="deepgram", tts_provider="elevenlabs")
    with pytest.raises(SettingsError) as err:
        check_speech_settings(settings)
    assert "DEEPGRAM_API_KEY" in str(err.value) and "ELEVENLABS_API_KEY" in str(err.value)
    assert "STT_PROVIDER=moonshine" in str(err.value)  # the way out is named


# ------------------------------------------------------------------ Deepgram STT
def caller_audio(seconds: float, rate: int) -> list[Frame]:
    pcm = np.frombuffer(tone("x" * int(seconds / 0.04), rate, 0.04), np.int16)
    step = rate // 50
    return [InputAudioRawFrame(pcm[i: i + step].tobytes(), rate, 1) for i in range(0, pcm.size, step)]


async def test_a_calls_deepgram_stt_is_built_off_the_event_loop(tmp_path: Path, fake: FakeSpeechServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Pipecat's Deepgram STT makes a TLS context (the CA bundle read and parsed) for every call: on the
    loop, every other call's audio waited for it (300 ms stalls in the capacity bench)."""
    settings = speech_settings(tmp_path, stt_provider="deepgram", deepgram_api_key="dg", deepgram_base_url=fake.url)
    made_on: list[int] = []
    create = ssl.create_default_context

    def spy(*args: object, **kwargs: object) -> ssl.SSLContext:
        made_on.append(threading.get_ident())
        return create(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", spy)
    stt = await build_stt(settings, 8000, SpeechModels(settings))
    assert isinstance(stt, DeepgramSTTService)
    assert made_on and threading.get_ident() not in made_on


async def test_deepgram_stt_transcribes_through_the_fake(tmp_path: Path, fake: FakeSpeechServer) -> None:
    settings = speech_settings(tmp_path, stt_provider="deepgram", deepgram_api_key="dg-test",
                               deepgram_base_url=fake.url)
    stt = make_stt(settings, 8000, SpeechModels(settings))
    assert isinstance(stt, DeepgramSTTService)
    audio = caller_audio(1.2, 8000)
    down, up = await run_test(
        stt,
        frames_to_send=[VADUserStartedSpeakingFrame(), *audio, VADUserStoppedSpeakingFrame(stop_secs=0.2),
                        SleepFrame(0.5)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [f.text for f in finals] == ["what is on my calendar today"] and finals[0].finalized
    assert [f.text for f in down if isinstance(f, InterimTranscriptionFrame)]
    (conn,) = fake.on("/v1/listen")
    assert conn.headers["Authorization"] == "Token dg-test"
    assert conn.query["sample_rate"] == "8000" and conn.query["encoding"] == "linear16"
    assert conn.audio_bytes == sum(len(f.audio) for f in audio if isinstance(f, InputAudioRawFrame))
    assert {"type": "Finalize"} in conn.messages
    assert not [f for f in up if isinstance(f, ErrorFrame)]


# ------------------------------------------------------------------ cloud TTS
@pytest.mark.parametrize(
    ("provider", "service", "path"),
    [
        ("deepgram", DeepgramTTSService, "/v1/speak"),
        ("elevenlabs", ElevenLabsTTSService, "/v1/text-to-speech/"),
        ("cartesia", CartesiaTTSService, "/tts/websocket"),
    ],
)
async def test_cloud_tts_speaks_through_the_fake(tmp_path: Path, fake: FakeSpeechServer, provider: str,
                                                 service: type, path: str) -> None:
    settings = speech_settings(
        tmp_path, tts_provider=provider, **{f"{provider}_api_key": "key-test", f"{provider}_base_url": fake.url}
    )
    tts = make_tts(settings, 8000, SpeechModels(settings))
    assert isinstance(tts, service)
    text = "Your table for four is booked."
    down, up = await run_test(tts, frames_to_send=[TTSSpeakFrame(text), SleepFrame(0.3)],
                              pipeline_params=PipelineParams(audio_out_sample_rate=8000))
    (conn,) = fake.on(path)
    assert "".join(conn.texts).strip() == text
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert audio and {f.sample_rate for f in audio} == {8000}
    assert sum(len(f.audio) for f in audio) == len(tone(text, 8000, fake.seconds_per_char))
    kinds = [type(f) for f in down]
    assert kinds.index(TTSStartedFrame) < kinds.index(TTSAudioRawFrame) < kinds.index(TTSStoppedFrame)
    assert not [f for f in up if isinstance(f, ErrorFrame)]
    if provider == "elevenlabs":
        assert "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/" in conn.path and conn.query["output_format"] == "pcm_8000"
    if provider == "cartesia":
        first = conn.messages[0]
        assert first["voice"]["id"] == settings.cartesia_voice_id
        assert first["output_format"] == {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 8000}
    if provider == "deepgram":
        assert conn.query["sample_rate"] == "8000" and conn.headers["Authorization"] == "Token key-test"
