"""The playback buffer and the player's device callback, driven block by block as PortAudio would."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from studio.audio.playback import PcmBuffer, Player, PlayState


def state(player: Player) -> PlayState:
    """The player's state now (a call, so that type checkers do not take it as fixed between reads)."""
    return player.state


def ramp(n: int, start: int = 0) -> np.ndarray:
    return (np.arange(start, start + n) % 30000).astype(np.int16)


def blocks(player: Player, frames: int, count: int = 1, channels: int = 1) -> list[np.ndarray]:
    """What ``count`` device callbacks of ``frames`` frames hand out."""
    out = []
    for _ in range(count):
        data = np.full((frames, channels), 12345, dtype=np.int16)
        player._callback(data, frames, None, None)
        out.append(data.copy())
    return out


class DrivenStream:
    """Stands in for PortAudio's stream: the test calls the callback itself, block by block."""

    def __init__(self) -> None:
        self.starts = 0

    def start(self) -> None:
        self.starts += 1

    def abort(self) -> None:
        pass

    stop = abort

    def close(self) -> None:
        pass


def silent_player(rate: int = 16000) -> Player:
    """A player whose stream is taken as open at ``rate`` (the callback is driven by the test)."""
    player = Player()
    player._stream = DrivenStream()
    player._source_rate = player._stream_rate = rate
    return player


def test_buffer_joins_chunks_split_mid_sample() -> None:
    buffer = PcmBuffer(16000, capacity_seconds=0)
    data = ramp(5000).astype("<i2").tobytes()
    for start in range(0, len(data), 333):  # odd sizes: samples split across chunks
        buffer.append(data[start:start + 333])
    assert buffer.frames == 5000
    assert np.array_equal(buffer.samples(), ramp(5000))
    buffer.finish()
    assert buffer.complete
    with pytest.raises(ValueError, match="complete"):
        buffer.append(b"\x00\x00")


def test_buffer_grows_without_losing_what_readers_hold() -> None:
    buffer = PcmBuffer(16000, capacity_seconds=0)  # 1024 frames to start with
    buffer.extend(ramp(1000))
    held = buffer.view(0, 1000)
    buffer.extend(ramp(5000, 1000))
    assert np.array_equal(held, ramp(1000))  # the old array is still whole
    assert np.array_equal(buffer.view(990, 1010), ramp(20, 990))
    assert buffer.duration == pytest.approx(6000 / 16000)


def test_when_ready_fires_once_on_the_first_audio_or_at_once() -> None:
    buffer = PcmBuffer()
    calls: list[str] = []
    buffer.when_ready(lambda: calls.append("first"))
    assert calls == []
    buffer.extend(ramp(10))
    buffer.extend(ramp(10))
    assert calls == ["first"]
    buffer.when_ready(lambda: calls.append("late"))
    assert calls == ["first", "late"]
    empty = PcmBuffer()
    empty.when_ready(lambda: calls.append("complete"))
    empty.finish()
    assert calls[-1] == "complete"


def test_callback_hands_out_the_clip_in_order_then_finishes() -> None:
    player = silent_player()
    buffer = PcmBuffer.of(ramp(1000))
    player.play(buffer)
    out = np.concatenate(blocks(player, 256, 4))[:, 0]
    assert np.array_equal(out[:1000], ramp(1000))
    assert not out[1000:].any()  # silence after the end, never stale data
    assert state(player) is PlayState.FINISHED
    assert player.position == pytest.approx(1000 / 16000)
    assert player.first_frame_at is not None


def test_callback_waits_for_audio_that_has_not_arrived_and_picks_it_up() -> None:
    player = silent_player()
    buffer = PcmBuffer()
    player.play(buffer)
    assert not blocks(player, 160)[0].any()
    assert state(player) is PlayState.WAITING and player.first_frame_at is None
    buffer.extend(ramp(100))
    first = blocks(player, 160)[0][:, 0]
    assert np.array_equal(first[:100], ramp(100)) and not first[100:].any()
    assert state(player) is PlayState.WAITING and player.playback is not None
    assert player.playback.underruns == 1  # it ran dry while the clip was still arriving
    buffer.extend(ramp(200, 100))
    buffer.finish()
    second = np.concatenate(blocks(player, 160, 2))[:, 0]
    assert np.array_equal(second[:200], ramp(200, 100))
    assert state(player) is PlayState.FINISHED


