"""The waveform's data: a rolling min/max envelope of a source's audio, read incrementally from its ring.

No Qt. ``Envelope.update(ring)`` reads only the frames written since the last call (never the whole ring)
and folds them into fixed bins of ``bin_seconds``; ``window(start, end, columns)`` gives at most
``columns`` (time, low, high) points over an audio-time span, merged from the bins, for drawing one lane.
The cost of a frame is proportional to the audio that arrived since the last frame, plus the columns drawn.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from studio.audio.ring import AudioRing

Floats = npt.NDArray[np.float32]
Times = npt.NDArray[np.float64]

MIN_SECONDS = 2.0  # the span the waveform shows, at its narrowest
MAX_SECONDS = 60.0  # and widest


class Envelope:
    def __init__(self, samplerate: int, *, bin_seconds: float = 0.005, keep_seconds: float = 120.0) -> None:
        if samplerate <= 0 or bin_seconds <= 0 or keep_seconds <= 0:
            raise ValueError("samplerate, bin_seconds and keep_seconds must be positive")
        self.samplerate = samplerate
        self.bin_frames = max(1, round(samplerate * bin_seconds))
        self.bin_seconds = self.bin_frames / samplerate
        self._capacity = max(1, int(keep_seconds / self.bin_seconds))
        self._low: Floats = np.zeros(self._capacity, dtype=np.float32)
        self._high: Floats = np.zeros(self._capacity, dtype=np.float32)
        self._bins = 0  # bins completed since frame 0
        self._read = 0  # frames of the ring consumed (the partly filled bin included)
        self._carry: Floats = np.zeros(0, dtype=np.float32)
        self.offset = 0.0  # audio time of the ring's frame 0

    @property
    def bins(self) -> int:
        return self._bins

    @property
    def end_time(self) -> float:
        """The audio time up to which bins are complete."""
        return self.offset + self._bins * self.bin_seconds

    def reset(self, offset: float = 0.0) -> None:
        self._bins = 0
        self._read = 0
        self._carry = np.zeros(0, dtype=np.float32)
        self.offset = offset

    def update(self, ring: AudioRing) -> int:
        """Folds in what ``ring`` got since the last call; the number of new bins."""
        written = ring.written
        fresh = written - self._read
        if fresh <= 0:
            return 0
        if fresh > ring.capacity:  # fell behind the ring (a stall): what was overwritten is lost as silence
            lost = fresh - ring.capacity
            self._skip(lost)
            fresh = ring.capacity
        frames = ring.latest(fresh)
        self._read = written
        samples = frames[:, 0] if frames.shape[1] == 1 else frames.mean(axis=1)
        if self._carry.size:
            samples = np.concatenate((self._carry, samples))
        whole = samples.size // self.bin_frames
        if whole:
            blocks = samples[: whole * self.bin_frames].reshape(whole, self.bin_frames)
            self._append(blocks.min(axis=1), blocks.max(axis=1))
        self._carry = samples[whole * self.bin_frames:].copy()
        return whole

    def _skip(self, frames: int) -> None:
        total = self._carry.size + frames
        whole = total // self.bin_frames
        if whole:
            zeros = np.zeros(min(whole, self._capacity), dtype=np.float32)
            self._bins += whole - zeros.size
            self._append(zeros, zeros)
        self._carry = np.zeros(total - whole * self.bin_frames, dtype=np.float32)
        self._read += frames

    def _append(self, low: Floats, high: Floats) -> None:
        n = low.size
        if n >= self._capacity:
            low, high = low[-self._capacity:], high[-self._capacity:]
            self._bins += n - self._capacity
            n = self._capacity
        start = self._bins % self._capacity
        first = min(n, self._capacity - start)
        self._low[start:start + first] = low[:first]
        self._high[start:start + first] = high[:first]
        self._low[: n - first] = low[first:]
        self._high[: n - first] = high[first:]
        self._bins += n

    def window(self, start: float, end: float, columns: int) -> tuple[Times, Floats, Floats]:
        """(times, lows, highs) of the bins between audio times ``start`` and ``end``, merged so that there
        are at most ``columns`` of them; each time is the start of its column."""
        first = max(self._bins - self._capacity, int(np.floor((start - self.offset) / self.bin_seconds)), 0)
        last = min(self._bins, int(np.ceil((end - self.offset) / self.bin_seconds)))
        empty = np.zeros(0, dtype=np.float32)
        if last <= first or columns <= 0:
            return np.zeros(0), empty, empty
        step = max(1, -(-(last - first) // columns))
        first -= first % step  # columns on a fixed grid, so they do not shimmer while scrolling
        first = max(first, self._bins - self._capacity)
        count = last - first
        index = (np.arange(first, last) % self._capacity)
        low, high = self._low[index], self._high[index]
        whole = count // step
        if step > 1 and whole:
            cut = whole * step
            lows = low[:cut].reshape(whole, step).min(axis=1)
            highs = high[:cut].reshape(whole, step).max(axis=1)
            if cut < count:
                lows = np.append(lows, low[cut:].min())
                highs = np.append(highs, high[cut:].max())
        else:
            lows, highs = low, high
        times = (self.offset + (first + np.arange(lows.size, dtype=np.float64) * step) * self.bin_seconds)
        return times, lows.astype(np.float32), highs.astype(np.float32)
