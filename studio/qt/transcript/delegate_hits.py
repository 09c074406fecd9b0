"""Hit tests of a paragraph row: what is under a point (a name, a time, a word), the character nearest to it,
and where a character is drawn (a mixin of ``ParagraphDelegate``; rows are ``RowLayout``s of stacked parts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QTextLine

from studio.core.transcript.paragraphs import BookmarkRow
from studio.qt.transcript.text_parts import LEADING, TextPart

if TYPE_CHECKING:
    from studio.qt.transcript.delegate import RowLayout

TEXT_LEFT = 18  # where the words begin in a row (after the speaker's bar)


@dataclass(frozen=True)
class Hit:
    part: str  # "name", "time", "text", "header", "bookmark", "none"
    offset: int = 0  # the character position under the point (between characters), for selections
    token: int | None = None  # the token under the point ("text" only)



class RowHits:
    if TYPE_CHECKING:  # what ParagraphDelegate provides
        def name_rect(self, layout: RowLayout) -> QRect: ...
        def time_rect(self, layout: RowLayout) -> QRect: ...

    # -- hits ------------------------------------------------------------------------------------------------
    def hit(self, layout: RowLayout, x: float, y: float) -> Hit:
        if isinstance(layout.item, BookmarkRow):
            return Hit("bookmark")
        if y < layout.body_top:
            if self.name_rect(layout).contains(int(x), int(y)):
                return Hit("name")
            if self.time_rect(layout).contains(int(x), int(y)):
                return Hit("time")
            return Hit("header", 0)
        offset = self.offset_at(layout, x, y)
        if layout.text is None or y >= layout.body_top + layout.body_height:
            return Hit("none", offset)
        found = self._line_at(layout, y - layout.body_top)
        if found is None or found[0].translation:
            return Hit("none", offset)
        part, line = found
        left = x - TEXT_LEFT
        drawn = line.naturalTextRect()  # where the words are, alignment included (right-aligned: right-to-left)
        if left < drawn.left() or left > drawn.right():
            return Hit("none", offset)
        on = part.start + line.xToCursor(left, QTextLine.CursorPosition.CursorOnCharacter)
        token = layout.text.token_at(on)
        if token is not None:
            start, end = layout.text.span(token)
            if not start <= on < max(end, start + 1):
                token = None  # the space between two words
        return Hit("text", offset, token)

    def offset_at(self, layout: RowLayout, x: float, y: float) -> int:
        """The character position nearest to a point (for selections): 0 above the words, the end below."""
        text = layout.text
        if text is None or not layout.parts:
            return 0
        inner = y - layout.body_top
        if inner < 0:
            return 0
        if inner >= layout.body_height:
            return len(text.text)
        found = self._line_at(layout, inner)
        if found is None:
            return len(text.text)
        part, line = found
        if part.translation:
            return part.start  # under a run: the end of the words it translates
        return part.start + int(line.xToCursor(x - TEXT_LEFT, QTextLine.CursorPosition.CursorBetweenCharacters))

    @staticmethod
    def _line_at(layout: RowLayout, y: float) -> tuple[TextPart, QTextLine] | None:
        """The part and line at ``y`` (body coordinates): the line whose bottom (and leading) is below it."""
        for part in layout.parts:
            if y >= part.top + part.advance:
                continue
            lines = part.layout
            for i in range(lines.lineCount()):
                line = lines.lineAt(i)
                if y < part.top + line.y() + line.height() + LEADING:
                    return part, line
        return None

    def caret_rect(self, layout: RowLayout, offset: int) -> QRectF:
        """Where character ``offset`` is, in row coordinates (to show a match or scroll to a word)."""
        part = layout.part_at(offset)
        if part is None or part.layout.lineCount() == 0:
            return QRectF(0, 0, 1, layout.height)
        inner = min(max(0, offset - part.start), part.end - part.start)
        body = part.layout
        line = body.lineForTextPosition(inner)
        if not line.isValid():
            line = body.lineAt(body.lineCount() - 1)
        where = line.cursorToX(inner)  # (x, position) in PySide6
        x = float(where[0] if isinstance(where, tuple) else where)  # type: ignore[arg-type]
        return QRectF(TEXT_LEFT + x, layout.body_top + part.top + line.y(), 2, line.height())
