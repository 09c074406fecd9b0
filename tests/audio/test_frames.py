"""The capture-thread → event-loop ring: a real writer thread, batched wake-ups, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from studio.audio.frames import FrameRing


async def test_blocks_written_on_another_thread_arrive_in_order_with_their_times() -> None:
    loop = asyncio.get_running_loop()
    ring = FrameRing(4000, max_blocks=64)
    got: list[tuple[np.ndarray, float, int]] = []
    wakes = 0
    done = asyncio.Event()
    total_blocks = 2000

    def on_wake() -> None:
        nonlocal wakes
        wakes += 1
        got.extend(ring.read())
        if len(got) >= total_blocks:
            done.set()

    ring.waker = lambda: loop.call_soon_threadsafe(on_wake)
    # The writer never waits for the reader, as PortAudio's callback does not; when the reader is behind,
    # blocks that do not fit are dropped and counted (none here: it only runs ahead by a little).
    go_on = threading.Event()

    def writer() -> None:
        for index in range(total_blocks):
            block = np.arange(index * 160, (index + 1) * 160, dtype=np.float32)
            while ring.pending_frames > 1000 and not go_on.wait(0.001):
                pass  # the test's writer lets the reader catch up (a real device would drop, tested below)
            ring.write(block, float(index))

    thread = threading.Thread(target=writer)
    thread.start()
    await asyncio.wait_for(done.wait(), 30)
    thread.join()
    go_on.set()
    assert ring.dropped_frames == 0
    samples = np.concatenate([frames for frames, _end, _gap in got])
    assert np.array_equal(samples, np.arange(total_blocks * 160, dtype=np.float32))
    assert [end for _frames, end, _gap in got] == [float(i) for i in range(total_blocks)]
    assert wakes < total_blocks  # batched: one wake-up drains every block published until then


def test_a_reader_too_far_behind_loses_whole_blocks_and_they_are_counted() -> None:
    ring = FrameRing(1000, max_blocks=8)
    for index in range(10):
        ring.write(np.full(300, index, np.float32), float(index))
    blocks = ring.read()
    assert [end for _f, end, _gap in blocks] == [0.0, 1.0, 2.0]  # 3 × 300 fit in 1000
    assert ring.dropped_frames == 7 * 300
    ring.write(np.full(500, 42, np.float32), 42.0)  # room again, across the wrap-around
    (frames, end, gap), = ring.read()
    assert end == 42.0 and frames.tolist() == [42.0] * 500
    assert gap == 7 * 300  # the next block says how much went missing before it
    ring.write(np.ones(10, np.float32), 43.0)
    assert ring.read()[0][2] == 0


def test_multichannel_blocks_keep_the_first_channel_and_wake_once_until_read() -> None:
    ring = FrameRing(100)
    calls: list[int] = []
    ring.waker = lambda: calls.append(1)
    ring.write(np.stack([np.ones(10), np.zeros(10)], axis=1).astype(np.float32), 1.0)
    ring.write(np.ones((10, 2), np.float32), 2.0)
    assert calls == [1]
    ((first, _, _), (second, _, _)) = ring.read()
    assert first.tolist() == [1.0] * 10 and second.shape == (10,)
    ring.lost("unplugged")
    assert calls == [1, 1] and ring.lost_reason == "unplugged"


def test_sizes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        FrameRing(0)
