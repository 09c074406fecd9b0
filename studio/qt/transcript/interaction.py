"""Mouse, keyboard and tooltips of the transcript list (a mixin of ``TranscriptList``).

- Drag to select text across paragraphs (the view scrolls while dragging past an edge); Shift+click extends;
  double-click selects a word (in document mode it edits the paragraph); Ctrl+A selects everything;
  Ctrl+C copies.
- A click on a speaker's name asks to rename them; on a paragraph's time or (document mode) a word, to play
  from there. Hovering a name underlines it; a word's tooltip gives its time and confidence.
- Up/Down move the current paragraph, PageUp/PageDown a screen, Home/End the ends (End in live mode goes
  back to the live edge); F2 edits the current paragraph, Enter plays from it (document mode); the menu key
  (or Shift+F10) opens its context menu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QCursor, QHelpEvent, QKeyEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip

from studio.core.transcript.paragraphs import BookmarkRow, Paragraph, Row
from studio.qt.transcript.delegate import Hit, ParagraphDelegate, RowLayout
from studio.qt.transcript.selection import TextPoint, TextSelection, selected_text
from studio.qt.transcript.style import clock

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QListView

    from studio.qt.transcript.geometry import RowGeometry
    from studio.qt.transcript.model import ParagraphModel

    _Base = QListView
else:
    _Base = object


@dataclass
class _Press:
    pos: QPointF
    item: Row
    hit: Hit
    dragging: bool = False


class Interaction(_Base):
    if TYPE_CHECKING:  # what TranscriptList provides
        rows_model: ParagraphModel
        geometry_: RowGeometry
        delegate_: ParagraphDelegate
        selection_: TextSelection
        live: bool
        name_clicked: SignalInstance
        time_clicked: SignalInstance
        word_clicked: SignalInstance
        edit_requested: SignalInstance
        menu_requested: SignalInstance

        @property
        def rows(self) -> list[Row]: ...
        def layout_for(self, row: int) -> RowLayout: ...
        def scroll_to_y(self, y: int) -> None: ...
        def set_following(self, following: bool) -> None: ...
        def update_row(self, item: Row | None) -> None: ...
        scrollTo: Callable[..., None]  # noqa: N815  (Qt's name)

    def _init_interaction(self) -> None:
        self.hovered_name: Row | None = None
        self.keyboard_focus = False  # the current paragraph is framed only after keyboard use
        self._press: _Press | None = None
        self._mouse = QPointF()
        self._drag_scroll = QTimer(self)
        self._drag_scroll.setInterval(40)
        self._drag_scroll.timeout.connect(self._drag_step)

    # -- where things are ------------------------------------------------------------------------------------
    def hit_at(self, pos: QPointF) -> tuple[int, RowLayout | None, Hit]:
        value = self.verticalScrollBar().value()
        y = pos.y() + value
        if not self.rows or y < 0 or y >= self.geometry_.total:
            return -1, None, Hit("none")
        row = self.geometry_.row_at(int(y))
        layout = self.layout_for(row)
        return row, layout, self.delegate_.hit(layout, pos.x(), y - self.geometry_.top(row))

    def point_at(self, pos: QPointF) -> TextPoint | None:
        if not self.rows:
            return None
        value = self.verticalScrollBar().value()
        y = min(max(0.0, pos.y() + value), self.geometry_.total - 1.0)
        row = self.geometry_.row_at(int(y))
        layout = self.layout_for(row)
        offset = self.delegate_.offset_at(layout, pos.x(), y - self.geometry_.top(row))
        return TextPoint(layout.item.key, offset)

    def token_time(self, row: int, hit: Hit) -> float | None:
        if hit.token is None or not 0 <= row < len(self.rows):
            return None
        layout = self.layout_for(row)
        return layout.text.tokens[hit.token].start if layout.text is not None else None

    # -- selection and copy ----------------------------------------------------------------------------------
    def selected_text(self) -> str:
        return selected_text(self.selection_, self.rows, self.rows_model.paragraph_index,
                             timestamps=self.delegate_.show_timestamps, hours=self.delegate_.hours)

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QApplication.clipboard().setText(text)

    def select_all(self) -> None:
        if self.rows:
            last = self.rows[-1]
            length = len(self.rows_model.paragraph_index.text(last).text) if isinstance(last, Paragraph) else 0
            self.selection_.select(TextPoint(self.rows[0].key, 0), TextPoint(last.key, length))
            self.viewport().update()

    def _select_word(self, row: int, hit: Hit) -> None:
        layout = self.layout_for(row)
        if hit.token is None or layout.text is None:
            return
        start, end = layout.text.span(hit.token)
        self.selection_.select(TextPoint(layout.item.key, start), TextPoint(layout.item.key, end))
        self.viewport().update()

    # -- mouse -----------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.keyboard_focus = False
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        row, layout, hit = self.hit_at(event.position())
        if row < 0 or layout is None:
            self.selection_.clear()
            self._press = None
            self.viewport().update()
            return
        self.setCurrentIndex(self.rows_model.index_of(row))
        point = TextPoint(layout.item.key, hit.offset)
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and self.selection_.anchor is not None:
            self.selection_.extend(point)
        else:
            self.selection_.start(point)
        self._press = _Press(event.position(), layout.item, hit)
        self.viewport().update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._mouse = event.position()
        press = self._press
        if press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if not press.dragging and (event.position() - press.pos).manhattanLength() >= \
                    QApplication.startDragDistance():
                press.dragging = True
            if press.dragging:
                self._extend_to(event.position())
                outside = event.position().y() < 0 or event.position().y() > self.viewport().height()
                if outside and not self._drag_scroll.isActive():
                    self._drag_scroll.start()
            return
        self._hover(event.position())

    def _extend_to(self, pos: QPointF) -> None:
        point = self.point_at(pos)
        if point is not None:
            self.selection_.extend(point)
            self.viewport().update()

    def _drag_step(self) -> None:
        y, height = self._mouse.y(), self.viewport().height()
        if self._press is None or 0 <= y <= height:
            self._drag_scroll.stop()
            return
        step = int(y / 2) if y < 0 else int((y - height) / 2)
        self.scroll_to_y(self.verticalScrollBar().value() + step)
        self._extend_to(self._mouse)

    def _hover(self, pos: QPointF) -> None:
        row, _layout, hit = self.hit_at(pos)
        shape = Qt.CursorShape.ArrowCursor
        if hit.part == "name" or (hit.part == "time" and not self.live):
            shape = Qt.CursorShape.PointingHandCursor
        elif hit.part == "text":
            shape = Qt.CursorShape.PointingHandCursor if not self.live and hit.token is not None \
                else Qt.CursorShape.IBeamCursor
        self.viewport().setCursor(QCursor(shape))
        hovered = self.rows[row] if hit.part == "name" and row >= 0 else None
        if hovered is not self.hovered_name:
            previous, self.hovered_name = self.hovered_name, hovered
            self.update_row(previous)
            self.update_row(hovered)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        if self.hovered_name is not None:
            previous, self.hovered_name = self.hovered_name, None
            self.update_row(previous)
        super().leaveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag_scroll.stop()
        press, self._press = self._press, None
        if press is None or press.dragging or event.button() != Qt.MouseButton.LeftButton:
            return
        if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.selection_.clear()
            self.viewport().update()
        item, hit = press.item, press.hit
        if hit.part == "name" and isinstance(item, Paragraph):
            self.name_clicked.emit(item)
        elif hit.part == "time" and isinstance(item, Paragraph):
            self.time_clicked.emit(item.start)
        elif hit.part == "bookmark" and isinstance(item, BookmarkRow) and not self.live:
            self.time_clicked.emit(item.bookmark.time)
        elif hit.part == "text" and not self.live:
            row = self.rows_model.row_of(item)
            when = self.token_time(row, hit)
            if when is not None:
                self.word_clicked.emit(when)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        row, layout, hit = self.hit_at(event.position())
        if row < 0 or layout is None:
            return
        item = layout.item
        if hit.part == "name" and isinstance(item, Paragraph):
            self.name_clicked.emit(item)
        elif not self.live and isinstance(item, Paragraph) and not item.is_live and hit.part in ("text", "none"):
            self._press = None
            self.edit_requested.emit(item)
        elif hit.part == "text":
            self._select_word(row, hit)
            self._press = None

    # -- keyboard --------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        keys = Qt.Key
        current = self.currentIndex().row()
        if key in (keys.Key_Up, keys.Key_Down, keys.Key_PageUp, keys.Key_PageDown, keys.Key_Home, keys.Key_End):
            self.keyboard_focus = True
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        elif key == keys.Key_End:
            if self.live:
                self.set_following(True)
            else:
                self.scroll_to_y(self.geometry_.total)
            self._go(len(self.rows) - 1, scroll=not self.live)
        elif key == keys.Key_Home:
            self.scroll_to_y(0)
            self._go(0, scroll=False)
        elif key in (keys.Key_Up, keys.Key_Down):
            self._go(max(0, current + (1 if key == keys.Key_Down else -1)) if current >= 0 else self._top_row())
        elif key in (keys.Key_PageUp, keys.Key_PageDown):
            page = self.viewport().height() * (1 if key == keys.Key_PageDown else -1)
            self.scroll_to_y(self.verticalScrollBar().value() + page)
            self._go(self._top_row(), scroll=False)
        elif key == keys.Key_F2 and not self.live and 0 <= current < len(self.rows):
            item = self.rows[current]
            if isinstance(item, Paragraph) and not item.is_live:
                self.edit_requested.emit(item)
        elif key in (keys.Key_Return, keys.Key_Enter) and not self.live and 0 <= current < len(self.rows):
            self.time_clicked.emit(self.rows[current].start)
        elif key == keys.Key_Escape and not self.selection_.empty:
            self.selection_.clear()
            self.viewport().update()
        else:
            event.ignore()
            return
        event.accept()

    def _top_row(self) -> int:
        return max(0, self.geometry_.row_at(int(self.verticalScrollBar().value())))

    def _go(self, row: int, scroll: bool = True) -> None:
        if not self.rows:
            return
        row = max(0, min(row, len(self.rows) - 1))
        index = self.rows_model.index_of(row)
        self.setCurrentIndex(index)
        if scroll:
            self.scrollTo(index)
        self.viewport().update()

    def focusInEvent(self, event: Any) -> None:  # noqa: N802
        super().focusInEvent(event)
        if event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason):
            self.keyboard_focus = True
        self.viewport().update()

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.viewport().update()

    # -- context menu and tooltips ---------------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            row, _layout, hit = self.hit_at(QPointF(event.pos()))
            when = self.token_time(row, hit)
            where = event.globalPos()
        else:
            row = self.currentIndex().row()
            when = None
            rect = self.visualRect(self.rows_model.index_of(row)) if row >= 0 else self.viewport().rect()
            where = self.viewport().mapToGlobal(rect.topLeft() + QPoint(24, 12))
        item = self.rows[row] if 0 <= row < len(self.rows) else None
        self.menu_requested.emit(item, when, where)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._tooltip(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return bool(super().viewportEvent(event))

    def _tooltip(self, pos: QPointF) -> str:
        _row, layout, hit = self.hit_at(pos)
        if layout is None:
            return ""
        item = layout.item
        hours = self.delegate_.hours
        if isinstance(item, BookmarkRow):
            return f"Bookmark at {clock(item.bookmark.time, hours)}" + (
                f": {item.bookmark.label}" if item.bookmark.label else "")
        if hit.part == "name":
            return "Rename this speaker everywhere"
        if hit.part == "time":
            return "Play from here" if not self.live else ""
        if hit.part == "text" and hit.token is not None and layout.text is not None:
            token = layout.text.tokens[hit.token]
            kind = " · not final yet" if hit.token >= layout.text.partial_from else ""
            return f"{clock(token.start, hours)} · confidence {round(token.confidence * 100)} %{kind}"
        return ""
