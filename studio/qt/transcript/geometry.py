"""Row heights and positions for a list of rows whose heights change one at a time (no Qt).

``heights[i]`` is row i's height; ``top(i)`` its y. Positions are prefix sums recomputed lazily from the first
row that changed, so a change at the live edge (the last rows) costs O(1) and a change further up costs
one pass of C-speed accumulation over the rows below it. ``exact[i]`` says whether a row's height was measured
at the current layout generation or is an estimate (rows are measured when they are shown, or in idle time).
"""

from __future__ import annotations

import bisect
from itertools import accumulate


class RowGeometry:
    def __init__(self) -> None:
        self.heights: list[int] = []
        self.exact: list[int] = []  # the generation a row was measured at (-1: an estimate)
        self.generation = 0
        self._tops: list[int] = [0]  # _tops[i] is the y of row i; _tops[-1] the total (valid up to _valid)
        self._valid = 0  # _tops[0.._valid] are right

    def __len__(self) -> int:
        return len(self.heights)

    def reset(self, heights: list[int]) -> None:
        self.heights = list(heights)
        self.exact = [-1] * len(heights)
        self._tops = [0] * (len(heights) + 1)
        self._valid = 0

    def insert(self, row: int, height: int) -> None:
        self.heights.insert(row, height)
        self.exact.insert(row, -1)
        self._tops.append(0)
        self._valid = min(self._valid, row)

    def remove(self, row: int) -> None:
        del self.heights[row]
        del self.exact[row]
        self._tops.pop()
        self._valid = min(self._valid, row)

    def set(self, row: int, height: int, measured: bool) -> int:
        """Sets a row's height; returns how much it grew."""
        grew = height - self.heights[row]
        if grew:
            self.heights[row] = height
            self._valid = min(self._valid, row)
        self.exact[row] = self.generation if measured else -1
        return grew

    def mark(self, row: int) -> None:
        """The row changed: its height is an estimate until it is measured again."""
        self.exact[row] = -1

    def is_exact(self, row: int) -> bool:
        return self.exact[row] == self.generation

    def invalidate_all(self) -> None:
        """The width (or the font) changed: every height is now an estimate until measured again."""
        self.generation += 1

    def _settle(self) -> None:
        if self._valid < len(self.heights):
            start = self._valid
            base = self._tops[start]
            self._tops[start:] = accumulate(self.heights[start:], initial=base)
            self._valid = len(self.heights)

    def top(self, row: int) -> int:
        if row > self._valid:
            self._settle()
        return self._tops[row]

    @property
    def total(self) -> int:
        return self.top(len(self.heights))

    def row_at(self, y: int) -> int:
        """The row covering y (clamped to the rows there are; -1 when there are none)."""
        if not self.heights:
            return -1
        self._settle()
        return max(0, min(len(self.heights) - 1, bisect.bisect_right(self._tops, y) - 1))

    def span(self, top: int, bottom: int) -> range:
        """The rows that intersect [top, bottom)."""
        if not self.heights or bottom <= top:
            return range(0)
        first = self.row_at(top)
        last = self.row_at(bottom - 1)
        return range(first, last + 1)
