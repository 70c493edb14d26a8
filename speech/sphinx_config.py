"""PocketSphinx decoder settings: the acoustic front end and the search, per input rate.

8 kHz input: the only acoustic model available offline (the wheel's en-us) is
trained on 16 kHz speech. Running its front end at 8 kHz with a telephone-band
filterbank (``narrowband="native"``: ``samprate`` 8000, ``nfft`` 256,
``upperf`` 3500) is a severe mismatch (WER > 80 % in our tests). The default
``narrowband="upsample"`` resamples the stream to 16 kHz (a 2 ms-delay FIR, see ``Upsampler2x``) and
mirrors the 0-4 kHz band into the empty 4-8 kHz band (``BandExtender``: ``x + g * x * (-1)^n``, with
g = 0.2 in voiced frames and 1.0 in hiss-like frames such as /s/), which makes the upper mel filters
see speech-like energy. Live cepstral mean normalisation starts from the mean of that phone-band
signal (``PHONE_CMNINIT``) rather than the wide-band default, so the first utterance of a call is not
decoded against the wrong mean. With ``remove_noise`` off, the domains' language model and the
transcript choice of ``models``, generated in-template phone audio decodes at 1.3 % WER (README,
"Offline speech accuracy").
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PHONE_CMNINIT = "43.9,-0.4,-4.1,1.8,2.9,-14.3,11.8,-5.5,5.2,-1.2,-5.7,6.8,-4.6"
"""Cepstral mean of hibari's voice over the phone channel (mu-law, upsampled, band-extended as
described above), measured by live CMN over 40 utterances that are not in the accuracy test. The model's
default starting mean (40,3,-1,0,...) is that of wide-band speech; starting from the phone mean cut
the word error rate of the first utterance of a call from 19 % to 13 %, and of all utterances from
11.1 % to 8.5 % (measured with the constant band extension). Any
change to the 8 kHz front end needs it measured again."""



@dataclass(frozen=True)
class DecoderSettings:
    """Acoustic front-end and search settings for one input rate."""

    sample_rate: int = 16000
    narrowband: Literal["native", "upsample"] = "upsample"  # how 8 kHz input is handled
    bandwidth_extension: float = 0.2  # level of the mirrored band added when upsampling 8 kHz (voiced sounds)
    fricative_extension: float | None = 1.0  # its level in hiss-like frames (/s/, /f/); None: the same
    cmninit: str | None = None  # starting cepstral mean; None: PHONE_CMNINIT for upsampled 8 kHz, else the model's
    upperf: float | None = None      # None: model default (6800) at 16 kHz, 3500 for native 8 kHz
    lowerf: float = 130.0
    nfilt: int = 25
    cmn: Literal["live", "batch", "none"] = "live"
    remove_noise: bool = False  # spectral subtraction hurts on clean/codec audio
    beam: float = 1e-48
    wbeam: float = 7e-29
    pbeam: float = 1e-48
    lw: float = 6.5
    wip: float = 0.65
    maxhmmpf: int = 30000
    fwdflat: bool = True
    bestpath: bool = True
    topn: int = 4
    ds: int = 1
    nbest: int = 0  # finals carry up to this many other readings of the utterance (``alternatives``)
    extra: dict[str, object] = field(default_factory=dict)

    def decoder_rate(self) -> int:
        """Rate the pocketsphinx front end runs at."""
        return 16000 if self.sample_rate == 8000 and self.narrowband == "upsample" else self.sample_rate


def make_config(lm_path: str | os.PathLike[str] | None, dict_path: str | os.PathLike[str] | None,
                settings: DecoderSettings) -> dict[str, object]:
    """Keyword arguments for ``pocketsphinx.Decoder``."""
    from pocketsphinx import get_model_path

    rate = settings.decoder_rate()
    hmm = get_model_path("en-us/en-us")
    feat: dict[str, str] = {
        "lowerf": f"{settings.lowerf:g}", "nfilt": str(settings.nfilt), "cmn": settings.cmn,
        "remove_noise": "yes" if settings.remove_noise else "no",
    }
    if settings.cmninit:
        feat["cmninit"] = settings.cmninit
    elif settings.sample_rate == 8000 and rate == 16000:
        feat["cmninit"] = PHONE_CMNINIT
    if rate == 8000:
        feat["upperf"] = f"{settings.upperf or 3500.0:g}"
    elif settings.upperf:
        feat["upperf"] = f"{settings.upperf:g}"
    kw: dict[str, object] = {
        "hmm": hmm,
        "featparams": _feat_params_file(hmm, feat),
        "lm": str(lm_path) if lm_path else get_model_path("en-us/en-us.lm.bin"),
        "dict": str(dict_path) if dict_path else get_model_path("en-us/cmudict-en-us.dict"),
        "samprate": rate,
        "loglevel": "ERROR",
        "beam": settings.beam,
        "wbeam": settings.wbeam,
        "pbeam": settings.pbeam,
        "lw": settings.lw,
        "wip": settings.wip,
        "maxhmmpf": settings.maxhmmpf,
        "fwdflat": settings.fwdflat,
        "bestpath": settings.bestpath,
        "topn": settings.topn,
        "ds": settings.ds,
    }
    if rate == 8000:
        kw["nfft"] = 256
    kw.update(settings.extra)
    return kw


def _feat_params_file(hmm: str, overrides: dict[str, str]) -> str:
    """Write the model's feat.params with ``overrides`` applied; returns its path.

    pocketsphinx applies the model's feat.params *after* the caller's settings,
    so front-end changes (8 kHz filterbank, live CMN) must go through this file.
    """
    params: dict[str, str] = {}
    with open(os.path.join(hmm, "feat.params"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith("-"):
                params[parts[0][1:]] = " ".join(parts[1:])
    params.update(overrides)
    text = "".join(f"-{k} {v}\n" for k, v in params.items())
    digest = hashlib.sha256((hmm + text).encode()).hexdigest()[:16]
    d = Path(tempfile.gettempdir()) / "convonet-sphinx"
    path = d / f"feat-{digest}.params"
    if not path.exists():
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".params")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    return str(path)
