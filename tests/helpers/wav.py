"""WAV files for tests and benchmarks, with the standard library."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def read_wav(path: Path) -> tuple[bytes, int]:
    """The PCM (16-bit mono) and rate of a WAV; the ``wave`` module stops at the data chunk, so metadata
    chunks after it are not read as audio."""
    with wave.open(str(path)) as source:
        assert source.getsampwidth() == 2 and source.getnchannels() == 1
        return source.readframes(source.getnframes()), source.getframerate()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """A 16-bit WAV of int16 ``samples``, shape (n,) or (n, channels)."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wave.open(str(path), "wb") as target:
        target.setnchannels(channels)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return path
