"""The word being played, lit and followed (a mixin of ``TranscriptView``).

``set_playback_time(seconds)`` lights the word spoken at that time; while following playback the view scrolls
to keep it comfortably on screen, except for ``FOLLOW_PAUSE`` seconds after the user scrolled.
"""

from __future__ import annotations

import bisect
import operator
import time
from typing import TYPE_CHECKING

from studio.core.transcript.paragraphs import Paragraph, Row
from studio.core.transcript.tokens import Token

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from studio.qt.transcript.list_view import TranscriptList
    from studio.qt.transcript.model import ParagraphModel

    _Base = QWidget
else:
    _Base = object

FOLLOW_PAUSE = 3.0  # seconds a manual scroll keeps playback-follow from scrolling back
_start = operator.attrgetter("start")


class PlaybackMixin(_Base):
    if TYPE_CHECKING:  # what TranscriptView provides
        model: ParagraphModel
        list: TranscriptList
        _playback_time: float | None
        _follow_playback: bool
        _user_scrolled: float

    # -- playback --------------------------------------------------------------------------------------------
    def set_playback_time(self, seconds: float | None) -> None:
        """Highlight the word being played (None: nothing is playing); follow it if following playback."""
        self._playback_time = seconds
        playing: tuple[Row, tuple[int, int]] | None = None
        item = self.model.paragraph_index.paragraph_at(seconds) if seconds is not None else None
        if item is not None:
            text = self.model.paragraph_index.text(item)
            i = bisect.bisect_right(text.tokens, seconds, key=_start) - 1
            while i >= 0 and text.tokens[i].is_punctuation:
                i -= 1
            if i >= 0:
                playing = (item, text.span(i))
        old = self.list.playing
        if playing == old:
            return
        self.list.playing = playing
        self.list.update_row(old[0] if old else None)
        self.list.update_row(item if playing else None)
        if playing is not None and self._follow_playback and time.monotonic() - self._user_scrolled > FOLLOW_PAUSE:
            self._reveal(playing[0], playing[1][0])

    def playing_token(self) -> Token | None:
        """The word lit as being played (None: none)."""
        if self.list.playing is None:
            return None
        item, (start, _end) = self.list.playing
        if not isinstance(item, Paragraph):
            return None
        text = self.model.paragraph_index.text(item)
        index = text.token_at(start)
        return text.tokens[index] if index is not None else None

    def set_follow_playback(self, follow: bool) -> None:
        self._follow_playback = follow
        if follow and self.list.playing is not None:
            self._reveal(self.list.playing[0], self.list.playing[1][0])

    def _user_scroll(self, _action: int) -> None:
        self._user_scrolled = time.monotonic()

    def _reveal(self, item: Row, offset: int) -> None:
        """Scroll so that character ``offset`` of ``item`` is comfortably on screen."""
        row = self.model.row_of(item)
        if row < 0:
            return
        layout = self.list.layout_for(row)
        caret = self.list.delegate_.caret_rect(layout, offset)
        y = self.list.geometry_.top(row) + int(caret.y())
        value, page = self.list.verticalScrollBar().value(), self.list.viewport().height()
        if y < value + page * 0.1 or y + caret.height() > value + page * 0.85:
            self.list.scroll_to_y(int(y - page * 0.3))
