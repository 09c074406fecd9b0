"""TranscriptView: the one transcript view of the studio (live captions, batch results, recorded sessions).

See ``studio.qt.transcript`` for how to use it. This module puts the parts together: the list
(``list_view``), the find bar, the name and paragraph editors, the undo stack, the context menu, the "Jump to
live" button, and the frame timer that coalesces the transcript's changes into at most one update a frame.
Find is in ``view_find``, playback in ``view_playback``, the keys it claims in ``view_keys``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QUndoStack
from PySide6.QtWidgets import QMenu, QPushButton, QVBoxLayout, QWidget

from studio.core.transcript import Transcript
from studio.core.transcript.paragraphs import Paragraph, Row
from studio.qt.theme import Colors
from studio.qt.transcript.commands import EditWords
from studio.qt.transcript.delegate import TEXT_LEFT
from studio.qt.transcript.editors import NameEditor, ParagraphEditor
from studio.qt.transcript.list_view import TranscriptList
from studio.qt.transcript.menu import build_menu
from studio.qt.transcript.model import ParagraphModel
from studio.qt.transcript.search import FindBar
from studio.qt.transcript.style import Style
from studio.qt.transcript.view_find import FindMixin
from studio.qt.transcript.view_keys import ZOOM, KeysMixin
from studio.qt.transcript.view_playback import PlaybackMixin

Mode = Literal["live", "document"]
FRAME_MS = 16
ZOOMS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8, 2.0, 2.4)


class TranscriptView(FindMixin, PlaybackMixin, KeysMixin, QWidget):
    seek_requested = Signal(float)  # a word (its start), a paragraph's time, "Play from here"
    speak_requested = Signal(str)  # "Speak this line": the selected words, else the paragraph's
    following_live_changed = Signal(bool)
    painted = Signal()  # the transcript was drawn (after each repaint of the list)

    def __init__(self, transcript: Transcript, colors: Callable[[], Colors], mode: Mode = "live",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Transcript")
        self._colors = colors
        self._restyling = False
        self._timestamps: bool | None = None  # None: by mode (document mode shows them)
        self._follow_playback = True
        self._playback_time: float | None = None
        self._user_scrolled = -math.inf
        self._last_frame = -math.inf
        self.zoom = ZOOM
        self.mode: Mode = mode
        self.model = ParagraphModel(transcript, self)
        self.list = TranscriptList(self.model, self._style(), self, live=mode == "live")
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        self.jump_button = QPushButton("Jump to live  ↓", self)
        self.jump_button.setAccessibleName("Jump to live")
        self.jump_button.setToolTip("Follow the newest words again (End)")
        self.jump_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump_button.hide()
        self.name_editor = NameEditor(self.list.viewport())
        self.paragraph_editor = ParagraphEditor(self.list.viewport())
        self.undo_stack = QUndoStack(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.list, 1)
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.timeout.connect(self.flush)
        self._wire()
        self.list.installEventFilter(self)
        self.list.viewport().installEventFilter(self)
        self.restyle()
        self.set_mode(mode)

    def _wire(self) -> None:
        self.model.pending.connect(self._schedule)
        self.list.name_clicked.connect(self.rename_speaker)
        self.list.time_clicked.connect(self.seek_requested.emit)
        self.list.word_clicked.connect(self.seek_requested.emit)
        self.list.edit_requested.connect(self.edit_paragraph)
        self.list.following_changed.connect(self._following_changed)
        self.list.menu_requested.connect(self._show_menu)
        self.list.painted.connect(self.painted.emit)
        self.list.verticalScrollBar().actionTriggered.connect(self._user_scroll)
        self.name_editor.renamed.connect(lambda key, name: self.transcript.speakers.rename(key, name))
        self.name_editor.finished.connect(self._editor_closed)
        self.paragraph_editor.edited.connect(self._edited)
        self.paragraph_editor.finished.connect(self._editor_closed)
        self.find_bar.searched.connect(self._search)
        self.find_bar.stepped.connect(self._step)
        self.find_bar.closed.connect(self.hide_find)
        self.jump_button.clicked.connect(self.jump_to_live)

    # -- the transcript --------------------------------------------------------------------------------------
    @property
    def transcript(self) -> Transcript:
        return self.model.transcript

    def set_transcript(self, transcript: Transcript) -> None:
        """Show another transcript (the undo history is cleared)."""
        self.paragraph_editor.hide()
        self.name_editor.hide()
        self.undo_stack.clear()
        self._playback_time = None
        self.model.set_transcript(transcript)
        self._transcript_settings()

    def _transcript_settings(self) -> None:
        delegate = self.list.delegate_
        changed = delegate.rtl != self.transcript.rtl
        delegate.rtl = self.transcript.rtl
        hours = self.transcript.duration >= 3600
        if hours != delegate.hours:
            delegate.hours = hours
            self.list.viewport().update()
        if changed:
            self.list.relayout()

    def set_mode(self, mode: Mode) -> None:
        """``live`` (captions: follows the live edge) or ``document`` (timestamps, click to seek, edits)."""
        self.mode = mode
        live = mode == "live"
        self.list.live = live
        self.list.placeholder = "Waiting for speech…" if live else "This transcript has no words."
        self.list.delegate_.show_timestamps = self._timestamps if self._timestamps is not None else not live
        self._transcript_settings()
        self.list.relayout()
        self.list.set_following(live)
        self._following_changed(self.list.following)

    # -- the frame -------------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._frame.isActive():
            since = (time.monotonic() - self._last_frame) * 1000
            self._frame.start(0 if since >= FRAME_MS else int(FRAME_MS - since))

    def flush(self) -> None:
        """Apply what changed since the last frame now (the frame timer does this at most once a frame)."""
        self._frame.stop()
        self._last_frame = time.monotonic()
        self._transcript_settings()
        if not self.list.apply():
            return
        if self.find_bar.isVisible():
            self._show_count()
        if self._playback_time is not None and self.list.playing is None:
            self.set_playback_time(self._playback_time)

    # -- options ---------------------------------------------------------------------------------------------
    def set_show_partials(self, shown: bool) -> None:
        """False is reading mode: finals only."""
        self.model.paragraph_index.set_partials(shown)
        self.flush()

    def set_low_confidence(self, threshold: float | None) -> None:
        """Words with a confidence under ``threshold`` get a dotted underline (None: no marks)."""
        self.list.delegate_.low_confidence = threshold
        self.list.redraw()

    def set_show_timestamps(self, shown: bool) -> None:
        self._timestamps = shown
        self.list.delegate_.show_timestamps = shown
        self.list.relayout()

    def set_translation(self, language: str | None) -> None:
        """Show the translated sentences of ``language`` under their paragraphs (None: none)."""
        self.model.paragraph_index.set_translation(language)
        self.list.delegate_.translation = language
        self.list.relayout()

    def set_placeholder(self, text: str) -> None:
        """What an empty transcript says."""
        self.list.placeholder = text
        self.list.viewport().update()

    def restyle(self) -> None:
        """The theme (or the font) changed."""
        if self._restyling:
            return
        self._restyling = True
        try:
            colors = self._colors()
            self.list.delegate_.set_style(self._style())
            self.jump_button.setStyleSheet(
                f"QPushButton {{ background: {colors.accent}; color: {colors.accent_text}; border: none;"
                f" border-radius: 14px; padding: 6px 14px; font-weight: 600; }}")
            editor = (f"border: 2px solid {colors.accent}; border-radius: 6px; background: {colors.base};"
                      f" color: {colors.text}; selection-background-color: {colors.accent};"
                      f" selection-color: {colors.accent_text};")
            self.paragraph_editor.setStyleSheet(f"QPlainTextEdit {{ {editor} }}")
            self.name_editor.setStyleSheet(f"QLineEdit {{ {editor} padding: 0 4px; }}")
            self.list.redraw()
        finally:
            self._restyling = False

    def _style(self) -> Style:
        return Style.build(self.font(), self.palette(), self._colors(), self.zoom)

    def set_zoom(self, zoom: float) -> None:
        """The size of the words (1.0: the widget's font; Ctrl+= / Ctrl+- / Ctrl+0 and Ctrl+wheel)."""
        zoom = min(max(zoom, ZOOMS[0]), ZOOMS[-1])
        if zoom != self.zoom:
            self.zoom = zoom
            self.list.delegate_.set_style(self._style())
            self.list.relayout()

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOMS if z > self.zoom + 1e-6), ZOOMS[-1]))

    def zoom_out(self) -> None:
        self.set_zoom(next((z for z in reversed(ZOOMS) if z < self.zoom - 1e-6), ZOOMS[0]))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "list"):
            self.restyle()
        elif event.type() == QEvent.Type.FontChange and hasattr(self, "list"):
            self.restyle()
            self.list.relayout()

    # -- live edge -------------------------------------------------------------------------------------------
    @property
    def following_live(self) -> bool:
        return self.list.following

    def jump_to_live(self) -> None:
        self.list.set_following(True)
        self._following_changed(self.list.following)

    def _following_changed(self, following: bool) -> None:
        self.jump_button.setVisible(self.mode == "live" and not following)
        self._place_jump_button()
        self.following_live_changed.emit(following)

    def _place_jump_button(self) -> None:
        self.jump_button.adjustSize()
        area = self.list.geometry()
        bar = self.list.verticalScrollBar()
        right = area.right() - (bar.width() if bar.isVisible() else 0) - 16
        self.jump_button.move(right - self.jump_button.width(), area.bottom() - self.jump_button.height() - 16)
        self.jump_button.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_jump_button()

    # -- selection, copy, speak ------------------------------------------------------------------------------
    def selected_text(self) -> str:
        return self.list.selected_text()

    def copy(self) -> None:
        self.list.copy()

    # -- renaming and editing --------------------------------------------------------------------------------
    def rename_speaker(self, paragraph: Paragraph) -> None:
        """Open the name editor over ``paragraph``'s speaker name."""
        row = self.model.row_of(paragraph)
        if row < 0:
            return
        self.list.scrollTo(self.model.index_of(row))
        layout = self.list.layout_for(row)
        rect = self.list.delegate_.name_rect(layout)
        if rect.isNull():
            rect = QRect(TEXT_LEFT, layout.pad, 120, layout.header or 20)
        top = self.list.visualRect(self.model.index_of(row)).top()
        speaker = self.transcript.speakers.get(paragraph.speaker)
        self.name_editor.open(paragraph.speaker, speaker.name or speaker.display, rect.translated(0, top),
                              self.list.delegate_.style.name)

    def word_rect(self, paragraph: Paragraph, token: int) -> QRect:
        """Where token ``token`` of ``paragraph`` is drawn, in the list viewport's coordinates (its first line if
        it wraps; an empty rect when the paragraph is not shown). The row is laid out if it was not."""
        row = self.model.row_of(paragraph)
        text = self.model.paragraph_index.text(paragraph)
        if row < 0 or not 0 <= token < len(text.tokens):
            return QRect()
        layout = self.list.layout_for(row)
        start, end = text.span(token)
        delegate = self.list.delegate_
        begin, finish = delegate.caret_rect(layout, start), delegate.caret_rect(layout, end)
        if finish.y() == begin.y():
            x0, x1 = sorted((begin.x(), finish.x()))  # right to left, the word ends on its left
        else:  # wrapped: its first line, from where it begins to the line's end
            width = delegate.style_width(text.tokens[token].text)
            x0, x1 = (begin.x() - width, begin.x()) if delegate.rtl else (begin.x(), begin.x() + width)
        top = self.list.geometry_.top(row) - self.list.verticalScrollBar().value()
        return QRect(int(x0), top + int(begin.y()), max(1, int(x1 - x0)), int(begin.height()))

    def edit_paragraph(self, paragraph: Paragraph) -> None:
        """Open the editor over ``paragraph``'s words (document mode)."""
        if self.mode != "document" or paragraph.is_live:
            return
        row = self.model.row_of(paragraph)
        if row < 0:
            return
        self.list.scrollTo(self.model.index_of(row))
        layout = self.list.layout_for(row)
        top = self.list.visualRect(self.model.index_of(row)).top()
        width = self.list.viewport().width() - TEXT_LEFT - 10
        rect = QRect(TEXT_LEFT, top + layout.body_top, width, max(layout.body_height, 24))
        self.paragraph_editor.open(paragraph, self.model.paragraph_index.segment(paragraph).text, rect,
                                   self.list.delegate_.style.body)

    def edit_words(self, paragraph: Paragraph, text: str) -> None:
        """Replace ``paragraph``'s words with ``text`` (undoable; the words keep their timing)."""
        self._edited(paragraph, text)

    def _edited(self, paragraph: Paragraph, text: str) -> None:
        if self.model.row_of(paragraph) < 0 or paragraph.is_live:
            return
        segment = self.model.paragraph_index.segment(paragraph)
        if text == segment.text:
            return
        self.undo_stack.push(EditWords(self.transcript, segment, text))
        self.flush()

    def _editor_closed(self) -> None:
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- context menu ----------------------------------------------------------------------------------------
    def context_menu(self, item: Row | None, when: float | None = None) -> QMenu:
        """The menu for ``item`` (a row) and the word at ``when`` under the pointer, if any."""
        return build_menu(self, item, when)

    def _show_menu(self, item: Row | None, when: float | None, where: QPoint) -> None:
        menu = self.context_menu(item, when)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(where)
