from __future__ import annotations

import numpy as np
import pytest

from studio.audio.ring import AudioRing


def test_latest_returns_what_was_written_in_order() -> None:
    ring = AudioRing(10)
    ring.write(np.arange(4, dtype=np.float32))
    assert ring.latest(3)[:, 0].tolist() == [1, 2, 3]
    assert ring.latest(100)[:, 0].tolist() == [0, 1, 2, 3]
    assert ring.written == 4


def test_wraps_around_and_keeps_only_the_newest() -> None:
    ring = AudioRing(5)
    for start in range(0, 12, 3):
        ring.write(np.arange(start, start + 3, dtype=np.float32))
    assert ring.written == 12
    assert ring.latest(5)[:, 0].tolist() == [7, 8, 9, 10, 11]
    assert ring.latest(2)[:, 0].tolist() == [10, 11]


def test_a_block_larger_than_the_ring_keeps_its_tail() -> None:
    ring = AudioRing(4, channels=2)
    block = np.stack([np.arange(10), -np.arange(10)], axis=1).astype(np.float32)
    ring.write(block)
    assert ring.latest(4).tolist() == block[-4:].tolist()


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        AudioRing(0)
