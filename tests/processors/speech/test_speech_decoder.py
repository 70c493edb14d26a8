"""Streaming PocketSphinx decoding of hibari speech at 8 kHz (phone, mu-law) and 16 kHz."""

import numpy as np
import pytest
import speech_corpus
from speech_accuracy import evaluate, synth_audio

from speech.audio import BandExtender
from speech.sphinx_decoder import (
    PHONE_CMNINIT,
    DecoderSettings,
    SphinxStream,
    decode_pcm,
    iter_chunks,
)
from tests.voice import VOICE

SENTENCE = "create a high priority todo to buy milk tomorrow"


@pytest.mark.parametrize("rate,phone", [(8000, True), (16000, False)])
def test_sentence_decodes(domain_lm, rate: int, phone: bool) -> None:
    pcm = synth_audio(SENTENCE, rate, phone)
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, rate, partial_interval=0.2)
    partials = []
    for chunk in iter_chunks(pcm, rate, 20):
        partials += [e for e in s.feed(chunk) if e.kind == "partial"]
    final = s.finish()
    assert final.kind == "final"
    assert final.text == SENTENCE
    assert partials, "expected interim hypotheses while speaking"
    assert partials[0].text != final.text  # the first partial comes before the end
    assert s.cpu_per_audio_second < 0.5  # ~0.06-0.08 measured


@pytest.mark.parametrize("rate,phone", [(8000, True), (16000, False)])
def test_bytes_input_and_helper(domain_lm, rate: int, phone: bool) -> None:
    pcm = synth_audio("cancel my appointment", rate, phone)
    assert decode_pcm(pcm.tobytes(), rate, domain_lm.lm_path, domain_lm.dict_path) == "cancel my appointment"


def test_stream_reused_across_utterances(domain_lm) -> None:
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, 8000)
    for text in ("transfer me to a person", "my pin is one two three four"):
        for chunk in iter_chunks(synth_audio(text, 8000, True), 8000):
            s.feed(chunk)
        assert s.finish().text == text
    assert s.finish().text == ""  # nothing open


def test_endpointing_emits_finals(domain_lm) -> None:
    rate = 8000
    gap = np.zeros(rate, np.int16)  # 1 s of silence between turns
    audio = np.concatenate([synth_audio("transfer me to a person", rate, True), gap,
                            synth_audio("show my reminders", rate, True), gap])
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, rate, endpointing=True)
    events = []
    for chunk in iter_chunks(audio, rate, 20):
        events += s.feed(chunk)
    events += s.flush()
    finals = [e for e in events if e.kind == "final"]
    assert [f.text for f in finals] == ["transfer me to a person", "show my reminders"]
    start, end = finals[0].start_time, finals[0].end_time
    assert start is not None and end is not None and end > start


def test_native_8k_front_end_configures() -> None:
    """The telephone-band front end loads (it is kept as an option, not the default)."""
    s = SphinxStream(sample_rate=8000, settings=DecoderSettings(sample_rate=8000, narrowband="native"))
    assert s.decoder.config["samprate"] == 8000 and s.decoder.config["upperf"] == 3500


def test_in_template_wer_over_phone(domain_lm) -> None:
    """Accuracy target: in-template WER <= 5 % on 8 kHz mu-law audio (60 sentences)."""
    r = evaluate(domain_lm, speech_corpus.IN_TEMPLATE, 8000, True, "in-template")
    assert r.wer <= 0.05, r.errors


def test_band_extension_does_not_depend_on_chunking() -> None:
    rng = np.random.default_rng(1)
    x = (rng.normal(0, 3000, 16000)).astype(np.float32)
    outs = []
    for size in (160, 333, 1600, 16000):
        ext = BandExtender(0.2, 1.0)
        parts = [ext.process(x[i: i + size]) for i in range(0, x.size, size)]
        outs.append(np.concatenate([*parts, ext.process(np.zeros(0, np.float32), last=True)]))
    for out in outs[1:]:
        np.testing.assert_allclose(out, outs[0], rtol=1e-5, atol=1e-2)
    assert outs[0].size == x.size


