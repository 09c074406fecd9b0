"""System audio and PulseAudio microphones through soundcard, on the real PulseAudio set-up of
scripts/with-services.sh: listed, recorded back as played, and a source that disappears is reported lost."""

from __future__ import annotations

import itertools
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from studio.audio.frames import Frames
from studio.audio.loopback import SoundcardSource, find_device, list_devices
from studio.audio.resample import StreamResampler
from tests.audio.test_capture_device import best_alignment, read_wav

pytestmark = pytest.mark.usefixtures("desktop")


class Sink:
    def __init__(self, enough: int = 0) -> None:
        self.blocks: list[tuple[Frames, float]] = []
        self.frames = 0
        self.enough = enough
        self.full = threading.Event()
        self.gone = threading.Event()
        self.reason = ""

    def write(self, block: Frames, end_time: float) -> None:
        self.blocks.append((block.copy(), end_time))
        self.frames += len(block)
        if self.enough and self.frames >= self.enough:
            self.full.set()

    def lost(self, reason: str) -> None:
        self.reason = reason
        self.gone.set()


def test_monitors_are_system_audio_and_other_sources_are_microphones() -> None:
    devices = {d.backend_id: d for d in list_devices()}
    system = os.environ["STUDIO_PULSE_SYSTEM_SOURCE"]
    assert devices[system].loopback and devices[system].is_default  # the default output's monitor
    assert devices[system].source_id == f"pulse:{system}"
    mic = os.environ["STUDIO_PULSE_MIC_SOURCE"]
    assert not devices[mic].loopback and not devices[mic].is_default
    assert devices["studio_mic"].is_default and not devices["studio_mic"].loopback
    assert list_devices()[0].is_default
    assert find_device(None, loopback=True).backend_id == system
    assert find_device(f"pulse:{mic}", loopback=False).name == "Studio_live_microphone"


def test_the_loopback_records_what_is_played_to_the_output(shared_audio: Path) -> None:
    path = shared_audio / "audio_03_16kHz.wav"
    reference, rate = read_wav(path)
    source = SoundcardSource(find_device(None, loopback=True))
    sink = Sink(enough=source.samplerate * 3)
    source.start(sink)
    try:
        assert sink.full.wait(20)  # the stream runs (a monitor delivers silence when nothing plays)
        sink.enough = sink.frames + round(source.samplerate * (len(reference) / rate + 1.0))
        sink.full.clear()
        subprocess.run(["paplay", str(path)], check=True, timeout=30)
        assert sink.full.wait(20)
    finally:
        source.stop()
    assert not sink.gone.is_set()
    resampler = StreamResampler(source.samplerate, rate)
    recorded = np.concatenate([resampler.feed(b) for b, _ in sink.blocks] + [resampler.flush()])
    lag, correlation = best_alignment(recorded, reference)
    assert correlation > 0.95, (lag, correlation)
    ends = [end for _, end in sink.blocks]
    assert all(b >= a for a, b in itertools.pairwise(ends))  # stamped on the monotonic clock, in order


def test_a_source_that_disappears_is_reported_lost() -> None:
    feed = os.environ["STUDIO_PULSE_MIC_FEED"]
    module = subprocess.run(["pactl", "load-module", "module-remap-source", f"master={feed}.monitor",
                             "source_name=studio_unplugged", "source_properties=device.description=Unplugged"],
                            check=True, capture_output=True, text=True, timeout=10).stdout.strip()
    try:
        source = SoundcardSource(find_device("pulse:studio_unplugged", loopback=False))
        sink = Sink(enough=source.samplerate // 2)
        source.start(sink)
        assert sink.full.wait(20)
    finally:
        subprocess.run(["pactl", "unload-module", module], check=True, timeout=10)
    try:
        assert sink.gone.wait(20), "the removed source was not reported"
        assert sink.reason == "Unplugged was disconnected"
    finally:
        source.stop()
