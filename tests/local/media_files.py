"""Compressed media files for the realtime ``type: file`` tests, encoded here with PyAV from a shared recording
(every container the protocol reference lists for file audio)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.helpers.media import pcm_of

#: name → (container, codec, sample rate, muxer options)
FORMATS: dict[str, tuple[str, str, int, dict[str, str]]] = {
    "mp3": ("mp3", "libmp3lame", 16000, {}),
    "aac": ("adts", "aac", 16000, {}),
    "ogg": ("ogg", "libopus", 48000, {}),
    "mpeg": ("mpeg", "mp2", 16000, {}),
    "amr": ("amr", "libopencore_amrnb", 8000, {}),
    "m4a": ("ipod", "aac", 16000, {"movflags": "faststart"}),
    "mp4": ("mp4", "aac", 16000, {"movflags": "faststart"}),
    "flac": ("flac", "flac", 16000, {}),
    "m4a-index-last": ("ipod", "aac", 16000, {}),  # the index after the media: decodable only once complete
}


def encoded(path: Path, wav: Path, name: str) -> Path:
    container, codec, rate, options = FORMATS[name]
    samples, source_rate = pcm_of(wav)
    assert source_rate == 16000
    if rate != source_rate:
        positions = np.arange(0, len(samples), source_rate / rate)
        samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.int16)
    with av.open(str(path), mode="w", format=container, options=options) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        size = 960 if codec == "libopus" else 1024
        for start in range(0, len(samples), size):
            frame = av.AudioFrame.from_ndarray(samples[start:start + size].astype("<i2").reshape(1, -1),
                                               format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path
