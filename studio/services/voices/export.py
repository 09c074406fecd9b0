"""Saving a voice preview in each format the text-to-speech API offers (``speechmatics-protocol.md`` §3.1).

Public API::

    SAVE_FORMATS                          # wav_16000 (a WAV file), pcm_16000 (the bare samples)
    format_for_path(Path("x.pcm"))        # "pcm_16000"; anything else "wav_16000"
    save_samples(samples, path, "wav_16000")

The two formats carry the same audio (16 kHz mono 16-bit; ``pcm_16000`` is ``wav_16000`` without its
header), so a clip heard in one is saved in the other without asking the service again. Files are written
whole to a temporary name and renamed, so a failed save leaves no half file; a WAV gets its real sizes.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from studio.api.tts import SAMPLE_RATE, OutputFormat
from studio.storage.atomic import write_atomic


@dataclass(frozen=True)
class SaveFormat:
    id: OutputFormat
    label: str
    suffix: str


SAVE_FORMATS: tuple[SaveFormat, ...] = (
    SaveFormat("wav_16000", "WAV audio, 16 kHz mono", ".wav"),
    SaveFormat("pcm_16000", "Raw PCM, 16 kHz mono 16-bit little-endian", ".pcm"),
)


def format_for_path(path: Path) -> OutputFormat:
    return "pcm_16000" if path.suffix.lower() in (".pcm", ".raw") else "wav_16000"


def encode(samples: npt.NDArray[np.int16], output_format: OutputFormat, rate: int = SAMPLE_RATE) -> bytes:
    pcm = np.asarray(samples, dtype="<i2").tobytes()
    if output_format == "pcm_16000":
        return pcm
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def save_samples(samples: npt.NDArray[np.int16], path: Path, output_format: OutputFormat | None = None) -> Path:
    """Writes ``samples`` to ``path`` in ``output_format`` (default: from the file name). Raises ``OSError``."""
    write_atomic(path, encode(samples, output_format or format_for_path(path)))
    return path
