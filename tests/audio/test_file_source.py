"""A file that behaves like a device: paced on its clock, stamped like a device, and faults on demand."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.audio.frames import AudioUnavailableError, Frames
from tests.helpers.wav import write_wav


class Sink:
    def __init__(self) -> None:
        self.blocks: list[tuple[Frames, float]] = []
        self.lost_reason: str | None = None
        self.gone = threading.Event()

    def write(self, block: Frames, end_time: float) -> None:
        self.blocks.append((block.copy(), end_time))

    def lost(self, reason: str) -> None:
        self.lost_reason = reason
        self.gone.set()


def ramp_wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    samples = (np.arange(round(seconds * rate)) % 1000).astype(np.int16)
    return write_wav(path, samples, rate)


def test_blocks_are_paced_and_stamped_on_the_clock(tmp_path: Path) -> None:
    clock = ScaledClock(20.0)
    source = FileSource(ramp_wav(tmp_path / "a.wav", 2.0), clock=clock, then="stop")
    sink = Sink()
    before = clock.now()
    source.start(sink)
    assert source.finished.wait(10)
    source.stop()
    assert source.samplerate == 16000 and source.frames_delivered == 32000
    assert all(len(block) == 320 for block, _ in sink.blocks)
    got = np.concatenate([block for block, _ in sink.blocks])
    assert np.allclose(got * 32768, np.arange(32000) % 1000, atol=0.5)
    ends = [end for _, end in sink.blocks]
    start = ends[0] - 0.02
    assert start >= before  # the first block was captured once the source was open
    assert np.allclose(np.diff(ends), 0.02)  # stamped exactly, as the clock says each block was captured
    assert clock.now() >= ends[-1]  # never delivered before its time


def test_a_source_can_be_lost_part_way_or_refuse_to_open(tmp_path: Path) -> None:
    path = ramp_wav(tmp_path / "a.wav", 3.0)
    sink = Sink()
    source = FileSource(path, clock=ScaledClock(20.0), lost_after=1.0)
    source.start(sink)
    assert sink.gone.wait(10)
    source.stop()
    assert sum(len(b) for b, _ in sink.blocks) == 16000 and "stopped" in (sink.lost_reason or "")
    with pytest.raises(AudioUnavailableError, match="unplugged"):
        FileSource(path, fail_to_open="The device was unplugged").start(Sink())


def test_after_the_file_it_delivers_silence_like_a_quiet_room(tmp_path: Path) -> None:
    sink = Sink()
    source = FileSource(ramp_wav(tmp_path / "a.wav", 0.2), clock=ScaledClock(20.0), samplerate=48000)
    source.start(sink)
    assert source.finished.wait(10)
    while sum(len(b) for b, _ in sink.blocks) < 48000:
        assert not sink.gone.wait(0.01)
    source.stop()
    assert len(sink.blocks[0][0]) == 960  # decoded at the asked rate, 20 ms blocks
    tail = np.concatenate([b for b, _ in sink.blocks])[int(0.25 * 48000):]
    assert np.all(tail == 0)
