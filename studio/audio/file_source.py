"""A media file that behaves like a capture device: the same ``AudioSource`` interface, for tests and
benchmarks.

``FileSource(path, clock=…, samplerate=None, speed=…)`` decodes the file with ``studio.audio.decode`` (any
format PyAV reads; ``samplerate`` None keeps the file's own rate) and, once started, delivers 20 ms blocks
from a worker thread at the pace of ``clock`` — a ``ScaledClock(10)`` makes it ten times faster than real
time — each stamped with its capture time on that clock, exactly as a device would. After the end of the
file it goes on delivering silence, as a microphone in a quiet room does (``then="silence"``), stops
(``"stop"``), or reports itself lost (``"lost"``). ``finished`` is set once the file's audio is delivered.

Fault injection: ``start_delay`` seconds (on the clock) before the first block, as a device that is slow to
start; ``lost_after`` seconds of audio after which the source reports itself lost (``sink.lost``), as a
device that is unplugged; ``fail_to_open`` makes ``start`` raise ``AudioUnavailableError``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Literal

import numpy as np

from studio.audio.clock import MONOTONIC, Clock
from studio.audio.decode import DecodeError, StreamFormat, decode_all, probe
from studio.audio.frames import AudioUnavailableError, BlockSink, Frames

log = logging.getLogger(__name__)

BLOCK_SECONDS = 0.02


class FileSource:
    def __init__(self, path: str | Path, *, clock: Clock = MONOTONIC, samplerate: int | None = None,
                 then: Literal["silence", "stop", "lost"] = "silence", start_delay: float = 0.0,
                 lost_after: float | None = None, fail_to_open: str | None = None, source_id: str | None = None,
                 label: str | None = None) -> None:
        self.path = Path(path)
        self.clock = clock
        self._rate = samplerate
        self.then = then
        self.start_delay = start_delay
        self.lost_after = lost_after
        self.fail_to_open = fail_to_open
        self._id = source_id or f"file:{self.path}"
        self._label = label or self.path.name
        self.finished = threading.Event()
        self.started_at: float | None = None  # the clock reading at which the file's first frame is captured
        self.frames_delivered = 0
        self._samples: Frames | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def source_id(self) -> str:
        return self._id

    @property
    def label(self) -> str:
        return self._label

    @property
    def samplerate(self) -> int:
        if self.fail_to_open:
            raise AudioUnavailableError(self.fail_to_open)
        if self._rate is None:
            try:
                self._rate = probe(self.path).sample_rate
            except DecodeError as exc:
                raise AudioUnavailableError(f"{self.path.name}: {exc}") from None
        return self._rate

    @property
    def samples(self) -> Frames:
        """The whole file at ``samplerate``, mono float32 (decoded on first use)."""
        if self._samples is None:
            fmt = StreamFormat(sample_rate=self.samplerate, encoding="pcm_f32le", mono=True)
            try:
                self._samples = np.frombuffer(decode_all(self.path, fmt), dtype="<f4").astype(np.float32)
            except DecodeError as exc:
                raise AudioUnavailableError(f"{self.path.name}: {exc}") from None
        return self._samples

    def start(self, sink: BlockSink) -> None:
        if self.fail_to_open:
            raise AudioUnavailableError(self.fail_to_open)
        if self._thread is not None:
            return
        samples = self.samples
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, args=(sink, samples, self.clock.now()),
                                        name=f"file-source {self.path.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._cancel.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self, sink: BlockSink, samples: Frames, opened: float) -> None:
        rate = self.samplerate
        block = max(1, round(rate * BLOCK_SECONDS))
        silence = np.zeros(block, dtype=np.float32)
        started = opened + self.start_delay
        self.started_at = started
        lost_at = None if self.lost_after is None else round(self.lost_after * rate)
        index = 0
        while True:
            if lost_at is not None and index >= lost_at:
                log.info("file source %s: lost after %.2f s (fault injection)", self.path.name, index / rate)
                sink.lost(f"{self.label} stopped delivering audio")
                return
            if index >= len(samples):
                self.finished.set()
                if self.then == "stop":
                    return
                if self.then == "lost":
                    sink.lost(f"{self.label} ended")
                    return
                chunk = silence
            else:
                chunk = samples[index:index + block]
            end = index + len(chunk)
            end_time = started + end / rate
            if not self.clock.sleep_until(end_time, self._cancel):
                return
            sink.write(chunk, end_time)
            index = end
            self.frames_delivered = min(index, len(samples))
