"""The voice preview cache: a clip heard once is replayed without a request, within a size bound.

Public API::

    cache = PreviewCache(voice_cache_dir(paths.cache), max_bytes=200 * 1024**2)
    samples = cache.get(request)       # int16 samples, or None; a hit counts as a use (kept longer)
    cache.put(request, samples)        # the oldest-used clips go once the total passes max_bytes
    cache.stats() -> CacheStats(clips, bytes); cache.clear()

Every clip is a WAV file named by ``PreviewRequest.key`` (text, voice, format and engine) with a small JSON
file beside it saying what it is. Nothing is kept in memory, so several ``PreviewCache`` objects on one
folder (the Voices page, the Settings dialog) always agree; the methods do file work, so call them off
the GUI thread. A damaged or half-written file is a miss, never an error.
"""

from __future__ import annotations

import json
import logging
import os
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from studio.api.tts import SAMPLE_RATE
from studio.services.voices.clip import PreviewRequest
from studio.storage.atomic import write_atomic

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def voice_cache_dir(cache_root: Path) -> Path:
    """Where the previews live under the studio's cache folder."""
    return cache_root / "voice-previews"


@dataclass(frozen=True)
class CacheStats:
    clips: int
    bytes: int

    @property
    def text(self) -> str:
        if not self.clips:
            return "empty"
        size = self.bytes / 1024 / 1024
        return f"{self.clips} clip{'s' if self.clips != 1 else ''}, {size:.1f} MB"


class PreviewCache:
    def __init__(self, directory: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def _wav(self, request: PreviewRequest) -> Path:
        return self.directory / f"{request.key}.wav"

    def has(self, request: PreviewRequest) -> bool:
        """Whether a clip for ``request`` is kept (one file lookup)."""
        return self._wav(request).is_file()

    def get(self, request: PreviewRequest) -> npt.NDArray[np.int16] | None:
        path = self._wav(request)
        try:
            with wave.open(str(path), "rb") as wav:
                if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
                    return None
                data = wav.readframes(wav.getnframes())
            os.utime(path)  # a use: evicted last
        except (OSError, EOFError, wave.Error):
            return None
        return np.frombuffer(data, dtype="<i2").astype(np.int16)

    def put(self, request: PreviewRequest, samples: npt.NDArray[np.int16]) -> None:
        if not len(samples):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._wav(request)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with wave.open(str(tmp), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(SAMPLE_RATE)
                wav.writeframes(np.asarray(samples, dtype="<i2").tobytes())
            os.replace(tmp, path)
            about = {"text": request.text, "voice": request.voice, "engine": request.engine,
                     "format": request.output_format, "saved": time.time()}
            write_atomic(path.with_suffix(".json"), json.dumps(about, ensure_ascii=False).encode())
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("a voice preview could not be cached: %s", exc)
            return
        self.trim()

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries = []
        try:
            listing = list(self.directory.glob("*.wav"))
        except OSError:
            return []
        for path in listing:
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        return entries

    def trim(self) -> None:
        """Removes the clips used longest ago until the total fits ``max_bytes``."""
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            self._remove(path)
            total -= size

    def stats(self) -> CacheStats:
        entries = self._entries()
        return CacheStats(len(entries), sum(size for _, size, _ in entries))

    def clear(self) -> CacheStats:
        """Removes every clip; returns what was removed."""
        removed = self.stats()
        for _, _, path in self._entries():
            self._remove(path)
        return removed

    @staticmethod
    def _remove(path: Path) -> None:
        for victim in (path, path.with_suffix(".json")):
            try:
                victim.unlink(missing_ok=True)
            except OSError as exc:
                log.info("could not remove %s: %s", victim, exc)
