"""A fixed-size ring of recent audio frames, written by the audio thread and read at display rate."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Frames = npt.NDArray[np.float32]


class AudioRing:
    def __init__(self, capacity: int, channels: int = 1, *, samplerate: int = 0) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.samplerate = samplerate  # frames per second of what is written (0: not said)
        self._buffer: Frames = np.zeros((capacity, channels), dtype=np.float32)
        self._capacity = capacity
        self._written = 0  # frames written since creation
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def written(self) -> int:
        with self._lock:
            return self._written

    def write(self, block: npt.ArrayLike) -> None:
        frames = np.asarray(block, dtype=np.float32)
        if frames.ndim == 1:
            frames = frames[:, None]
        frames = frames[-self._capacity:]
        n = len(frames)
        with self._lock:
            start = self._written % self._capacity
            first = min(n, self._capacity - start)
            self._buffer[start:start + first] = frames[:first]
            self._buffer[: n - first] = frames[first:]
            self._written += n

    def latest(self, count: int) -> Frames:
        """The most recent ``count`` frames (fewer if fewer were written), oldest first."""
        with self._lock:
            count = min(count, self._written, self._capacity)
            end = self._written % self._capacity
            if count <= end:
                return self._buffer[end - count:end].copy()
            return np.concatenate((self._buffer[self._capacity - (count - end):], self._buffer[:end]))
