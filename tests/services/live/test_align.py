"""Putting captures on the session's timeline: late starts, jitter, drift, stalls, dropped blocks, and two
real sources that start at different moments coming out in step."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import LocalServer
from studio.services.live import LiveConfig, LiveSession, SourceChoice, SourceKind
from studio.services.live.align import ChannelAligner
from tests.services.live.conftest import RATE, RecordingRecognizer, connect_to, file_factory, wav

BLOCK = 20  # frames per block at the 1 kHz rate of the unit tests


def feed(aligner: ChannelAligner, starts: list[float], rate: int = 1000) -> np.ndarray:
    """Blocks of ``BLOCK`` frames whose first frame was captured at ``starts[i]``, arriving with no delay."""
    out = []
    for index, start in enumerate(starts):
        block = np.full(BLOCK, index + 1, np.float32)
        out += aligner.place(block, start + BLOCK / rate)
    return np.concatenate(out)


def test_a_device_that_starts_late_is_preceded_by_silence() -> None:
    aligner = ChannelAligner(1000, origin=100.0)
    timeline = feed(aligner, [100.3 + i * 0.02 for i in range(10)])
    assert np.all(timeline[:300] == 0) and timeline[300] == 1
    assert len(timeline) == 300 + 10 * BLOCK and aligner.padded == 300 and aligner.trimmed == 0


def test_arrival_jitter_is_left_alone() -> None:
    rng = np.random.default_rng(3)
    aligner = ChannelAligner(1000, origin=0.0)
    out = []
    for index in range(500):  # blocks delivered 0–35 ms late, in no order of lateness
        late = float(rng.uniform(0, 0.035))
        out += aligner.place(np.full(BLOCK, index + 1, np.float32), (index + 1) * BLOCK / 1000 + late)
    timeline = np.concatenate(out)
    assert aligner.padded == 0 and aligner.trimmed == 0
    assert np.array_equal(timeline, np.repeat(np.arange(1, 501), BLOCK).astype(np.float32))


def test_a_device_clock_that_runs_slow_or_fast_is_kept_on_wall_time() -> None:
    for ppm in (-1000.0, 1000.0):  # a 48 kHz device that really runs at 47 952 or 48 048 Hz, exaggerated
        aligner = ChannelAligner(1000, origin=0.0)
        step = BLOCK / 1000 * (1 - ppm * 1e-6)  # wall seconds per block of the device's frames
        blocks = 120 * 50  # two minutes: 0.12 s of drift, three times the tolerance
        feed(aligner, [i * step for i in range(blocks)])
        wall = blocks * step
        assert abs(aligner.position / 1000 - wall) <= aligner.tolerance_frames / 1000 + BLOCK / 1000
        assert (aligner.trimmed if ppm > 0 else aligner.padded) > 0  # a fast device gives too many frames


def test_dropped_blocks_and_stalls_leave_silence_of_their_length() -> None:
    aligner = ChannelAligner(1000, origin=0.0)
    feed(aligner, [i * 0.02 for i in range(50)])  # 1 s
    aligner.skip(200)  # 0.2 s captured but dropped on the way
    pieces = aligner.place(np.ones(BLOCK, np.float32), 1.2 + 0.02)
    assert [len(p) for p in pieces] == [200, BLOCK] and not pieces[0].any()
    # A device silent for 3 s: the channel is padded up to `hold` behind now, and the device's late audio,
    # when it comes back, only fills what is not yet filled.
    silence = aligner.fill_to(now=4.22, hold=2.0)
    assert silence is not None and aligner.position == 2220 and not silence.any()
    assert aligner.fill_to(now=4.22, hold=2.0) is None
    aligner.restart()  # a new device
    pieces = aligner.place(np.full(BLOCK, 7, np.float32), 4.2 + 0.02)
    assert aligner.position == 4220 and len(pieces[0]) == 4200 - 2220 and pieces[-1][0] == 7


def click_track(seconds: float, clicks: list[float], rate: int = RATE) -> np.ndarray:
    samples = np.zeros(round(seconds * rate), np.int16)
    for at in clicks:
        samples[round(at * rate):round(at * rate) + 16] = 20000
    return samples


async def test_two_sources_that_start_apart_come_out_in_step(scripted: LocalServer, recognizer: RecordingRecognizer,
                                                             tmp_path: Path) -> None:
    """Two devices that open one after the other, one of them slow to deliver its first block (0.35 s) and
    the other at 48 kHz: in what the server received, each click is at the audio time of the moment it was
    captured (the device's start on the session clock plus its place in the file), on both channels."""
    clock = ScaledClock(4.0)
    clicks = [1.0, 2.5, 4.0]
    them = wav(tmp_path / "them.wav", click_track(5.0, clicks, 48000), 48000)
    me = wav(tmp_path / "me.wav", click_track(5.0, clicks))
    made: list[FileSource] = []
    factory = file_factory({"Me": me, "Them": them}, clock, made=made,
                           options={"Me": {"start_delay": 0.35}})
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.BOTH, "m", "t"),
                          LiveConfig(diarization="channel"), source_factory=factory, clock=clock)
    await session.start()
    await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(s.finished.wait, 60) for s in made)), 60)
    await session.stop()
    assert all(source.started_at is not None for source in made)
    starts = {source.source_id.split(":")[1]: source.started_at or 0.0 for source in made}
    for channel, got in zip(("Me", "Them"), recognizer.sessions, strict=True):
        samples = np.frombuffer(bytes(got.audio), dtype="<i2").astype(np.float32)
        onsets = np.flatnonzero((np.abs(samples[1:]) > 8000) & (np.abs(samples[:-1]) <= 8000)) / RATE
        heard = [float(t) for i, t in enumerate(onsets) if i == 0 or t - onsets[i - 1] > 0.2]
        happened = [starts[channel] - session.origin + t for t in clicks]
        assert len(heard) == len(happened), heard
        for at, expected in zip(heard, happened, strict=True):
            assert abs(at - expected) <= 0.045, (channel, heard, happened)  # the aligner's tolerance, and a frame
    assert starts["Me"] - session.origin >= 0.35  # it did start late: the alignment had work to do
