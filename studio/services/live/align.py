"""Putting each capture on the session's timeline, so that channel audio times match wall time.

Two devices start at different moments, deliver with their own latency and jitter, and run on their own
clocks. A session's timeline starts at ``origin`` (a reading of the session's clock, just before the sources
open): audio time ``t`` of every channel is the moment ``origin + t``. ``ChannelAligner`` places one
channel's blocks (already at the session's rate) on it:

* **Where a block belongs.** Each block comes with the capture time of its last frame. A block can arrive
  late (scheduling, buffering) but never early, so ``end_time - frames_so_far / rate`` over-estimates when
  the device's first frame was captured by exactly that delay; the smallest estimate over the last few
  seconds (a two-bucket sliding minimum, so slow clock drift is followed) is the device's start time, and
  a block's place on the timeline follows from its frame count.
* **Gaps are filled, overlaps dropped.** A block that belongs later than the audio placed so far (a device
  that started late, a stall, a device that was replaced) is preceded by silence; one that belongs earlier
  (a device whose clock runs fast, or audio that arrives after ``fill_to`` already filled its time with
  silence) loses its overlapping frames. Differences within ``tolerance`` (40 ms) are left alone, so jitter
  never chops audio.
* **A silent channel keeps time.** ``fill_to(now, hold)`` pads a channel that has delivered nothing for
  ``hold`` seconds (its device was lost or stalled), so the other channel's words and this one's stay in
  step and the recogniser can finish what it heard.
* **A new device** (``restart()``, after a loss) keeps the timeline and starts a new estimate.
"""

from __future__ import annotations

import math

import numpy as np

from studio.audio.frames import Frames

TOLERANCE = 0.04  # seconds of disagreement left alone
WINDOW = 2.0  # seconds per bucket of the sliding minimum


class ChannelAligner:
    def __init__(self, rate: int, origin: float, *, tolerance: float = TOLERANCE, window: float = WINDOW) -> None:
        self.rate = rate
        self.origin = origin
        self.tolerance_frames = max(1, round(tolerance * rate))
        self.window = window
        self.position = 0  # frames on the timeline so far (silence included)
        self.padded = 0  # frames of silence inserted
        self.trimmed = 0  # frames dropped
        self.restart()

    def restart(self) -> None:
        """A new device feeds this channel: its frames are counted and its start estimated afresh."""
        self._source_frames = 0
        self._best = math.inf
        self._previous_best = math.inf
        self._bucket_start: float | None = None

    @property
    def audio_time(self) -> float:
        return self.position / self.rate

    def source_start(self) -> float:
        """The estimated capture time (clock reading) of the current device's first frame."""
        return min(self._best, self._previous_best)

    def skip(self, frames: int) -> None:
        """The device captured ``frames`` that never arrived (dropped on the way): the next block is placed
        after the hole they leave, which is filled with silence."""
        self._source_frames += frames

    def place(self, frames: Frames, end_time: float) -> list[Frames]:
        """The pieces to append to the channel for this block: silence first if it belongs later than the
        audio so far, and the block itself less any overlap."""
        n = len(frames)
        if n == 0:
            return []
        self._source_frames += n
        estimate = end_time - self._source_frames / self.rate
        if self._bucket_start is None or end_time - self._bucket_start >= self.window:
            self._previous_best, self._best = self._best, math.inf
            self._bucket_start = end_time
        self._best = min(self._best, estimate)
        first = round((self.source_start() - self.origin) * self.rate) + self._source_frames - n
        pieces: list[Frames] = []
        gap = first - self.position
        if gap > self.tolerance_frames:
            pieces.append(np.zeros(gap, dtype=np.float32))
            self.padded += gap
            self.position += gap
        elif gap < -self.tolerance_frames:
            drop = min(n, -gap)
            frames = frames[drop:]
            self.trimmed += drop
        if len(frames):
            pieces.append(frames)
            self.position += len(frames)
        return pieces

    def fill_to(self, now: float, hold: float) -> Frames | None:
        """Silence up to ``hold`` seconds before ``now`` if the channel is behind that, else None."""
        target = round((now - hold - self.origin) * self.rate)
        if target <= self.position:
            return None
        silence = np.zeros(target - self.position, dtype=np.float32)
        self.padded += len(silence)
        self.position = target
        return silence
