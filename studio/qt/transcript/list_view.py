"""The transcript's rows on screen: a QListView whose layout is incremental.

QListView lays out every row again (asking each one's size) whenever a row is inserted or changes size — about
40 ms per update at 9,000 rows, measured. This subclass keeps what QListView gives (the accessible list that
screen readers read row by row, the current index, the model wiring) and replaces its geometry: row heights
and positions live in ``RowGeometry``; a changed row is measured again on its own; rows off screen carry an
estimate until they are shown or idle time measures them; a cached ``RowLayout`` is kept for the rows near
the screen. The reading position is anchored to the row at the top of the screen (heights changing above it
do not move what is read); in live mode, while ``following`` the view stays at the live edge.

Mouse, keyboard, selection and tooltips are in ``studio.qt.transcript.interaction``; QListView's own layout
and painting, replaced, in ``list_overrides``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from studio.core.transcript.paragraphs import Paragraph, Row
from studio.qt.transcript.delegate import ParagraphDelegate, RowLayout
from studio.qt.transcript.geometry import RowGeometry
from studio.qt.transcript.interaction import Interaction
from studio.qt.transcript.list_overrides import ListOverrides
from studio.qt.transcript.model import ParagraphModel
from studio.qt.transcript.search import Matches
from studio.qt.transcript.selection import TextSelection
from studio.qt.transcript.style import Style

ModelIndex = QModelIndex | QPersistentModelIndex
Base = QAbstractItemView
CACHE_ROWS = 400
MARGIN = 200  # pixels above and below the screen measured exactly
REFINE_BUDGET = 0.004  # seconds of idle measuring at a time
LIVE_EDGE = 4  # pixels from the bottom that still count as at the live edge
BAR_REPAINT_MS = 150  # the scroll bar is repainted at most this often while the view moves it


@dataclass
class Anchor:
    item: Row | None
    offset: int


class TranscriptList(ListOverrides, Interaction, QListView):
    name_clicked = Signal(object)  # the Paragraph whose speaker name was clicked
    time_clicked = Signal(float)  # a paragraph's time stamp (or Enter on a paragraph): its start
    word_clicked = Signal(float)  # a word: its start
    edit_requested = Signal(object)  # a Paragraph to edit (double-click or F2, document mode)
    following_changed = Signal(bool)
    menu_requested = Signal(object, object, QPoint)  # row (or None), time of the word under it (or None), where
    painted = Signal()

    def __init__(self, model: ParagraphModel, style: Style, parent: QWidget | None = None, *, live: bool = True
                 ) -> None:
        super().__init__(parent)
        self.rows_model = model
        self.geometry_ = RowGeometry()
        self.delegate_ = ParagraphDelegate(model.paragraph_index, self.viewport(), style)
        self.selection_ = TextSelection()
        self.matches = Matches(model.paragraph_index)
        self.live = live
        self.placeholder = ""
        self.playing: tuple[Row, tuple[int, int]] | None = None
        self._cache: OrderedDict[int, RowLayout] = OrderedDict()
        self._dirty: dict[int, Row] = {}
        self._replaced: dict[int, RowLayout] = {}  # changed rows' layouts before the change (for their damage)
        self._damaged: list[tuple[int, int]] = []  # (row, y in the row): repaint the row from there down
        self._repaint_from: int | None = None
        self._following = live
        self._programmatic = 0
        self._blit = True
        self._unscrolled = 0  # pixels the content moved that the screen has not been scrolled by yet
        self._width = 0
        self._refine_row = 0
        self._refine = QTimer(self)
        self._refine.setInterval(0)
        self._refine.timeout.connect(self._refine_some)
        # The scroll bar follows the live edge at a few repaints a second, not one a word (a Fusion scroll bar
        # costs as much to paint as the words it scrolls); the user's own scrolling shows at once.
        self._bar_wake = QTimer(self)
        self._bar_wake.setSingleShot(True)
        self._bar_wake.setInterval(BAR_REPAINT_MS)
        self._bar_wake.timeout.connect(self._wake_bar)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAutoScroll(False)
        self.setAccessibleName("Transcript text")
        self.setModel(model)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().sliderPressed.connect(self._wake_bar)
        self.verticalScrollBar().actionTriggered.connect(lambda _action: self._wake_bar())
        self._init_interaction()
        self._reset_geometry()

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def rows(self) -> list[Row]:
        return self.rows_model.rows

    @property
    def following(self) -> bool:
        return self.live and self._following

    def set_following(self, following: bool) -> None:
        following = following and self.live
        if following != self._following:
            self._following = following
            self.following_changed.emit(following)
        if following:
            self._position(None)

    def relayout(self) -> None:
        """Heights may all have changed (width, font, timestamps, translations): measure again."""
        anchor = self._anchor()
        self.geometry_.invalidate_all()  # O(1): the old heights are the estimates until rows are measured again
        self._cache.clear()
        self._settle(anchor, repaint_from=0)
        self._refine_row = 0
        self._refine.start()

    def redraw(self) -> None:
        """Colours or marks changed, not sizes: lay out the rows on screen again as they are drawn."""
        self._cache.clear()
        self.viewport().update()

    def apply(self) -> bool:
        """The frame: replay the model's changes, measure what changed, keep the position, repaint what moved."""
        anchor = self._anchor()
        if not self.rows_model.sync():
            return False
        self._settle(anchor)
        return True

    # -- geometry --------------------------------------------------------------------------------------------
    def _text_width(self) -> int:
        return max(120, self.viewport().width())

    def _reset_geometry(self) -> None:
        width = self._text_width()
        self._width = width
        self.geometry_.reset([self.delegate_.estimate(item, width) for item in self.rows])
        self._cache.clear()
        self._dirty.clear()
        self._replaced.clear()
        self._damaged.clear()
        self.matches.set_query(self.matches.query, self.matches.case, self.rows)
        self.playing = None
        self._settle(None if self.following else Anchor(self.rows[0] if self.rows else None, 0), repaint_from=0)
        self._refine_row = 0
        self._refine.start()

    def _anchor(self) -> Anchor | None:
        if self.following or not self.rows:
            return None
        value = self.verticalScrollBar().value()
        row = self.geometry_.row_at(value)
        return Anchor(self.rows[row], value - self.geometry_.top(row))

    def layout_for(self, row: int) -> RowLayout:
        """The row's layout (measured now if it is not cached); its exact height goes into the geometry."""
        item = self.rows[row]
        key = id(item)
        cached = self._cache.get(key)
        width = self._text_width()
        if cached is not None and cached.revision == item.revision and cached.width == width \
                and cached.item is item and self.geometry_.is_exact(row):
            self._cache.move_to_end(key)
            return cached
        layout = self.delegate_.layout(item, width)
        grew = self.geometry_.set(row, layout.height, True)
        replaced = self._replaced.pop(key, None)
        if grew or (replaced is not None and (replaced.item is not item or replaced.width != width)):
            self._mark_from(row)
        elif replaced is not None:
            self._damage_part(row, replaced, layout)
        self._cache[key] = layout
        if len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return layout

    def _mark_from(self, row: int) -> None:
        self._repaint_from = row if self._repaint_from is None else min(self._repaint_from, row)

    def _damage_part(self, row: int, old: RowLayout, new: RowLayout) -> None:
        """A row changed in place (same height): repaint it from its first part that is not the same as before
        (the live edge: its last line or two), not from its top."""
        parts = 0
        for before, after in zip(old.parts, new.parts, strict=False):
            if before.layout is not after.layout:
                break
            parts += 1
        if parts == 0 or old.header != new.header or old.body_top != new.body_top:
            self._damaged.append((row, 0))
        else:
            self._damaged.append((row, new.body_top + int(new.parts[parts].top) if parts < len(new.parts)
                                  else new.height))

    def _settle(self, anchor: Anchor | None, repaint_from: int | None = None) -> None:
        if repaint_from is not None:
            self._mark_from(repaint_from)
        changed = []
        for item in self._dirty.values():
            row = self.rows_model.row_of(item)
            if row < 0:
                continue
            old = self._cache.pop(id(item), None)
            self.geometry_.mark(row)  # its old height is the estimate until it is measured
            self.matches.refresh(item)
            if old is not None:
                self._replaced[id(item)] = old  # measured again below: repainted where it changed
            else:
                self._mark_from(row)
            changed.append(row)
        self._dirty.clear()
        self._position(anchor)
        for _ in range(4):  # measuring the rows on screen may change their heights: place them again
            if not self._measure_visible():
                break
            self._position(anchor)
        for key in list(self._replaced):  # changed but not measured again (off screen): as before
            item = self._replaced.pop(key).item
            row = self.rows_model.row_of(item)
            if row >= 0:
                self._mark_from(row)
        self._repaint()
        if any(not self.geometry_.is_exact(row) for row in changed):
            self._refine.start()  # rows off screen changed: measure them when idle

    def _measure_visible(self) -> bool:
        value = self.verticalScrollBar().value()
        changed = False
        for row in self.geometry_.span(max(0, value - MARGIN), value + self.viewport().height() + MARGIN):
            if not self.geometry_.is_exact(row) or id(self.rows[row]) not in self._cache:
                before = self.geometry_.heights[row]
                self.layout_for(row)
                changed |= self.geometry_.heights[row] != before
        return changed

    def _position(self, anchor: Anchor | None) -> None:
        """Scroll range from the heights; then the live edge (following) or the anchor back where it was.

        Nothing is scrolled on screen here: the offset is kept and ``_repaint`` scrolls once, at the end of the
        frame (only at the live edge: an anchored view shows the same rows in the same place)."""
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        if bar.updatesEnabled() and bar.isVisible():
            bar.setUpdatesEnabled(False)
            self._bar_wake.start()
        self._programmatic += 1
        self._blit = False
        try:
            bar.setPageStep(max(1, page))
            bar.setSingleStep(self.delegate_.line_height)
            old = bar.value()
            bar.setRange(0, max(0, self.geometry_.total - page))
            if self.following:
                target = bar.maximum()
            elif anchor is not None and anchor.item is not None:
                row = self.rows_model.row_of(anchor.item)
                target = self.geometry_.top(row) + anchor.offset if row >= 0 else old
            else:
                target = old
            bar.setValue(target)
        finally:
            self._programmatic -= 1
            self._blit = True

    def _wake_bar(self) -> None:
        self._bar_wake.stop()
        bar = self.verticalScrollBar()
        if not bar.updatesEnabled():
            bar.setUpdatesEnabled(True)  # repaints it

    def _repaint(self) -> None:
        viewport = self.viewport()
        scrolled, self._unscrolled = self._unscrolled, 0
        if scrolled and self.following:
            if abs(scrolled) < viewport.height():
                viewport.scroll(0, scrolled)
            else:
                self._mark_from(0)
        row = self._repaint_from
        self._repaint_from = None
        damaged, self._damaged = self._damaged, []
        value = self.verticalScrollBar().value()
        for changed, offset in damaged:
            if (row is None or changed < row) and changed < len(self.rows):
                y = self.geometry_.top(changed) - value + offset
                bottom = self.geometry_.top(changed) - value + self.geometry_.heights[changed]
                if y < viewport.height() and bottom > 0 and bottom > y:
                    viewport.update(QRect(0, max(0, y), viewport.width(), bottom - max(0, y)))
        if row is None or not self.rows:
            if row is not None:
                viewport.update()
            return
        row = min(row, len(self.rows) - 1)
        y = self.geometry_.top(row) - self.verticalScrollBar().value()
        if y < viewport.height():
            top = max(0, y)
            viewport.update(QRect(0, top, viewport.width(), viewport.height() - top))

    def _refine_some(self) -> None:
        """Idle time: measure rows that carry estimates, a few milliseconds at a time."""
        rows = self.rows
        count = len(rows)
        if not count or not self.isVisible():
            self._refine.stop()
            return
        anchor = self._anchor()
        deadline = time.perf_counter() + REFINE_BUDGET
        geometry, delegate, width = self.geometry_, self.delegate_, self._text_width()
        scanned = 0
        while scanned < count and time.perf_counter() < deadline:
            row = self._refine_row % count
            self._refine_row = row + 1
            scanned += 1
            if not geometry.is_exact(row) and geometry.set(row, delegate.layout(rows[row], width).height, True):
                self._mark_from(row)
        if scanned >= count or all(geometry.is_exact(r) for r in range(count)):
            self._refine.stop()
        if self._repaint_from is not None:
            self._position(anchor)
            self._repaint()

    def _scrolled(self, value: int) -> None:
        if self._programmatic:
            return
        if self.live:
            at_edge = value >= self.verticalScrollBar().maximum() - LIVE_EDGE
            if at_edge != self._following:
                self._following = at_edge
                self.following_changed.emit(at_edge)
        anchor = self._anchor()
        if self._measure_visible():
            self._position(anchor)
            self._repaint()

    def scroll_to_y(self, y: int) -> None:
        """Scroll as the user would (leaves the live edge unless it is the bottom)."""
        self.verticalScrollBar().setValue(max(0, y))

    def update_row(self, item: Row | None) -> None:
        if item is None:
            return
        row = self.rows_model.row_of(item)
        if row >= 0:
            self.viewport().update(self.visualRect(self.rows_model.index_of(row)))

    def paragraph_rows(self) -> list[Paragraph]:
        return [r for r in self.rows if isinstance(r, Paragraph)]
