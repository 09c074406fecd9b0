"""The rows of a paragraph index in time order, and the log of every change to them (no Qt).

``RowLog`` keeps ``rows`` sorted by ``key`` and records each insertion, removal and change as an ``Op``;
``take_ops()`` hands them over (a view replays them once a frame). It also keeps each paragraph's
``continued`` flag (the row before it is the same speaker in the same channel) as rows come and go.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterator

from studio.core.transcript.rows import Changed, Inserted, Op, Paragraph, Removed, Row

_key = operator.attrgetter("key")


class RowLog:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self._ops: list[Op] = []

    def take_ops(self) -> list[Op]:
        ops, self._ops = self._ops, []
        return ops

    @property
    def pending(self) -> bool:
        return bool(self._ops)

    def position(self, item: Row) -> int:
        """The row of ``item`` (ValueError if it is not shown)."""
        rows = self.rows
        for back in range(1, min(4, len(rows)) + 1):  # the live edge: nearly always one of the last rows
            if rows[-back] is item:
                return len(rows) - back
        pos = bisect.bisect_left(rows, item.key, key=_key)
        if pos < len(rows) and rows[pos] is item:
            return pos
        raise ValueError("not a row of this index")

    def _shown(self, item: Row) -> bool:
        try:
            self.position(item)
        except ValueError:
            return False
        return True

    def _insert(self, item: Row) -> None:
        rows = self.rows
        pos = len(rows) if not rows or rows[-1].key < item.key else bisect.bisect_right(rows, item.key, key=_key)
        rows.insert(pos, item)
        self._ops.append(Inserted(pos, item))
        self._fix_continued(pos)
        self._fix_continued(pos + 1)

    def _remove(self, item: Row) -> None:
        pos = self.position(item)
        del self.rows[pos]
        self._ops.append(Removed(pos, item))
        self._fix_continued(pos)

    def _changed(self, item: Row) -> None:
        item.revision += 1
        self._ops.append(Changed(item))

    def _fix_continued_around(self, paragraph: Paragraph) -> None:
        try:
            pos = self.position(paragraph)
        except ValueError:
            return  # not placed yet: _insert sets it
        self._fix_continued(pos)
        self._fix_continued(pos + 1)

    def _fix_continued(self, pos: int) -> None:
        rows = self.rows
        if not 0 <= pos < len(rows):
            return
        item = rows[pos]
        if not isinstance(item, Paragraph):
            return
        before = rows[pos - 1] if pos > 0 else None
        continued = (isinstance(before, Paragraph) and before.speaker == item.speaker
                     and before.channel == item.channel)
        if continued != item.continued:
            item.continued = continued
            self._changed(item)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)
