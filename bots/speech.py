"""Speech providers for the voice pipeline: the STT and TTS services chosen by STT_PROVIDER and
TTS_PROVIDER, offline (Moonshine or PocketSphinx, hibari) or cloud (Deepgram, ElevenLabs, Cartesia).

Call :func:`check_speech_settings` at server start: a cloud provider selected without its key then
stops the server with a clear message instead of failing in the middle of a call. Each cloud
provider's ``*_BASE_URL`` points its real Pipecat client somewhere else (a proxy, or a local fake in
tests); an ``http(s)://`` address is turned into the ``ws(s)://`` one the websocket clients need.
"""

from __future__ import annotations

import asyncio

from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

from core.config import Settings, SettingsError
from processors.speech.moonshine_stt import MoonshineSTTService
from processors.speech.stt_service import SphinxSTTService
from processors.speech.tts_service import HibariTTSService
from speech import models
from speech.models import SpeechModels

_KEYS = {"deepgram": "DEEPGRAM_API_KEY", "elevenlabs": "ELEVENLABS_API_KEY", "cartesia": "CARTESIA_API_KEY"}


def _key(settings: Settings, provider: str) -> str | None:
    return {
        "deepgram": settings.deepgram_api_key,
        "elevenlabs": settings.elevenlabs_api_key,
        "cartesia": settings.cartesia_api_key,
    }.get(provider)


def _missing_key(settings: Settings, kind: str, provider: str, offline: str) -> str | None:
    if provider in _KEYS and not (_key(settings, provider) or "").strip():
        return f"{kind}_PROVIDER={provider} needs {_KEYS[provider]} (or set {kind}_PROVIDER={offline} to run offline)"
    return None


def check_speech_settings(settings: Settings) -> None:
    """Refuse a cloud speech provider selected without its API key (raises SettingsError)."""
    problems = [
        p for p in (
            _missing_key(settings, "STT", settings.stt_provider, "moonshine"),
            _missing_key(settings, "TTS", settings.tts_provider, "hibari"),
        ) if p
    ]
    if problems:
        raise SettingsError("; ".join(problems) + ".")


def _websocket_url(base_url: str | None, default: str) -> str:
    """`http://h:p` → `ws://h:p`, `https://…` → `wss://…`; None → the provider's own address."""
    if not base_url:
        return default
    url = base_url.rstrip("/")
    for web, ws in (("https://", "wss://"), ("http://", "ws://")):
        if url.startswith(web):
            return ws + url[len(web):]
    return url


def make_stt(settings: Settings, sample_rate: int, speech: SpeechModels) -> STTService:
    """The speech-to-text service for audio arriving at ``sample_rate`` (8000 phone, 16000 browser);
    an offline one reads with the server's ``speech`` models."""
    problem = _missing_key(settings, "STT", settings.stt_provider, "moonshine")
    if problem:
        raise SettingsError(problem + ".")
    if settings.stt_provider == "deepgram":
        from pipecat.services.deepgram.stt import DeepgramSTTService

        return DeepgramSTTService(
            api_key=settings.deepgram_api_key or "", base_url=settings.deepgram_base_url or "", sample_rate=sample_rate
        )
    if settings.stt_provider == "moonshine":
        return MoonshineSTTService(recognizer=speech.moonshine_worker, sample_rate=sample_rate)
    return SphinxSTTService(
        language_model=speech.language_model,
        pool=speech.decoder_pool(),
        decoder_settings=models.decoder_settings,
        sample_rate=sample_rate,
        choose=models.grammar_choice,
    )


async def build_stt(settings: Settings, sample_rate: int, speech: SpeechModels) -> STTService:
    """``make_stt`` for a call that is starting, with a cloud provider's set-up off the event loop:
    Pipecat's Deepgram STT builds an HTTP client for every call, whose TLS context loads the CA bundle
    (20-40 ms of CPU, over 300 ms on a busy machine, measured on the loop in the capacity bench), and
    every other call's audio waited for it. OpenSSL lets the loop run meanwhile."""
    if settings.stt_provider == "deepgram":
        return await asyncio.to_thread(make_stt, settings, sample_rate, speech)
    return make_stt(settings, sample_rate, speech)


def make_tts(settings: Settings, sample_rate: int, speech: SpeechModels) -> TTSService:
    """The text-to-speech service producing audio at ``sample_rate`` (8000 phone, 24000 browser); the
    offline one speaks with the server's ``speech`` models' voice."""
    problem = _missing_key(settings, "TTS", settings.tts_provider, "hibari")
    if problem:
        raise SettingsError(problem + ".")
    provider = settings.tts_provider
    if provider == "deepgram":
        from pipecat.services.deepgram.tts import DeepgramTTSService

        return DeepgramTTSService(
            api_key=settings.deepgram_api_key or "",
            base_url=_websocket_url(settings.deepgram_base_url, "wss://api.deepgram.com"),
            sample_rate=sample_rate,
        )
    if provider == "elevenlabs":
        from pipecat.services.elevenlabs.tts import ElevenLabsTTSService

        return ElevenLabsTTSService(
            api_key=settings.elevenlabs_api_key or "",
            url=_websocket_url(settings.elevenlabs_base_url, "wss://api.elevenlabs.io"),
            sample_rate=sample_rate,
            settings=ElevenLabsTTSService.Settings(voice=settings.elevenlabs_voice_id),
        )
    if provider == "cartesia":
        from pipecat.services.cartesia.tts import CartesiaTTSService

        base = _websocket_url(settings.cartesia_base_url, "wss://api.cartesia.ai")
        return CartesiaTTSService(
            api_key=settings.cartesia_api_key or "",
            url=f"{base}/tts/websocket",
            sample_rate=sample_rate,
            settings=CartesiaTTSService.Settings(voice=settings.cartesia_voice_id),
        )
    return HibariTTSService(voice=speech.voice, sample_rate=sample_rate, speed=settings.hibari_speed)
