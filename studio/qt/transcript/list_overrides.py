"""QListView's layout and painting, replaced (a mixin of ``TranscriptList``, which describes how).

Row insertions, removals and changes only mark rows (``_dirty``) and keep the heights in ``RowGeometry``;
positions, hit tests and scrolling come from those heights; painting draws the rows in the damaged rect from
their cached layouts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent, QRegion, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView

from studio.core.transcript.paragraphs import Row
from studio.qt.transcript.delegate import RowLayout, RowPaint
from studio.qt.transcript.model import NAME_ROLES

if TYPE_CHECKING:
    from collections import OrderedDict

    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QListView

    from studio.qt.transcript.delegate import ParagraphDelegate
    from studio.qt.transcript.geometry import RowGeometry
    from studio.qt.transcript.list_view import Anchor
    from studio.qt.transcript.model import ParagraphModel
    from studio.qt.transcript.search import Matches
    from studio.qt.transcript.selection import TextSelection

    _Base = QListView
else:
    _Base = object

ModelIndex = QModelIndex | QPersistentModelIndex
Base = QAbstractItemView


class ListOverrides(_Base):
    if TYPE_CHECKING:  # what TranscriptList provides
        rows_model: ParagraphModel
        geometry_: RowGeometry
        delegate_: ParagraphDelegate
        selection_: TextSelection
        matches: Matches
        placeholder: str
        playing: tuple[Row, tuple[int, int]] | None
        hovered_name: Row | None
        keyboard_focus: bool
        painted: SignalInstance
        _cache: OrderedDict[int, RowLayout]
        _dirty: dict[int, Row]
        _repaint_from: int | None
        _programmatic: int
        _blit: bool
        _unscrolled: int
        _width: int

        @property
        def rows(self) -> list[Row]: ...
        def layout_for(self, row: int) -> RowLayout: ...
        def scroll_to_y(self, y: int) -> None: ...
        def relayout(self) -> None: ...
        def _text_width(self) -> int: ...
        def _mark_from(self, row: int) -> None: ...
        def _reset_geometry(self) -> None: ...
        def _settle(self, anchor: Anchor | None, repaint_from: int | None = None) -> None: ...
        def _anchor(self) -> Anchor | None: ...

    # -- QListView's layout, replaced ------------------------------------------------------------------------
    def rowsInserted(self, parent: ModelIndex, start: int, end: int) -> None:  # noqa: N802
        width = self._text_width()
        for row in range(start, end + 1):
            item = self.rows[row]
            self.geometry_.insert(row, self.delegate_.estimate(item, width))
            self._dirty[id(item)] = item
        self._mark_from(start)
        Base.rowsInserted(self, parent, start, end)

    def rowsAboutToBeRemoved(self, parent: ModelIndex, start: int, end: int) -> None:  # noqa: N802
        for row in range(end, start - 1, -1):
            item = self.rows[row]
            self.geometry_.remove(row)
            self._cache.pop(id(item), None)
            self._dirty.pop(id(item), None)
            self.matches.discard(item)
            if self.playing is not None and self.playing[0] is item:
                self.playing = None
        self._mark_from(start)
        Base.rowsAboutToBeRemoved(self, parent, start, end)

    def dataChanged(self, top_left: ModelIndex, bottom_right: ModelIndex,  # noqa: N802
                    roles: Sequence[int] = ()) -> None:
        if roles and list(roles) == NAME_ROLES:  # a rename: names are drawn from the registry
            self.viewport().update()
            return
        for row in range(top_left.row(), bottom_right.row() + 1):
            item = self.rows[row]
            self._dirty[id(item)] = item

    def reset(self) -> None:
        Base.reset(self)
        self.delegate_.index = self.matches.index = self.rows_model.paragraph_index  # a new transcript: a new index
        self._reset_geometry()

    def doItemsLayout(self) -> None:  # noqa: N802
        Base.doItemsLayout(self)

    def updateGeometries(self) -> None:  # noqa: N802
        Base.updateGeometries(self)
        bar = self.verticalScrollBar()
        self._programmatic += 1
        try:
            bar.setRange(0, max(0, self.geometry_.total - self.viewport().height()))
        finally:
            self._programmatic -= 1

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        Base.resizeEvent(self, event)
        if self._text_width() != self._width:
            self._width = self._text_width()
            self.relayout()
        else:
            self._settle(self._anchor(), repaint_from=0)

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        if self._blit:
            self.viewport().scroll(dx, dy)
        else:
            self._unscrolled += dy

    def viewportSizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 320)

    def visualRect(self, index: ModelIndex) -> QRect:  # noqa: N802
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self.geometry_):
            return QRect()
        top = self.geometry_.top(row) - self.verticalScrollBar().value()
        return QRect(0, top, self.viewport().width(), self.geometry_.heights[row])

    def indexAt(self, point: object) -> QModelIndex:  # noqa: N802
        y = int(point.y())  # type: ignore[attr-defined]
        value = self.verticalScrollBar().value()
        if not self.rows or y + value >= self.geometry_.total or y < 0:
            return QModelIndex()
        return self.rows_model.index_of(self.geometry_.row_at(y + value))

    def scrollTo(self, index: ModelIndex,  # noqa: N802
                 hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        if not index.isValid():
            return
        row = index.row()
        self.layout_for(row)
        top, height = self.geometry_.top(row), self.geometry_.heights[row]
        value, page = self.verticalScrollBar().value(), self.viewport().height()
        hints = QAbstractItemView.ScrollHint
        if hint == hints.PositionAtTop or (hint == hints.EnsureVisible and top < value):
            self.scroll_to_y(top)
        elif hint == hints.PositionAtCenter:
            self.scroll_to_y(top - (page - height) // 2)
        elif hint == hints.PositionAtBottom or (hint == hints.EnsureVisible and top + height > value + page):
            self.scroll_to_y(min(top, top + height - page))

    def horizontalOffset(self) -> int:  # noqa: N802
        return 0

    def verticalOffset(self) -> int:  # noqa: N802
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: ModelIndex) -> bool:  # noqa: N802
        return False

    def setSelection(self, rect: QRect, flags: object) -> None:  # noqa: N802
        return  # text selections are the view's own (interaction)

    def visualRegionForSelection(self, selection: object) -> QRegion:  # noqa: N802
        return QRegion()

    def keyboardSearch(self, search: str) -> None:  # noqa: N802
        return  # typing is not a search through every row's text

    # -- painting --------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        viewport = self.viewport()
        painter = QPainter(viewport)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = event.rect()
        region = event.region()
        value = self.verticalScrollBar().value()
        width = viewport.width()
        if not self.rows:
            self._paint_placeholder(painter)
        current = self.currentIndex().row() if self.hasFocus() and self.keyboard_focus else -1
        for row in self.geometry_.span(value + rect.top(), value + rect.bottom() + 1):
            layout = self.layout_for(row)
            top = self.geometry_.top(row) - value
            self.delegate_.paint(painter, layout, top, width, self.row_paint(row, layout, row == current), region)
        painter.end()
        if self._repaint_from is not None:  # painting measured a row whose height was an estimate
            QTimer.singleShot(0, self, self._settle_later)  # (cancelled if the list goes first)
        self.painted.emit()

    def _settle_later(self) -> None:
        self._settle(self._anchor())

    def _paint_placeholder(self, painter: QPainter) -> None:
        if self.placeholder:
            painter.setPen(self.delegate_.style.muted)
            painter.setFont(self.delegate_.style.body)
            painter.drawText(self.viewport().rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)

    def row_paint(self, row: int, layout: RowLayout, focused: bool) -> RowPaint:
        item = layout.item
        state = RowPaint(focused=focused)
        if layout.text is not None:
            state.selection = self.selection_.range_in(item, len(layout.text.text))
            if self.matches.total:
                state.matches = self.matches.hits(item)
                state.current_match = self.matches.current_span(item)
        if self.playing is not None and self.playing[0] is item:
            state.playing = self.playing[1]
        state.hovered_name = self.hovered_name is item
        return state
