"""Recent previews, newest first, to replay (from the cache: no request) or save."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.qt.widgets.labels import make_label
from studio.services.voices.history import History, HistoryEntry

Index = QModelIndex | QPersistentModelIndex
EntryRole = Qt.ItemDataRole.UserRole + 1


def when(at: float, now: float | None = None) -> str:
    now = time.time() if now is None else now
    if now - at < 20 * 3600:
        return time.strftime("%H:%M", time.localtime(at))
    return time.strftime("%d %b", time.localtime(at))


class HistoryModel(QAbstractListModel):
    """A Qt view of a ``History`` (reset whenever it changes)."""

    def __init__(self, history: History, name_of: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._entries = history.entries
        self._name_of = name_of
        self._unsubscribe = history.changed.subscribe(self._changed)
        self.destroyed.connect(lambda *_: self._unsubscribe())

    def _changed(self, history: History) -> None:
        self.beginResetModel()
        self._entries = history.entries
        self.endResetModel()

    def entry(self, row: int) -> HistoryEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        entry = self.entry(index.row()) if index.isValid() else None
        if entry is None:
            return None
        text = " ".join(entry.text.split())
        short = text if len(text) <= 70 else text[:67] + "…"
        engine = "built-in" if entry.engine == "builtin" else "Speechmatics"
        head = f"{self._name_of(entry.voice)} · {entry.duration:.1f} s · {engine} · {when(entry.at)}"
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{head}\n{short}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{head}\n\n{entry.text}\n\nDouble-click to replay"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{head}: {short}"
        if role == EntryRole:
            return entry
        return None


class HistoryDelegate(QStyledItemDelegate):
    """Two lines per preview, each elided to the width: who and when, then the text (muted)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt's name
        return QSize(200, QFontMetrics(option.font).height() * 2 + 12)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        head, _, body = text.partition("\n")
        rect = option.rect
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        elif index.row() % 2:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        metrics = QFontMetrics(option.font)
        width = rect.width() - 16
        line = metrics.height()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.drawText(rect.left() + 8, rect.top() + 5, width, line, Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(head, Qt.TextElideMode.ElideRight, width))
        painter.setFont(option.font)
        muted = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(palette.color(muted))
        painter.drawText(rect.left() + 8, rect.top() + 6 + line, width, line, Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(body, Qt.TextElideMode.ElideRight, width))
        painter.restore()


class HistoryPanel(QWidget):
    replay_requested = Signal(object)  # HistoryEntry
    save_requested = Signal(object)

    def __init__(self, history: History, name_of: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = HistoryModel(history, name_of, self)
        self.heading = make_label("History", "PanelHeading")
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Recent previews")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setItemDelegate(HistoryDelegate(self.view))
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setUniformItemSizes(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.doubleClicked.connect(lambda index: self._emit(self.replay_requested, index.row()))
        self.view.activated.connect(lambda index: self._emit(self.replay_requested, index.row()))
        self.empty = make_label("Previews you hear are kept here, to replay or save.", "SectionHint", wrap=True)
        self.replay_button = QPushButton("Replay")
        self.replay_button.setAccessibleName("Replay the selected preview")
        self.replay_button.clicked.connect(lambda: self._emit(self.replay_requested, self._row()))
        self.save_button = QPushButton("Save…")
        self.save_button.setAccessibleName("Save the selected preview")
        self.save_button.clicked.connect(lambda: self._emit(self.save_requested, self._row()))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.heading)
        buttons.addStretch(1)
        buttons.addWidget(self.replay_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        self.model.modelReset.connect(self._update)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self._update()

    def _row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else (0 if self.model.rowCount() else -1)

    def _emit(self, signal: SignalInstance, row: int) -> None:
        entry = self.model.entry(row)
        if entry is not None:
            signal.emit(entry)

    def _update(self) -> None:
        has = self.model.rowCount() > 0
        self.empty.setVisible(not has)
        self.view.setVisible(has)
        self.replay_button.setEnabled(has)
        self.save_button.setEnabled(has)
