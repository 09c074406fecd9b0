"""Search: the matches in every paragraph (kept current as paragraphs change), and the find bar.

``Matches`` scans each paragraph's text once per query and again only when that paragraph changes, so a live
transcript keeps its match count ("3 of 41") current at the cost of the rows that changed: the total is kept up
as rows change, and the current match's number is counted again only when matches before it changed. The
current match is a row and a position in it; next/previous walk the rows from it (wrapping around).
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from studio.core.transcript.paragraphs import Paragraph, ParagraphIndex, Row


class Matches:
    def __init__(self, index: ParagraphIndex) -> None:
        self.index = index
        self.query = ""
        self.case = False
        self._pattern: re.Pattern[str] | None = None
        self._hits: dict[int, tuple[int, list[tuple[int, int]], Row]] = {}  # id(row) -> (revision, spans, row)
        self.total = 0
        self._current: tuple[Row, int] | None = None  # a row and the number of the match in it
        self._before: int | None = None  # matches in the rows before the current one (None: count again)

    @property
    def current(self) -> tuple[Row, int] | None:
        return self._current

    @current.setter
    def current(self, value: tuple[Row, int] | None) -> None:
        if value is None or self._current is None or value[0] is not self._current[0]:
            self._before = None
        self._current = value

    def _touched(self, item: Row) -> None:
        """``item``'s matches changed: the current match's number changes only if it is before it."""
        if self._current is not None and self._before is not None and item.key < self._current[0].key:
            self._before = None

    def set_query(self, query: str, case: bool, rows: Sequence[Row]) -> None:
        self.query, self.case = query, case
        self._pattern = re.compile(re.escape(query), 0 if case else re.IGNORECASE) if query else None
        self._hits.clear()
        self.total = 0
        self.current = None
        if self._pattern is not None:
            for item in rows:
                self.refresh(item)

    def hits(self, item: Row) -> list[tuple[int, int]]:
        entry = self._hits.get(id(item))
        return entry[1] if entry is not None else []

    def refresh(self, item: Row) -> None:
        """``item`` is new or changed: find its matches again."""
        if self._pattern is None or not isinstance(item, Paragraph):
            return
        old = self._hits.get(id(item))
        if old is not None and old[0] == item.revision:
            return
        spans = [m.span() for m in self._pattern.finditer(self.index.text(item).text)]
        if len(spans) != (len(old[1]) if old else 0):
            self.total += len(spans) - (len(old[1]) if old else 0)
            self._touched(item)
        if spans:
            self._hits[id(item)] = (item.revision, spans, item)
        else:
            self._hits.pop(id(item), None)
        if self.current is not None and self.current[0] is item and self.current[1] >= len(spans):
            self.current = (item, len(spans) - 1) if spans else None

    def discard(self, item: Row) -> None:
        old = self._hits.pop(id(item), None)
        if old is not None:
            self.total -= len(old[1])
            self._touched(item)
        if self.current is not None and self.current[0] is item:
            self.current = None

    def current_span(self, item: Row) -> tuple[int, int] | None:
        if self.current is None or self.current[0] is not item:
            return None
        spans = self.hits(item)
        return spans[self.current[1]] if self.current[1] < len(spans) else None

    def step(self, rows: Sequence[Row], start_row: int, forward: bool) -> tuple[Row, int] | None:
        """Moves to the next (or previous) match from the current one, else from ``start_row``."""
        if not self.total or not rows:
            self.current = None
            return None
        if self.current is not None:
            item, number = self.current
            spans = self.hits(item)
            if forward and number + 1 < len(spans):
                self.current = (item, number + 1)
                return self.current
            if not forward and number > 0:
                self.current = (item, number - 1)
                return self.current
            row = _row_of(rows, item, start_row)
            begin = row + 1 if forward else row - 1
        else:
            begin = max(0, min(start_row, len(rows) - 1))
        count = len(rows)
        for n in range(count):
            row = (begin + n) % count if forward else (begin - n) % count
            spans = self.hits(rows[row])
            if spans:
                self.current = (rows[row], 0 if forward else len(spans) - 1)
                return self.current
        self.current = None
        return None

    def ordinal(self, rows: Sequence[Row] = ()) -> int:
        """The current match's number (1-based; 0 when there is none). Kept from call to call: counted again
        (over the rows that have matches, not every row) only after matches before the current one changed,
        so new words at the live edge cost nothing here."""
        if self._current is None:
            return 0
        item, number = self._current
        if self._before is None:
            key = item.key
            self._before = sum(len(spans) for _rev, spans, other in self._hits.values() if other.key < key)
        return self._before + number + 1


def _row_of(rows: Sequence[Row], item: Row, near: int) -> int:
    pos = bisect.bisect_left(rows, item.key, key=operator.attrgetter("key"))
    return pos if pos < len(rows) and rows[pos] is item else near


class FindBar(QWidget):
    """Find in the transcript: the words, match count, previous/next (Shift+Enter / Enter, F3), match case."""

    searched = Signal(str, bool)  # query, match case (after typing pauses)
    stepped = Signal(bool)  # True: next, False: previous
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TranscriptFindBar")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Find in transcript")
        self.edit.setAccessibleName("Find in transcript")
        self.edit.setClearButtonEnabled(True)
        for button in self.edit.findChildren(QToolButton):  # the line edit's own clear button
            button.setAccessibleName("Clear search")
        self.count = QLabel("")
        self.count.setAccessibleName("Matches")
        self.count.setMinimumWidth(90)
        self.case = QToolButton()
        self.case.setText("Aa")
        self.case.setCheckable(True)
        self.case.setAccessibleName("Match case")
        self.case.setToolTip("Match case")
        self.previous = QToolButton()
        self.previous.setText("↑")
        self.previous.setAccessibleName("Previous match")
        self.previous.setToolTip("Previous match (Shift+Enter, Shift+F3)")
        self.next = QToolButton()
        self.next.setText("↓")
        self.next.setAccessibleName("Next match")
        self.next.setToolTip("Next match (Enter, F3)")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAccessibleName("Close search")
        self.close_button.setToolTip("Close (Esc)")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.count)
        for button in (self.case, self.previous, self.next, self.close_button):
            row.addWidget(button)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(150)
        self._typing.timeout.connect(self._search)
        self.edit.textChanged.connect(lambda _text: self._typing.start())
        self.case.toggled.connect(lambda _on: self._search())
        self.edit.returnPressed.connect(self._enter)
        self.previous.clicked.connect(lambda: self._step(False))
        self.next.clicked.connect(lambda: self._step(True))
        self.close_button.clicked.connect(self.closed.emit)
        self.setAccessibleName("Find in transcript")

    def _search(self) -> None:
        self._typing.stop()
        self.searched.emit(self.edit.text(), self.case.isChecked())

    def _enter(self) -> None:
        self._step(not QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)

    def _step(self, forward: bool) -> None:
        if self._typing.isActive():
            self._search()
        self.stepped.emit(forward)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.closed.emit()
            return
        if event.matches(QKeySequence.StandardKey.FindNext):
            self._step(True)
            return
        if event.matches(QKeySequence.StandardKey.FindPrevious):
            self._step(False)
            return
        super().keyPressEvent(event)

    def show_count(self, ordinal: int, total: int, query: str) -> None:
        if not query:
            self.count.setText("")
        elif not total:
            self.count.setText("No matches")
        elif ordinal:
            self.count.setText(f"{ordinal} of {total}")
        else:
            self.count.setText(f"{total} match" + ("" if total == 1 else "es"))
        self.count.setAccessibleDescription(self.count.text())