@pytest.mark.parametrize("freq,gain", [(300.0, 0.2), (3000.0, 1.0)])
def test_band_extension_mirrors_hiss_louder_than_voicing(freq: float, gain: float) -> None:
    """The mirror image of a 300 Hz tone (voiced-like) comes in at 0.2, of a 3 kHz tone (hiss-like) at 1.0."""
    t = np.arange(16000) / 16000
    x = (8000 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    y = BandExtender(0.2, 1.0).process(x, last=True)
    spec = np.abs(np.fft.rfft(y[1600:]))
    f = np.fft.rfftfreq(y.size - 1600, 1 / 16000)
    image = spec[np.argmin(np.abs(f - (8000 - freq)))] / spec[np.argmin(np.abs(f - freq))]
    assert image == pytest.approx(gain, rel=0.05)


def test_phone_streams_start_from_the_phone_cepstral_mean() -> None:
    assert SphinxStream(sample_rate=8000).decoder.get_cmn(False).startswith(PHONE_CMNINIT.split(",")[0])
    assert SphinxStream(sample_rate=16000).decoder.get_cmn(False).startswith("40,")


def test_final_carries_other_readings(domain_lm) -> None:
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, 8000,
                     settings=DecoderSettings(sample_rate=8000, nbest=5))
    for chunk in iter_chunks(synth_audio("show my reminders", 8000, True), 8000):
        s.feed(chunk)
    final = s.finish()
    assert final.text == "show my reminders"
    assert 0 < len(final.alternatives) <= 5 and final.text not in final.alternatives


def test_a_speculative_final_is_held_until_the_real_finish(domain_lm) -> None:
    """A pause: the final is computed early; the silence after it is not decoded, and `finish` hands
    back the same final at once."""
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, 8000)
    for chunk in iter_chunks(synth_audio("show my reminders", 8000, True), 8000):
        s.feed(chunk)
    early = s.finish(speculative=True)
    assert early.text == "show my reminders" and s.holding
    assert s.feed(np.zeros(1600, np.int16)) == []  # the rest of the VAD stop window: kept, not decoded
    assert s.finish() == early and not s.holding
    for chunk in iter_chunks(synth_audio("transfer me to a person", 8000, True), 8000):  # the next turn
        s.feed(chunk)
    assert s.finish().text == "transfer me to a person"


def test_a_resumed_utterance_is_decoded_whole(domain_lm) -> None:
    """The caller went on after the pause: the utterance re-opens with everything said so far."""
    pcm = synth_audio(SENTENCE, 8000, True)
    cut = pcm.size // 2
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, 8000)
    for chunk in iter_chunks(pcm[:cut], 8000):
        s.feed(chunk)
    assert s.finish(speculative=True).text != SENTENCE
    s.feed(pcm[cut: cut + 800])  # arrives before the resume, as the pipeline's frames do
    s.resume()
    assert not s.holding and s.in_utterance
    for chunk in iter_chunks(pcm[cut + 800:], 8000):
        s.feed(chunk)
    assert s.finish().text == SENTENCE
    assert s.resume() == []  # nothing held: no-op


@pytest.fixture(scope="module")
def lm_with_domain_search(speech_cache):
    from speech.lm_builder import LMConfig, build_language_model

    return build_language_model(speech_corpus.expand(), speech_cache, config=LMConfig(domain_search=True), voice=VOICE)


def test_reread_decodes_the_last_utterance_with_the_domain_words_alone(lm_with_domain_search) -> None:
    lm = lm_with_domain_search
    assert lm.domain_lm_path is not None and lm.domain_lm_path.exists()
    domain_words = {w for s in speech_corpus.expand() for w in s.split()}
    s = SphinxStream(lm.lm_path, lm.dict_path, 8000, settings=DecoderSettings(sample_rate=8000, nbest=3),
                     domain_lm_path=lm.domain_lm_path)
    said = "remind me to call the doctor about the weather"  # "weather" is a general English word
    for chunk in iter_chunks(synth_audio(said, 8000, True), 8000):
        s.feed(chunk)
    assert s.finish().text == said
    cmn = s.decoder.get_cmn()
    again = s.reread()
    assert again.text.startswith("remind me to call the doctor") and "weather" not in again.text
    assert set(again.text.split()) <= domain_words and again.alternatives
    assert all(set(alt.split()) <= domain_words for alt in again.alternatives)
    assert s.decoder.get_cmn() == cmn  # the stream's state is as it was: the next turn decodes as usual
    for chunk in iter_chunks(synth_audio("show my reminders", 8000, True), 8000):
        s.feed(chunk)
        assert s.reread().text == ""  # an utterance is open: nothing to reread
    assert s.finish().text == "show my reminders"
    assert s.reread().text == "show my reminders"


def test_reread_without_a_domain_search_or_an_utterance_is_empty(domain_lm) -> None:
    s = SphinxStream(domain_lm.lm_path, domain_lm.dict_path, 8000)
    assert s.reread().text == ""
    for chunk in iter_chunks(synth_audio("show my reminders", 8000, True), 8000):
        s.feed(chunk)
    assert s.finish().text == "show my reminders" and s.reread().text == ""
