"""A browser's MediaRecorder recording (WebM with Opus), decoded as its chunks arrive.

MediaRecorder sends the WebM header first and then clusters of Opus packets, often with
"unknown" element sizes (it does not know how long the recording will be). The few EBML
elements that matter are walked here by hand — Segment and Cluster are entered, every other
element is skipped by its size, SimpleBlocks and Blocks yield their Opus packet — and each
packet goes to PyAV's Opus decoder, so decoding is linear in the recording's length and needs
nothing but the bytes received so far.
"""

from __future__ import annotations

import av
import numpy as np

SEGMENT, CLUSTER, BLOCK_GROUP = 0x18538067, 0x1F43B675, 0xA0
SIMPLE_BLOCK, BLOCK = 0xA3, 0xA1
CONTAINERS = {SEGMENT, CLUSTER, BLOCK_GROUP}
EBML_HEADER = 0x1A45DFA3
OPUS_RATE = 48000


class NotWebm(ValueError):
    """The bytes are not a WebM/Opus recording."""


def _vint(data: bytes | bytearray, at: int, *, keep_marker: bool) -> tuple[int, int, bool] | None:
    """An EBML variable-length integer at `at`: (value, length, all-ones); None when it is not all here."""
    if at >= len(data):
        return None
    first = data[at]
    if first == 0:
        raise NotWebm("bad EBML length")
    length = 8 - first.bit_length() + 1
    if at + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


class WebmOpusDecoder:
    """Feed MediaRecorder's chunks in order; get 16-bit mono PCM at `rate` for what has fully arrived."""

    def __init__(self, rate: int = 16000, max_bytes: int = 4 * 1024 * 1024) -> None:
        self.rate = rate
        self.max_bytes = max_bytes
        self.received = 0
        self._pending = bytearray()
        self._started = False
        self._decoder = av.CodecContext.create("libopus", "r")
        self._decoder.sample_rate = OPUS_RATE
        self._decoder.layout = "mono"
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)

    def feed(self, chunk: bytes) -> bytes:
        """The PCM of the packets `chunk` completes (may be empty). Raises NotWebm for anything else."""
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise NotWebm("the recording is too long")
        self._pending += chunk
        if not self._started:
            if len(self._pending) < 4:
                return b""
            if int.from_bytes(self._pending[:4], "big") != EBML_HEADER:
                raise NotWebm("not a WebM recording (no EBML header)")
            self._started = True
        return self._pcm(self._packets())

    def finish(self) -> bytes:
        """What the resampler still holds (call once, after the last chunk)."""
        out = [f.to_ndarray() for f in self._resampler.resample(None)]
        return _join(out)

    def _packets(self) -> list[bytes]:
        data, at, packets = self._pending, 0, []
        while True:
            head = _vint(data, at, keep_marker=True)
            if head is None:
                break
            element, id_len, _ = head
            size = _vint(data, at + id_len, keep_marker=False)
            if size is None:
                break
            length, size_len, unknown = size
            body = at + id_len + size_len
            if element in CONTAINERS:
                at = body  # step inside: its children follow (its size may be unknown)
                continue
            if unknown:
                raise NotWebm("an element of unknown size that is not a container")
            if body + length > len(data):
                break  # not all here yet
            if element in (SIMPLE_BLOCK, BLOCK):
                track = _vint(data, body, keep_marker=False)
                if track is None:
                    raise NotWebm("bad block")
                start = body + track[1] + 3  # track number, 16-bit timecode, flags
                if data[body + track[1] + 2] & 0x06:
                    raise NotWebm("laced blocks are not supported")
                packets.append(bytes(data[start : body + length]))
            at = body + length
        del data[:at]
        return packets

    def _pcm(self, packets: list[bytes]) -> bytes:
        out: list[np.ndarray] = []
        for payload in packets:
            try:
                frames = self._decoder.decode(av.Packet(payload))
            except av.error.FFmpegError:
                continue  # one damaged packet is a 20 ms gap, not the end of the recording
            for frame in frames:
                out += [f.to_ndarray() for f in self._resampler.resample(frame)]
        return _join(out)


def _join(arrays: list[np.ndarray]) -> bytes:
    if not arrays:
        return b""
    return np.concatenate([a.reshape(-1) for a in arrays]).astype("<i2").tobytes()
