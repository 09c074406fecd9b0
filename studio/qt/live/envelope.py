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
        self._forget_columns()

    def _forget_columns(self) -> None:
        self._kept_step = 0  # the columns ``window`` merged, kept for the next frames
        self._kept_start = 0
        self._kept_low: Floats = np.zeros(0, dtype=np.float32)
        self._kept_high: Floats = np.zeros(0, dtype=np.float32)

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
        self._forget_columns()

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
        are at most about ``columns`` of them; each time is the start of its column. Columns lie on a fixed
        grid (so they do not shimmer while scrolling) and a complete column is merged once, then kept: a
        frame merges only the columns that completed since the last one."""
        empty = np.zeros(0, dtype=np.float32)
        if columns <= 0 or end <= start:
            return np.zeros(0), empty, empty
        step = max(1, -(-round((end - start) / self.bin_seconds) // columns))
        oldest = max(self._bins - self._capacity, 0)
        first_bin = max(oldest, int(np.floor((start - self.offset) / self.bin_seconds)))
        last_bin = min(self._bins, int(np.ceil((end - self.offset) / self.bin_seconds)))
        # The column ``start`` falls in, unless some of its bins are no longer held.
        first_column = max(-(-oldest // step), first_bin // step)
        full = last_bin // step  # columns whose bins are all complete
        if last_bin <= first_bin or full < first_column:
            return np.zeros(0), empty, empty
        kept_end = self._kept_start + self._kept_low.size
        if step != self._kept_step or kept_end < first_column or self._kept_start > first_column:
            self._kept_step, self._kept_start = step, first_column
            self._kept_low, self._kept_high = empty, empty
            kept_end = first_column
        if kept_end < full:
            index = np.arange(kept_end * step, full * step) % self._capacity
            self._kept_low = np.concatenate((self._kept_low, self._low[index].reshape(-1, step).min(axis=1)))
            self._kept_high = np.concatenate((self._kept_high, self._high[index].reshape(-1, step).max(axis=1)))
        if self._kept_start < first_column:  # columns that scrolled out of every window asked for
            drop = first_column - self._kept_start
            self._kept_low, self._kept_high = self._kept_low[drop:], self._kept_high[drop:]
            self._kept_start = first_column
        lows, highs = self._kept_low[:full - first_column], self._kept_high[:full - first_column]
        if last_bin > full * step:  # the newest column, still filling
            index = np.arange(full * step, last_bin) % self._capacity
            lows = np.append(lows, self._low[index].min())
            highs = np.append(highs, self._high[index].max())
        times = self.offset + (first_column + np.arange(lows.size, dtype=np.float64)) * step * self.bin_seconds
        return times, lows, highs