def test_play_from_a_position_and_stop() -> None:
    player = silent_player()
    buffer = PcmBuffer.of(ramp(16000))
    player.play(buffer, start=0.5)
    out = blocks(player, 100)[0][:, 0]
    assert np.array_equal(out, ramp(100, 8000))
    player.stop()
    assert state(player) is PlayState.STOPPED
    assert not blocks(player, 100)[0].any()
    player.play(buffer, start=99.0)  # past the end: nothing left to play
    blocks(player, 100)
    assert state(player) is PlayState.FINISHED


def test_a_new_play_replaces_the_old_at_the_next_block() -> None:
    player = silent_player()
    first, second = PcmBuffer.of(np.full(1000, 7, np.int16)), PcmBuffer.of(np.full(1000, -7, np.int16))
    player.play(first)
    assert (blocks(player, 50)[0] == 7).all()
    player.play(second, seamless=True)
    assert (blocks(player, 50)[0] == -7).all()
    assert player.playback is not None and player.playback.buffer is second


def test_callback_resamples_when_the_device_runs_at_its_own_rate() -> None:
    player = silent_player()
    player._stream_rate = 48000  # the device refused 16 kHz
    rate = 16000
    t = np.arange(rate) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    player.play(PcmBuffer.of(tone, rate))
    out = np.concatenate(blocks(player, 480, 101))[:, 0].astype(np.float64)
    assert state(player) is PlayState.FINISHED
    played = out[: 3 * rate - 3]
    expected = np.sin(2 * np.pi * 440 * np.arange(len(played)) / 48000) * 10000
    assert np.max(np.abs(played - expected)) < 200  # linear interpolation of a 440 Hz tone
    assert not out[3 * rate:].any()


def test_stereo_devices_get_the_clip_on_both_channels() -> None:
    player = silent_player()
    player.play(PcmBuffer.of(ramp(64)))
    out = blocks(player, 64, channels=2)[0]
    assert np.array_equal(out[:, 0], ramp(64)) and np.array_equal(out[:, 1], ramp(64))


def test_the_callback_never_waits_for_the_writer() -> None:
    """A writer appending as fast as it can never stalls the callback; every sample comes out once, in order."""
    player = silent_player()
    buffer = PcmBuffer(16000, capacity_seconds=0)
    total = 200_000
    player.play(buffer)
    done = threading.Event()

    def write() -> None:
        for start in range(0, total, 777):
            buffer.extend(ramp(min(777, total - start), start))
        buffer.finish()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    heard: list[np.ndarray] = []
    playback = player.playback
    assert playback is not None
    while state(player) is not PlayState.FINISHED:
        before = int(playback.cursor)
        block = blocks(player, 256)[0][:, 0]
        handed = int(playback.cursor) - before
        assert not block[handed:].any()  # a short block is padded with silence, never stale samples
        heard.append(block[:handed])
    writer.join()
    assert done.is_set()
    assert np.array_equal(np.concatenate(heard), ramp(total))


def test_a_stream_is_restarted_with_new_audio_unless_switching_seamlessly() -> None:
    player = silent_player()
    stream = player._stream
    assert isinstance(stream, DrivenStream)
    waiting = PcmBuffer()
    player.play(waiting)
    assert stream.starts == 0  # nothing to hand out yet
    assert not blocks(player, 64)[0].any()
    waiting.extend(ramp(1000))
    assert stream.starts == 1  # restarted the moment the first audio came: its first buffer holds it
    assert np.array_equal(blocks(player, 64)[0][:, 0], ramp(64))
    other = PcmBuffer.of(np.full(500, 9, np.int16))
    player.play(other, seamless=True)  # mid-playback, seamless: no restart, the next block is the new clip
    assert stream.starts == 1
    assert (blocks(player, 64)[0] == 9).all()
    third = PcmBuffer()
    player.play(third)  # not seamless: silent at once, restarted when the new clip's audio comes
    assert not blocks(player, 64)[0].any() and stream.starts == 1
    third.extend(np.full(100, 5, np.int16))
    assert stream.starts == 2 and (blocks(player, 64)[0] == 5).all()


def test_a_clip_that_ends_without_audio_never_opens_the_device() -> None:
    player = Player("no-such-device-anywhere")  # opening it would fail
    empty = PcmBuffer()
    player.play(empty)
    empty.finish()
    assert state(player) is PlayState.FINISHED and player.error is None and not player.stream_open
