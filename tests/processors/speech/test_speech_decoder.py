"""Streaming PocketSphinx decoding of hibari speech at 8 kHz (phone, mu-law) and 16 kHz."""

import numpy as np
import pytest
import speech_corpus
from speech_accuracy import evaluate, synth_audio

from processors.speech.sphinx_decoder import DecoderSettings, SphinxStream, decode_pcm, iter_chunks

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
    assert finals[0].start_time is not None and finals[0].end_time > finals[0].start_time


def test_native_8k_front_end_configures() -> None:
    """The telephone-band front end loads (it is kept as an option, not the default)."""
    s = SphinxStream(sample_rate=8000, settings=DecoderSettings(sample_rate=8000, narrowband="native"))
    assert s.decoder.config["samprate"] == 8000 and s.decoder.config["upperf"] == 3500


def test_in_template_wer_over_phone(domain_lm) -> None:
    """Accuracy target: in-template WER <= 5 % on 8 kHz mu-law audio (60 sentences)."""
    r = evaluate(domain_lm, speech_corpus.IN_TEMPLATE, 8000, True, "in-template")
    assert r.wer <= 0.05, r.errors
