"""Media files the tests make for themselves: MP3, MP4 (H.264 + AAC), WAVs of any layout, all with PyAV or
by hand, from the shared recordings."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from studio.audio import riff


def pcm_of(wav_path: Path) -> tuple[np.ndarray, int]:
    """The samples (int16) and rate of a 16-bit mono WAV, read from its data chunk."""
    wav = riff.read_wav(wav_path)
    assert wav.format.sample_format == "s16" and wav.format.channels == 1
    return np.frombuffer(b"".join(riff.iter_data(wav)), dtype="<i2"), wav.format.sample_rate


def chunk(chunk_id: bytes, payload: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def fmt_chunk(*, tag: int = 1, channels: int = 1, rate: int = 16000, width: int = 2) -> bytes:
    align = channels * width
    return chunk(b"fmt ", struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, width * 8))


def make_wav(path: Path, chunks: Sequence[bytes], *, head: bytes = b"RIFF") -> Path:
    body = b"WAVE" + b"".join(chunks)
    path.write_bytes(head + struct.pack("<I", len(body)) + body)
    return path


def wav_from_samples(path: Path, samples: np.ndarray, rate: int, *, after_data: Sequence[bytes] = ()) -> Path:
    """A 16-bit WAV of ``samples`` (shape (n,) or (n, channels)), with chunks after the data chunk."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    data = samples.astype("<i2").tobytes()
    return make_wav(path, [fmt_chunk(channels=channels, rate=rate), chunk(b"data", data), *after_data])


def encode(path: Path, samples: np.ndarray, rate: int, *, container: str | None = None, codec: str = "mp3",
           video: bool = False, audio: bool = True) -> Path:
    """``samples`` (int16 mono) encoded with PyAV: an MP3, or an MP4 with AAC and, if asked, an H.264 track
    (``audio=False``: the video track alone)."""
    with av.open(str(path), mode="w", format=container) as output:
        sound = output.add_stream(codec, rate=rate, layout="mono") if audio else None
        picture = output.add_stream("libx264", rate=10, width=64, height=48, pix_fmt="yuv420p") if video else None
        if isinstance(sound, av.AudioStream):
            for start in range(0, len(samples), 1152):
                frame = av.AudioFrame.from_ndarray(samples[start:start + 1152].astype("<i2").reshape(1, -1),
                                                   format="s16", layout="mono")
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                output.mux(sound.encode(frame))
            output.mux(sound.encode(None))
        if isinstance(picture, av.VideoStream):
            for index in range(max(1, int(len(samples) / rate * 10))):
                image = np.full((48, 64, 3), (index * 7) % 255, dtype=np.uint8)
                still = av.VideoFrame.from_ndarray(image, format="rgb24")
                still.pts = index
                output.mux(picture.encode(still))
            output.mux(picture.encode(None))
    return path


def make_mp3(path: Path, source: Path) -> Path:
    samples, rate = pcm_of(source)
    return encode(path, samples, rate, codec="mp3")


def make_mp4(path: Path, source: Path) -> Path:
    """An MP4 with an H.264 video track and an AAC audio track of ``source``."""
    samples, rate = pcm_of(source)
    return encode(path, samples, rate, container="mp4", codec="aac", video=True)


def correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 4000) -> float:
    """The best normalised correlation of two signals over lags of up to ``max_lag`` samples either way
    (codecs add delay and padding)."""
    x = a.astype(np.float64) - float(a.mean())
    y = b.astype(np.float64) - float(b.mean())
    size = 1 << int(np.ceil(np.log2(len(x) + len(y))))
    spectrum = np.fft.rfft(x, size) * np.conj(np.fft.rfft(y, size))
    full = np.fft.irfft(spectrum, size)
    lags = np.concatenate([full[:max_lag + 1], full[-max_lag:]])
    return float(lags.max() / (np.sqrt((x * x).sum() * (y * y).sum()) or 1.0))
