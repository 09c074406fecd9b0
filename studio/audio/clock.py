"""The clock capture times are read on: ``time.monotonic`` for devices, or a faster one for tests.

A live session places every block on its timeline by the time it was captured. Devices stamp blocks with
``time.monotonic()``; a file-backed source paced ``speed`` times faster than real time stamps them with a
``ScaledClock(speed)`` that runs that much faster, so the same alignment holds. ``to_monotonic`` turns a
clock reading back into ``time.monotonic`` seconds (for latency figures).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock."""

    def to_monotonic(self, t: float) -> float:
        """The ``time.monotonic()`` reading at which this clock read ``t``."""

    def sleep_until(self, t: float, cancel: threading.Event) -> bool:
        """Blocks (a worker thread) until the clock reads ``t``; False if ``cancel`` was set first."""


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    def to_monotonic(self, t: float) -> float:
        return t

    def sleep_until(self, t: float, cancel: threading.Event) -> bool:
        delay = t - time.monotonic()
        if delay > 0:
            return not cancel.wait(delay)
        return not cancel.is_set()


class ScaledClock:
    """Runs ``speed`` times faster than ``time.monotonic``, from the moment it is made."""

    def __init__(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._base = time.monotonic()

    def now(self) -> float:
        return self._base + (time.monotonic() - self._base) * self.speed

    def to_monotonic(self, t: float) -> float:
        return self._base + (t - self._base) / self.speed

    def sleep_until(self, t: float, cancel: threading.Event) -> bool:
        delay = self.to_monotonic(t) - time.monotonic()
        if delay > 0:
            return not cancel.wait(delay)
        return not cancel.is_set()


MONOTONIC = MonotonicClock()
