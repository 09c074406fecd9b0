"""Bookmarks of a live session: moments the user marked (a hotkey), in audio time.

``await session.bookmark(label)`` adds one at the audio being captured now and returns its time; the views
add it to their ``Transcript`` (``add_bookmark``), which shows it and exports it (TXT, DOCX, JSON). The
session keeps its own list too, and tells ``subscribe``rs — the recorder's journal of issue 12 writes each
one as it is made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mark:
    time: float  # seconds of session audio
    label: str = ""


class Bookmarks:
    """Added to on the event loop; ``items`` may be read from any thread (a tuple, replaced whole)."""

    def __init__(self) -> None:
        self.items: tuple[Mark, ...] = ()
        self._listeners: list[Callable[[Mark], None]] = []

    def add(self, time: float, label: str = "") -> Mark:
        mark = Mark(round(max(0.0, time), 3), label)
        self.items = tuple(sorted((*self.items, mark), key=lambda m: m.time))
        for listener in list(self._listeners):
            try:
                listener(mark)
            except Exception:
                log.exception("a bookmark listener failed")
        return mark

    def subscribe(self, listener: Callable[[Mark], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None
