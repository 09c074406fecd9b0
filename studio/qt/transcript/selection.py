"""A text selection across rows, and the text Copy puts on the clipboard (no Qt).

A point is a row's key and a character offset in its text: keys never change while a row lives and sort in
row order, so a selection survives rows being inserted or removed elsewhere. Copying one paragraph's words
gives just those words; copying across paragraphs gives each as ``Name: words`` (with ``[time]`` first when
timestamps are shown), paragraphs separated by a blank line, bookmarks as lines of their own.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Sequence
from dataclasses import dataclass

from studio.core.transcript.paragraphs import BookmarkRow, Paragraph, ParagraphIndex, Row, RowKey
from studio.qt.transcript.style import clock

_key = operator.attrgetter("key")


@dataclass(frozen=True, order=True)
class TextPoint:
    key: RowKey
    offset: int


class TextSelection:
    def __init__(self) -> None:
        self.anchor: TextPoint | None = None
        self.focus: TextPoint | None = None

    def start(self, point: TextPoint) -> None:
        self.anchor = self.focus = point

    def extend(self, point: TextPoint) -> None:
        if self.anchor is None:
            self.anchor = point
        self.focus = point

    def select(self, first: TextPoint, last: TextPoint) -> None:
        self.anchor, self.focus = first, last

    def clear(self) -> None:
        self.anchor = self.focus = None

    @property
    def empty(self) -> bool:
        return self.anchor is None or self.focus is None or self.anchor == self.focus

    def ordered(self) -> tuple[TextPoint, TextPoint] | None:
        if self.anchor is None or self.focus is None or self.anchor == self.focus:
            return None
        return (self.anchor, self.focus) if self.anchor <= self.focus else (self.focus, self.anchor)

    def range_in(self, item: Row, length: int) -> tuple[int, int] | None:
        """The selected characters of ``item`` (a text ``length`` long), or None."""
        ends = self.ordered()
        if ends is None:
            return None
        first, last = ends
        if not first.key <= item.key <= last.key:
            return None
        start = first.offset if item.key == first.key else 0
        end = last.offset if item.key == last.key else length
        start, end = max(0, min(start, length)), max(0, min(end, length))
        return (start, end) if end > start else None

    def rows(self, rows: Sequence[Row]) -> Sequence[Row]:
        ends = self.ordered()
        if ends is None:
            return []
        low = bisect.bisect_left(rows, ends[0].key, key=_key)
        high = bisect.bisect_right(rows, ends[1].key, key=_key)
        return rows[low:high]


def selected_text(selection: TextSelection, rows: Sequence[Row], index: ParagraphIndex, *, timestamps: bool = False,
                  hours: bool = False) -> str:
    chosen = selection.rows(rows)
    if len(chosen) == 1 and isinstance(chosen[0], Paragraph):
        text = index.text(chosen[0]).text
        span = selection.range_in(chosen[0], len(text))
        return text[span[0]:span[1]] if span else ""
    return rows_text(chosen, index, timestamps=timestamps, hours=hours, selection=selection)


def rows_text(rows: Sequence[Row], index: ParagraphIndex, *, timestamps: bool = False, hours: bool = False,
              selection: TextSelection | None = None) -> str:
    """Rows as plain text: ``[time] Name: words`` paragraphs and bookmark lines."""
    speakers = index.transcript.speakers
    parts = []
    for item in rows:
        stamp = f"[{clock(item.start, hours)}] " if timestamps else ""
        if isinstance(item, BookmarkRow):
            label = f": {item.bookmark.label}" if item.bookmark.label else ""
            parts.append(f"[Bookmark {clock(item.bookmark.time, hours)}{label}]")
            continue
        text = index.text(item).text
        span = selection.range_in(item, len(text)) if selection is not None else (0, len(text))
        if span is None:
            continue
        parts.append(f"{stamp}{speakers.display(item.speaker)}: {text[span[0]:span[1]]}")
    return "\n\n".join(parts)


def selected_words(selection: TextSelection, rows: Sequence[Row], index: ParagraphIndex) -> str:
    """Just the selected words (no names, no times): what "Speak this line" reads out."""
    parts = []
    for item in selection.rows(rows):
        if isinstance(item, Paragraph):
            text = index.text(item).text
            span = selection.range_in(item, len(text))
            if span is not None and text[span[0]:span[1]].strip():
                parts.append(text[span[0]:span[1]].strip())
    return " ".join(parts)
