"""A minimal observer primitive for Qt-free models.

Views subscribe with a callback and get back a function that unsubscribes. Callbacks run synchronously
on the thread that changed the model; the studio changes its models on the GUI thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Observable(Generic[T]):
    """A list of callbacks that are called with each emitted value."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], None]] = []

    def subscribe(self, callback: Callable[[T], None]) -> Callable[[], None]:
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def emit(self, value: T) -> None:
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception:
                # One broken observer must not stop the others from hearing about the change.
                log.exception("observer %r failed", callback)

    def __len__(self) -> int:
        return len(self._callbacks)
