"""The figures on the development set, printed, with floors that hold today (the intent model's owner
raises them as it improves). The test set is never scored here: it is run only to report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.accuracy.clips import GAIN_DB, SNR_DB, conditions_for, through_line, voices
from tests.accuracy.scoring import overall, report
from tests.accuracy.sets import load_set
from tests.accuracy.spoken import measure, moonshine, sample
from tests.accuracy.spoken import report as spoken_report
from tests.accuracy.typed import measure as typed_measure

TYPED_DEV_FLOOR = 0.87  # measured 92.8 % on 2026-12-06 (d240142)
SPOKEN_SAMPLE = 20
SPOKEN_WER_CEILING = 0.20  # moonshine, phone path, rate 1.0: measured 10.8 % on 2026-12-06


def test_the_line_is_the_same_on_every_run_and_within_its_ranges(tmp_path: Path) -> None:
    said = "book a table for four tomorrow at seven"
    voice = voices([said], 1.0, tmp_path, workers=1)[0]
    phone = through_line(voice, said, 1.0, "phone")
    assert np.array_equal(phone, through_line(voices([said], 1.0, tmp_path, workers=1)[0], said, 1.0, "phone"))
    assert phone.size == pytest.approx(voice.size / 3 + 0.6 * 8000, abs=2)  # 8 kHz, 0.3 s of line either side
    spectrum = np.abs(np.fft.rfft(phone.astype(np.float64))) ** 2
    hz = np.fft.rfftfreq(phone.size, 1 / 8000)
    assert spectrum[hz < 150].sum() < 0.01 * spectrum[(hz > 300) & (hz < 3400)].sum()  # band-limited
    lines = [conditions_for(f"utterance {i}", 1.0) for i in range(50)]
    assert all(GAIN_DB[0] <= c.gain_db <= GAIN_DB[1] and SNR_DB[0] <= c.snr_db <= SNR_DB[1] for c in lines)
    assert {c.noise for c in lines} == {"white", "pink"}


@pytest.mark.slow
def test_typed_intent_on_the_dev_set(capsys: pytest.CaptureFixture[str]) -> None:
    results = typed_measure(load_set("dev"))
    with capsys.disabled():
        print("\ntyped, dev set:\n" + report(results, per_tool=False))
    assert overall(results).rate >= TYPED_DEV_FLOOR


@pytest.mark.slow
def test_spoken_wer_on_a_dev_sample_over_the_phone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    utterances = sample(load_set("dev"), SPOKEN_SAMPLE)
    [result] = measure(utterances, [1.0], "phone", moonshine(), tmp_path)
    with capsys.disabled():
        print(f"\nspoken, {len(utterances)} dev utterances, moonshine, phone path:\n" + spoken_report([result]))
    assert result.wer() <= SPOKEN_WER_CEILING
