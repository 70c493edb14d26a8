"""hibari wrapper: real model, real audio."""

import asyncio
import threading

import numpy as np
import pytest

from speech import hibari
from tests.voice import VOICE


def test_singleton_is_shared_across_threads() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(VOICE.load())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in seen}) == 1
    assert VOICE.is_loaded


def test_only_the_bundled_voice_is_offered() -> None:
    with pytest.raises(ValueError, match="only the bundled voice 'heart'"):
        hibari.HibariVoice("bella")  # any other voice would download a file


def test_synthesize_int16_and_bytes() -> None:
    pcm, sr = VOICE.synthesize("Hello there.", seed=0)
    assert sr == hibari.MODEL_RATE == 24000
    assert pcm.dtype == np.int16 and 0.4 * sr < pcm.size < 3 * sr
    assert np.abs(pcm).max() > 1000  # not silence
    raw, sr2 = VOICE.synthesize("Hello there.", seed=0, as_bytes=True)
    assert isinstance(raw, bytes) and sr2 == sr and raw == pcm.tobytes()  # same seed, same audio


@pytest.mark.parametrize("rate", [8000, 16000, 24000, 48000])
def test_resampled_output_length(rate: int) -> None:
    ref, _ = VOICE.synthesize("Your table is booked.", seed=1)
    pcm, sr = VOICE.synthesize("Your table is booked.", rate, seed=1)
    assert sr == rate
    assert pcm.size == round(ref.size * rate / hibari.MODEL_RATE)


def test_stream_sentences_one_chunk_per_sentence() -> None:
    text = "Sure. I created the todo. Anything else?"
    chunks = list(VOICE.stream_sentences(text, 8000, seed=0))
    assert [c.text for c in chunks] == ["Sure.", "I created the todo.", "Anything else?"]
    assert all(c.sample_rate == 8000 and c.pcm.dtype == np.int16 and c.duration > 0.2 for c in chunks)
    assert len(chunks[0].to_bytes()) == 2 * chunks[0].pcm.size


def test_async_stream() -> None:
    async def collect() -> list[hibari.SentenceAudio]:
        return [c async for c in VOICE.astream_sentences("One. Two.", 16000, seed=0)]

    chunks = asyncio.run(collect())
    assert len(chunks) == 2 and all(c.sample_rate == 16000 for c in chunks)


async def test_every_call_synthesises_on_the_voice_s_few_threads() -> None:
    """Several calls speaking at once share the voice's `SYNTH_THREADS` synthesis threads (spread over
    the event loop's default threads, each thread kept its own malloc arena of several MB), and all get
    their audio, each the same as when it speaks alone."""
    VOICE.load()
    before = {t.ident for t in threading.enumerate()}

    async def say(text: str) -> int:
        return sum([c.pcm.size async for c in VOICE.astream_sentences(text, 8000, seed=0)])

    texts = [f"Call {n} is speaking now. It says two sentences." for n in range(4)]
    sizes = await asyncio.gather(*(say(text) for text in texts))
    assert all(size > 8000 for size in sizes)
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert len(new) <= hibari.SYNTH_THREADS and all(t.name.startswith("hibari") for t in new)
    assert sizes == [await say(text) for text in texts]  # synthesising side by side changes nothing


def test_benchmark_is_faster_than_realtime() -> None:
    b = VOICE.benchmark("Okay, your appointment is booked for Tuesday at eleven.", 8000, repeats=3)
    assert b.audio_seconds > 1.0
    assert b.rtf < 0.5  # ~0.01 measured on one core; generous for loaded CI machines
    assert b.first_audio_ms < 1000
