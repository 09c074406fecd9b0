"""The paragraph index (``studio.core.transcript.paragraphs``) as a Qt list model, changed once a frame.

The model observes the transcript: each change is applied to the Qt-free index at once (work proportional to
the change) and ``pending`` is emitted once; ``sync()`` — the view calls it at most once a frame — replays the
rows the index inserted and removed since (inside beginInsertRows/endInsertRows…) and reports changed rows
with ``dataChanged``. A rename is one ``dataChanged`` over all rows for ``SpeakerNameRole`` only: names are
drawn anew, nothing is laid out again.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from studio.core.transcript import Transcript
from studio.core.transcript.changes import Change
from studio.core.transcript.paragraphs import (
    BookmarkRow,
    Changed,
    Inserted,
    Paragraph,
    ParagraphIndex,
    Removed,
    Renamed,
    Reset,
    Row,
)
from studio.qt.transcript.style import clock

_key = operator.attrgetter("key")
ModelIndex = QModelIndex | QPersistentModelIndex


class Roles:
    ROW = Qt.ItemDataRole.UserRole + 1  # the Paragraph or BookmarkRow
    SPEAKER = Qt.ItemDataRole.UserRole + 2  # speaker key
    SPEAKER_NAME = Qt.ItemDataRole.UserRole + 3
    COLOR_INDEX = Qt.ItemDataRole.UserRole + 4  # Speaker.colour
    START = Qt.ItemDataRole.UserRole + 5
    END = Qt.ItemDataRole.UserRole + 6
    CHANNEL = Qt.ItemDataRole.UserRole + 7
    LIVE = Qt.ItemDataRole.UserRole + 8  # shows partial words
    TEXT = Qt.ItemDataRole.UserRole + 9  # the words only


NAME_ROLES = [Roles.SPEAKER_NAME, Qt.ItemDataRole.DisplayRole]


class ParagraphModel(QAbstractListModel):
    pending = Signal()  # the transcript changed since the last sync (emitted once until then)

    def __init__(self, transcript: Transcript, parent: QObject | None = None, *, partials: bool = True) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._waiting = False
        # Stop observing when the model goes (the transcript may outlive the view).
        self._unsubscribers: list[Callable[[], None]] = []
        unsubscribers = self._unsubscribers
        self.paragraph_index = self._bind(transcript, partials)
        self.destroyed.connect(lambda *_: [stop() for stop in unsubscribers])

    def _bind(self, transcript: Transcript, partials: bool) -> ParagraphIndex:
        self.transcript = transcript
        index = ParagraphIndex(transcript, partials=partials)
        self.paragraph_index = index
        index.take_ops()
        self._rows = list(index.rows)
        self._unsubscribers.append(transcript.changes.subscribe(self._changed))
        return index

    def set_transcript(self, transcript: Transcript) -> None:
        self.close()
        translation = self.paragraph_index.translation
        self.beginResetModel()
        self._bind(transcript, self.paragraph_index.partials)
        self.paragraph_index.set_translation(translation)
        self._waiting = False
        self.endResetModel()

    def close(self) -> None:
        """Stop observing the transcript."""
        while self._unsubscribers:
            self._unsubscribers.pop()()

    def _changed(self, change: Change) -> None:
        self.paragraph_index.apply(change)
        if not self._waiting and self.paragraph_index.pending:
            self._waiting = True
            self.pending.emit()

    @property
    def rows(self) -> list[Row]:
        return self._rows

    def row_of(self, item: Row) -> int:
        """The row ``item`` is at (-1 when it is not shown)."""
        rows = self._rows
        if rows and rows[-1] is item:
            return len(rows) - 1
        pos = bisect.bisect_left(rows, item.key, key=_key)
        return pos if pos < len(rows) and rows[pos] is item else -1

    def sync(self) -> bool:
        """Replays what the index did since the last sync; False if there was nothing."""
        self._waiting = False
        ops = self.paragraph_index.take_ops()
        if not ops:
            return False
        changed: dict[int, Row] = {}
        renamed = False
        root = QModelIndex()
        for op in ops:
            if isinstance(op, Inserted):
                self.beginInsertRows(root, op.row, op.row)
                self._rows.insert(op.row, op.item)
                self.endInsertRows()
            elif isinstance(op, Removed):
                self.beginRemoveRows(root, op.row, op.row)
                del self._rows[op.row]
                self.endRemoveRows()
                changed.pop(id(op.item), None)
            elif isinstance(op, Changed):
                changed[id(op.item)] = op.item
            elif isinstance(op, Reset):
                self.beginResetModel()
                self._rows = list(self.paragraph_index.rows)
                self.endResetModel()
                changed.clear()
            elif isinstance(op, Renamed):
                renamed = True
        for item in changed.values():
            row = self.row_of(item)
            if row >= 0:
                at = self.index_of(row)
                self.dataChanged.emit(at, at, [])
        if renamed and self._rows:
            self.dataChanged.emit(self.index_of(0), self.index_of(len(self._rows) - 1), NAME_ROLES)
        return True

    def index_of(self, row: int) -> QModelIndex:
        return self.createIndex(row, 0)

    # -- QAbstractListModel ----------------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008, N802  (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        if role == Roles.ROW:
            return item
        if isinstance(item, BookmarkRow):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Roles.TEXT):
                label = f" — {item.bookmark.label}" if item.bookmark.label else ""
                return f"Bookmark at {clock(item.bookmark.time)}{label}"
            if role == Roles.START:
                return item.bookmark.time
            return None
        return self._paragraph_data(item, role)

    def _paragraph_data(self, item: Paragraph, role: int) -> Any:
        speakers = self.transcript.speakers
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{speakers.display(item.speaker)}: {self.paragraph_index.text(item).text}"
        if role == Roles.TEXT:
            return self.paragraph_index.text(item).text
        if role == Roles.SPEAKER:
            return item.speaker
        if role == Roles.SPEAKER_NAME:
            return speakers.display(item.speaker)
        if role == Roles.COLOR_INDEX:
            return speakers.get(item.speaker).colour
        if role == Roles.START:
            return item.start
        if role == Roles.END:
            return item.end
        if role == Roles.CHANNEL:
            return item.channel
        if role == Roles.LIVE:
            return bool(item.partial)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if index.isValid() else Qt.ItemFlag.NoItemFlags
