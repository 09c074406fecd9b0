"""Playing through a real PortAudio device: PulseAudio's null sink, recorded back from its monitor."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.capture import AudioUnavailableError, Capture
from studio.audio.playback import PcmBuffer, Player, PlayState, find_output_device, list_output_devices
from tests.audio.test_capture_device import best_alignment
from tests.helpers.media import pcm_of


def state(player: Player) -> PlayState:
    """The player's state now (a call, so that type checkers do not take it as fixed between reads)."""
    return player.state


class Recorder:
    """Everything the default source (the null sink's monitor) hears, until ``needed`` frames came."""

    def __init__(self, needed: int) -> None:
        self.blocks: list[npt.NDArray[np.float32]] = []
        self.needed = needed
        self.enough = threading.Event()

    def __call__(self, block: npt.NDArray[np.float32]) -> None:
        self.blocks.append(block)
        if sum(len(b) for b in self.blocks) >= self.needed:
            self.enough.set()

    @property
    def recorded(self) -> npt.NDArray[np.float32]:
        return np.concatenate(self.blocks)[:, 0]

    @property
    def frames(self) -> int:
        return sum(len(b) for b in list(self.blocks))

    def more(self, frames: int) -> threading.Event:
        """An event set once ``frames`` more frames have come in."""
        self.enough = threading.Event()
        self.needed = self.frames + frames
        return self.enough

    def live(self, timeout: float = 20.0) -> bool:
        """Waits until the source really delivers (PulseAudio may take a while to start a new recording)."""
        return self.more(1600).wait(timeout)


@contextlib.contextmanager
def running_sink(timeout: float = 20.0) -> Iterator[Player]:
    """Keeps the null sink running at a low latency, as a desktop's sound card runs, while the block runs.

    PulseAudio's null sink sleeps for up to two seconds between renders while nothing plays, and does not
    wake early when a stream connects: a new stream's first second or two is then consumed in one burst
    and lost (a hardware sink reschedules at once). A silent stream held open for the test and seen
    flowing first keeps the sink awake, so what the tests play is heard as a user would hear it."""
    keeper = Player()
    keeper.prepare()
    try:
        flowing = wait_for(lambda: keeper.device_frames > 32000, timeout)  # two seconds of silence went through
        assert flowing, "the null sink never started consuming audio"
        yield keeper
    finally:
        keeper.close()


def wait_for(condition: object, timeout: float = 20.0) -> bool:
    event = threading.Event()
    deadline = threading.Timer(timeout, event.set)
    deadline.start()
    try:
        while not event.is_set():
            if callable(condition) and condition():
                return True
            event.wait(0.02)
        return bool(callable(condition) and condition())
    finally:
        deadline.cancel()


@pytest.mark.usefixtures("desktop")
def test_output_devices_are_listed_with_a_default() -> None:
    devices = list_output_devices()
    assert "default" in [d.name for d in devices]
    assert sum(d.is_default for d in devices) == 1
    assert find_output_device("default") == next(d.index for d in devices if d.name == "default")
    assert find_output_device("no such device anywhere") is None


@pytest.mark.usefixtures("desktop")
def test_what_is_played_streaming_is_what_the_sink_heard(shared_audio: Path) -> None:
    samples, rate = pcm_of(shared_audio / "audio_03_16kHz.wav")
    clip = samples[: rate * 4]
    recorder = Recorder(len(clip) + 3 * rate)
    # What is tested is that audio handed over while it plays is played whole and in order, not how late a
    # loaded machine may wake a thread: the clip arrives in 200 ms chunks while it plays, but up to a second
    # ahead of the device (as a network stream runs ahead of playback), and the device's buffer is 0.3 s, so
    # a scheduler that wakes this thread or PortAudio's callback 100 ms late on a loaded CI machine does not
    # leave a gap (the default 0.1 s could, up to 7 times a run under two busy loops, each shifting the rest).
    player = Player(latency=0.3)
    buffer = PcmBuffer(rate)
    with running_sink(), Capture("pulse", samplerate=rate, on_block=recorder) as capture:
        assert recorder.live()
        recorder.needed = recorder.frames + len(clip) + 3 * rate
        playback = player.play(buffer)
        for start in range(0, len(clip), 3200):  # 200 ms chunks, each while the second before it is played
            buffer.extend(clip[start:start + 3200])
            assert wait_for(lambda start=start: playback.cursor > start - rate)
        buffer.finish()
        assert wait_for(lambda: state(player) is PlayState.FINISHED)
        assert recorder.enough.wait(20), "the monitor stopped delivering audio"
    player.close()
    lag, correlation = best_alignment(recorder.recorded, (clip / 32768).astype(np.float32))
    # What went late says why a run fails: the clip ran dry (a chunk came late), the device did (the callback
    # came late), or the recording lost blocks. Each shifts what follows it, which one alignment cannot follow.
    late = (f"{playback.underruns} underruns, {player.device_underflows} device underflows, "
            f"{capture.overflows} overflows")
    assert correlation > 0.9, f"correlation {correlation:.3f} at lag {lag}; {late}"
    assert player.error is None


@pytest.mark.usefixtures("desktop")
def test_stop_silences_the_device_and_play_resumes_from_a_position(shared_audio: Path) -> None:
    samples, rate = pcm_of(shared_audio / "audio_04_16kHz.wav")
    buffer = PcmBuffer.of(samples[: rate * 6], rate)
    player = Player()
    player.play(buffer)
    assert wait_for(lambda: player.position > 0.3)
    player.stop()
    assert state(player) is PlayState.STOPPED
    stopped_at = player.position
    player.play(buffer, start=4.0)
    assert wait_for(lambda: state(player) is PlayState.PLAYING)
    assert player.position >= 4.0 > stopped_at
    assert wait_for(lambda: state(player) is PlayState.FINISHED)
    assert player.position == pytest.approx(6.0)
    player.close()
    assert not player.stream_open


@pytest.mark.usefixtures("desktop")
def test_an_output_device_that_is_not_there_is_a_clear_error() -> None:
    player = Player("no-such-device-anywhere")
    player.play(PcmBuffer.of(np.zeros(1600, np.int16)))
    assert state(player) is PlayState.STOPPED
    assert player.error is not None and "could not be opened" in player.error
    with pytest.raises(AudioUnavailableError, match="could not be opened"):
        player.prepare()


def test_a_callback_that_came_late_is_counted_as_a_device_underflow() -> None:
    import sounddevice

    player = Player()
    out = np.ones((160, 1), np.int16)
    player._callback(out, 160, None, sounddevice.CallbackFlags(4))  # paOutputUnderflow: the device ran out first
    player._callback(out, 160, None, sounddevice.CallbackFlags())
    assert player.device_underflows == 1 and player.device_frames == 320 and not out.any()
