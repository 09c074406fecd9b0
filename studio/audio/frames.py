"""Audio blocks from a capture thread to the asyncio side, without ever blocking the capture thread.

Every audio source (a PortAudio device, a PulseAudio/WASAPI loopback, a file paced like a device) delivers
mono float32 blocks to a ``BlockSink`` from its own thread, each stamped with the capture time of its last
frame (``end_time``, on the session's clock — ``time.monotonic`` for devices). ``FrameRing`` is the sink the
live session uses: a single-producer single-consumer ring over preallocated numpy arrays.

* The writer (the capture thread, e.g. PortAudio's callback) copies the block into the preallocated sample
  buffer, records its end index and time in two preallocated arrays, then publishes it by advancing one
  counter. No lock, no I/O, no allocation beyond numpy's slice views. If the reader has fallen so far
  behind that the block does not fit, the block is dropped and counted (``dropped_frames``); the next block
  that fits carries the count of frames dropped before it, so the session's aligner fills the hole with
  silence and timing is never lost.
* The writer wakes the reader through ``waker`` (the pump passes ``loop.call_soon_threadsafe`` of its
  drain), at most once until the reader has drained: wake-ups are batched, never one per block when the
  loop is busy.
* The reader (the event loop) takes every published block with ``read()``: ``(frames, end_time,
  dropped_before)`` tuples.

Under CPython's GIL, an attribute store is atomic and seen in program order by the other thread, so the
"write data, then advance the counter" / "read the counter, then the data" pairing is safe.

``AudioSource`` is what every source implements: ``start(sink)`` opens the device (raising
``AudioUnavailableError`` with a sentence for the user) and ``stop()`` closes it; a device that fails later
calls ``sink.lost(reason)`` from its thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

Frames = npt.NDArray[np.float32]


class AudioUnavailableError(RuntimeError):
    """Audio cannot be captured here; the message says why, for the user."""


class BlockSink(Protocol):
    def write(self, block: Frames, end_time: float) -> None:
        """A block of frames, shape (n,) or (n, channels) (only the first channel is kept); ``end_time`` is
        when its last frame was captured. Called on the capture thread: must not block."""

    def lost(self, reason: str) -> None:
        """The source stopped delivering audio for good (a device that disappeared, an error)."""


class AudioSource(Protocol):
    """One open-able capture: a device, a loopback, or a file paced like a device."""

    @property
    def source_id(self) -> str:
        """The stable id of what is captured (``studio.services.live.sources`` ids)."""

    @property
    def label(self) -> str:
        """The device's name, for people."""

    @property
    def samplerate(self) -> int:
        """The rate of the blocks it delivers (the device's own rate: resampling is done once, later)."""

    def start(self, sink: BlockSink) -> None:
        """Opens the device and starts delivering blocks to ``sink``; raises ``AudioUnavailableError``."""

    def stop(self) -> None:
        """Stops delivering and closes the device; safe to call more than once."""


class FrameRing:
    """The single-producer single-consumer ring described in the module documentation."""

    def __init__(self, capacity: int, max_blocks: int = 1024) -> None:
        if capacity <= 0 or max_blocks <= 0:
            raise ValueError("capacity and max_blocks must be positive")
        self._buffer: Frames = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self._ends = np.zeros(max_blocks, dtype=np.float64)  # end_time of each block
        self._marks = np.zeros(max_blocks, dtype=np.int64)  # frames written up to the end of each block
        self._gaps = np.zeros(max_blocks, dtype=np.int64)  # frames dropped just before each block
        self._dropped_since = 0  # writer: frames dropped since the last block that fitted
        self._max_blocks = max_blocks
        # Writer-owned counters (read by the reader):
        self._frames_written = 0
        self._blocks_written = 0
        # Reader-owned counters (read by the writer):
        self._frames_read = 0
        self._blocks_read = 0
        self.dropped_frames = 0  # frames the writer could not fit (the reader was too far behind)
        self.lost_reason: str | None = None
        self.waker: Callable[[], object] | None = None
        self._wake_pending = False

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def pending_frames(self) -> int:
        return self._frames_written - self._frames_read

    # -- the capture thread ----------------------------------------------------------------------------------
    def write(self, block: Frames, end_time: float) -> None:
        n = len(block)
        if n == 0:
            return
        written = self._frames_written
        if (written + n - self._frames_read > self._capacity
                or self._blocks_written - self._blocks_read >= self._max_blocks):
            self.dropped_frames += n
            self._dropped_since += n
            self._wake()
            return
        samples = block if block.ndim == 1 else block[:, 0]
        start = written % self._capacity
        first = min(n, self._capacity - start)
        self._buffer[start:start + first] = samples[:first]
        if first < n:
            self._buffer[:n - first] = samples[first:]
        slot = self._blocks_written % self._max_blocks
        self._ends[slot] = end_time
        self._marks[slot] = written + n
        self._gaps[slot] = self._dropped_since
        self._dropped_since = 0
        self._frames_written = written + n  # publish: frames first, then the block
        self._blocks_written += 1
        self._wake()

    def lost(self, reason: str) -> None:
        self.lost_reason = reason
        self._wake()

    def _wake(self) -> None:
        waker = self.waker
        if waker is None or self._wake_pending:
            return
        self._wake_pending = True
        try:
            waker()
        except RuntimeError:  # the event loop is closed: nobody is reading any more
            self._wake_pending = False

    # -- the event loop --------------------------------------------------------------------------------------
    def read(self) -> list[tuple[Frames, float, int]]:
        """Every block published since the last read, oldest first: (frames, end_time, frames dropped just
        before it), the frames copied."""
        self._wake_pending = False  # a block published from now on wakes the reader again
        blocks_end = self._blocks_written
        out: list[tuple[Frames, float, int]] = []
        position = self._frames_read
        for index in range(self._blocks_read, blocks_end):
            slot = index % self._max_blocks
            mark = int(self._marks[slot])
            out.append((self._copy(position, mark), float(self._ends[slot]), int(self._gaps[slot])))
            position = mark
        self._blocks_read = blocks_end
        self._frames_read = position  # releases the space to the writer
        return out

    def _copy(self, start: int, end: int) -> Frames:
        a, b = start % self._capacity, end % self._capacity
        if end - start == self._capacity or (b <= a and end > start):
            return np.concatenate((self._buffer[a:], self._buffer[:b]))
        return self._buffer[a:b].copy()
