"""Building blocks of live recognition: audio in the model's format, voice activity, and the commit policy.

- ``PcmConverter`` turns the session's raw audio (``pcm_s16le``, ``pcm_f32le`` or ``mulaw`` at any rate,
  split anywhere, even inside a sample) into float32 mono at 16 kHz, resampling with PyAV as it streams.
- ``StreamingVad`` runs the Silero VAD that faster-whisper ships over 32 ms windows, carrying the model's
  state from one call to the next, so its probabilities are exactly those of a run over the whole stream.
- ``agree`` and ``after_committed`` are the commit policy (local agreement): a word becomes final once two
  decodes in a row agree on it, so partial text only ever grows at its end, never rewrites what was shown
  long ago.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from studio.local.whisper_model import SAMPLE_RATE, Word
from studio.local.whisper_results import normalise

VAD_WINDOW = 512  # samples (32 ms at 16 kHz)
VAD_CONTEXT = 64
VAD_SECONDS = VAD_WINDOW / SAMPLE_RATE


def _mulaw_table() -> np.ndarray:
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return (np.where(sign != 0, -magnitude, magnitude) / 32768.0).astype(np.float32)


_MULAW = _mulaw_table()
_SAMPLE_BYTES = {"pcm_s16le": 2, "pcm_f32le": 4, "mulaw": 1}


class PcmConverter:
    def __init__(self, encoding: str, sample_rate: int) -> None:
        if encoding not in _SAMPLE_BYTES:
            raise ValueError(f"unknown encoding {encoding!r}")
        self.encoding = encoding
        self.sample_rate = sample_rate
        self._width = _SAMPLE_BYTES[encoding]
        self._rest = b""
        self._resampler: Any = None
        if sample_rate != SAMPLE_RATE:
            import av

            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def _samples(self, data: bytes) -> np.ndarray:
        data = self._rest + data
        usable = len(data) - len(data) % self._width
        self._rest = data[usable:]
        raw = data[:usable]
        if self.encoding == "pcm_s16le":
            return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        if self.encoding == "pcm_f32le":
            return np.frombuffer(raw, dtype="<f4").astype(np.float32)
        return _MULAW[np.frombuffer(raw, dtype=np.uint8)]

    def _resample(self, samples: np.ndarray | None) -> np.ndarray:
        import av

        frames = []
        if samples is None:
            frames = self._resampler.resample(None)
        elif len(samples):
            frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
            frame.sample_rate = self.sample_rate
            frames = self._resampler.resample(frame)
        parts = [f.to_ndarray()[0] for f in frames]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

    def convert(self, data: bytes) -> np.ndarray:
        samples = self._samples(data)
        return samples if self._resampler is None else self._resample(samples)

    def flush(self) -> np.ndarray:
        return np.zeros(0, np.float32) if self._resampler is None else self._resample(None)


class StreamingVad:
    """Speech probabilities for each complete 32 ms window of a stream."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(VAD_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def process(self, audio: np.ndarray) -> np.ndarray:
        buffer = np.concatenate([self._pending, audio]) if len(self._pending) else audio
        count = len(buffer) // VAD_WINDOW
        self._pending = buffer[count * VAD_WINDOW:].copy()
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        windows = buffer[:count * VAD_WINDOW].reshape(count, VAD_WINDOW).astype(np.float32)
        context = np.concatenate([self._context[None, :], windows[:-1, -VAD_CONTEXT:]], axis=0)
        batch = np.concatenate([context, windows], axis=1)
        output, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = windows[-1, -VAD_CONTEXT:].copy()
        return np.asarray(output, dtype=np.float32).reshape(-1)

    def flush(self) -> np.ndarray:
        """Probabilities for the last, incomplete window (padded with silence)."""
        if not len(self._pending):
            return np.zeros(0, dtype=np.float32)
        return self.process(np.zeros(VAD_WINDOW - len(self._pending), dtype=np.float32))


def after_committed(words: Sequence[Word], committed: Sequence[Word], committed_end: float) -> list[Word]:
    """The words of a new decode that come after what is already final: later in time, and not a repeat of
    the last few final words (Whisper's timings drift a little from one decode to the next)."""
    new = [w for w in words if (w.start + w.end) / 2 > committed_end]
    if not committed or not new:
        return new
    tail = [normalise(w.text) for w in committed[-5:]]
    head = [normalise(w.text) for w in new[:5]]
    for size in range(min(len(tail), len(head)), 0, -1):
        if tail[-size:] == head[:size]:
            return new[size:]
    return new


def agree(previous: Sequence[Word], current: Sequence[Word]) -> int:
    """How many leading words two consecutive decodes agree on."""
    count = 0
    for old, new in zip(previous, current, strict=False):
        if normalise(old.text) != normalise(new.text):
            break
        count += 1
    return count
