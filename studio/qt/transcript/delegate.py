"""How one row of the transcript is laid out, drawn and hit: the paragraph delegate.

A paragraph row is a header (the speaker's name in their colour, and the paragraph's time when timestamps are
shown; a paragraph continuing the same speaker shows no name), the words laid out with ``QTextLayout`` —
partial words lighter and in italics, words under the confidence threshold with a dotted underline — and the
translated sentences under them. A coloured bar in the speaker's colour runs down its left. A bookmark row
is a flag, its time and its label. Names are drawn from the speaker registry when painted, so a rename lays
nothing out again; the backgrounds of selections, search matches and the word being played are drawn over
the layout (``QTextLayout.draw`` selections) and need no new layout either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPaintDevice,
    QPainter,
    QPainterPath,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextLine,
    QTextOption,
)

from studio.core.transcript.paragraphs import BookmarkRow, Paragraph, ParagraphIndex, ParagraphText, Row
from studio.qt.transcript.style import Style, clock

BAR_X = 6
BAR_WIDTH = 3
TEXT_LEFT = 18
RIGHT = 14
PAD_TOP = 8
PAD_TOP_CONTINUED = 2
PAD_BOTTOM = 6
LEADING = 2
HEADER_GAP = 2
NAME_GAP = 10


@dataclass
class RowLayout:
    item: Row
    revision: int
    width: int
    height: int
    header: int = 0  # header height (0: no header)
    pad: int = PAD_TOP
    text: ParagraphText | None = None
    body: QTextLayout | None = None
    body_top: int = 0
    body_height: int = 0
    translation: QTextLayout | None = None
    translation_top: int = 0


@dataclass(frozen=True)
class Hit:
    part: str  # "name", "time", "text", "header", "bookmark", "none"
    offset: int = 0  # the character position under the point (between characters), for selections
    token: int | None = None  # the token under the point ("text" only)


@dataclass
class RowPaint:
    """What is drawn over a row's layout."""

    selection: tuple[int, int] | None = None
    matches: list[tuple[int, int]] = field(default_factory=list)
    current_match: tuple[int, int] | None = None
    playing: tuple[int, int] | None = None
    focused: bool = False
    hovered_name: bool = False


class ParagraphDelegate:
    def __init__(self, index: ParagraphIndex, device: QPaintDevice, style: Style) -> None:
        self.index = index
        self.device = device
        self.show_timestamps = False
        self.hours = False  # timestamps as h:mm:ss
        self.low_confidence: float | None = None
        self.translation: str | None = None
        self.rtl = False
        self.set_style(style)

    def set_style(self, style: Style) -> None:
        self.style = style
        self._body_metrics = QFontMetricsF(style.body, self.device)
        self._name_metrics = QFontMetricsF(style.name, self.device)
        self._small_metrics = QFontMetricsF(style.small, self.device)
        self._char_width = max(1.0, self._body_metrics.averageCharWidth())
        self._measured_chars = 0
        self._measured_width = 0.0

    @property
    def line_height(self) -> int:
        return math.ceil(self._body_metrics.height() + LEADING)

    def _option(self) -> QTextOption:
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        if self.rtl:
            option.setTextDirection(Qt.LayoutDirection.RightToLeft)
            option.setAlignment(Qt.AlignmentFlag.AlignRight)
        return option

    def _header_height(self, item: Paragraph) -> int:
        if not item.continued:
            return math.ceil(self._name_metrics.height()) + HEADER_GAP
        if self.show_timestamps:
            return math.ceil(self._small_metrics.height()) + HEADER_GAP
        return 0

    def _bookmark_height(self) -> int:
        return math.ceil(self._small_metrics.height()) + 12

    # -- sizes ---------------------------------------------------------------------------------------------------
    def estimate(self, item: Row, width: int) -> int:
        """A row's height without laying it out (from its length and the widths measured so far)."""
        if isinstance(item, BookmarkRow):
            return self._bookmark_height()
        usable = max(40, width - TEXT_LEFT - RIGHT)
        lines = max(1, math.ceil(item.chars * self._char_width / usable))
        pad = PAD_TOP_CONTINUED if item.continued else PAD_TOP
        return pad + self._header_height(item) + lines * self.line_height + PAD_BOTTOM

    def layout(self, item: Row, width: int) -> RowLayout:
        if isinstance(item, BookmarkRow):
            return RowLayout(item, item.revision, width, self._bookmark_height(), pad=0)
        usable = max(40, width - TEXT_LEFT - RIGHT)
        text = self.index.text(item)
        pad = PAD_TOP_CONTINUED if item.continued else PAD_TOP
        header = self._header_height(item)
        body = QTextLayout(text.text, self.style.body, self.device)
        body.setTextOption(self._option())
        body.setFormats(self._formats(text))
        body.setCacheEnabled(True)
        body_height = self._lines(body, usable)
        if text.text:
            self._measured_chars += len(text.text)
            self._measured_width += sum(body.lineAt(i).naturalTextWidth() for i in range(body.lineCount()))
            if self._measured_chars > 400:
                self._char_width = self._measured_width / self._measured_chars
        out = RowLayout(item, item.revision, width, 0, header=header, pad=pad, text=text, body=body,
                        body_top=pad + header, body_height=body_height)
        height = out.body_top + body_height
        translation = self._translation(item, usable)
        if translation is not None:
            out.translation, translated_height = translation
            out.translation_top = height + HEADER_GAP
            height = out.translation_top + translated_height
        out.height = math.ceil(height + PAD_BOTTOM)
        return out

    def _lines(self, layout: QTextLayout, width: float) -> int:
        y = 0.0
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height() + LEADING
        layout.endLayout()
        return math.ceil(max(y - LEADING, self._body_metrics.height()))

    def _formats(self, text: ParagraphText) -> list[QTextLayout.FormatRange]:
        formats = []
        partial_at = text.partial_offset
        if partial_at < len(text.text):
            partial = QTextCharFormat()
            partial.setFontItalic(True)
            partial.setForeground(self.style.muted)
            formats.append(_range(partial_at, len(text.text) - partial_at, partial))
        threshold = self.low_confidence
        if threshold is not None:
            doubtful = QTextCharFormat()
            doubtful.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            doubtful.setUnderlineColor(self.style.warn)
            for i, token in enumerate(text.tokens):
                if not token.is_punctuation and token.confidence < threshold:
                    formats.append(_range(text.starts[i], len(token.text), doubtful))
        return formats

    def _translation(self, item: Paragraph, width: float) -> tuple[QTextLayout, int] | None:
        if self.translation is None:
            return None
        finals, partials = self.index.sentences(item, self.translation)
        if not finals and not partials:
            return None
        done = " ".join(s.text for s in finals)
        pending = " ".join(s.text for s in partials)
        text = f"{done} {pending}".strip() if done and pending else done or pending
        font = QFont(self.style.small)
        font.setItalic(True)
        layout = QTextLayout(text, font, self.device)
        layout.setTextOption(self._option())
        if pending:
            lighter = QTextCharFormat()
            lighter.setForeground(self.style.muted)
            lighter.setFontItalic(True)
            start = len(text) - len(pending)
            layout.setFormats([_range(start, len(pending), lighter)])
        return layout, self._lines(layout, width)

    # -- names and times -------------------------------------------------------------------------------------
    def name_rect(self, layout: RowLayout) -> QRect:
        """Where the speaker's name is, in row coordinates (empty when the row shows none)."""
        item = layout.item
        if not isinstance(item, Paragraph) or item.continued:
            return QRect()
        name = self.index.transcript.speakers.display(item.speaker)
        width = math.ceil(self._name_metrics.horizontalAdvance(name))
        return QRect(TEXT_LEFT, layout.pad, width, layout.header - HEADER_GAP)

    def time_rect(self, layout: RowLayout) -> QRect:
        item = layout.item
        if not self.show_timestamps or not isinstance(item, Paragraph) or not layout.header:
            return QRect()
        name = self.name_rect(layout)
        left = name.right() + 1 + NAME_GAP if not name.isNull() else TEXT_LEFT
        text = clock(item.start, self.hours)
        height = layout.header - HEADER_GAP
        return QRect(left, layout.pad, math.ceil(self._small_metrics.horizontalAdvance(text)) + 2, height)

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
        body = layout.body
        if body is None or layout.text is None or y >= layout.body_top + layout.body_height:
            return Hit("none", offset)
        line = self._line_at(body, y - layout.body_top)
        if line is None:
            return Hit("none", offset)
        left = x - TEXT_LEFT
        if left < line.x() or left > line.x() + line.naturalTextWidth():
            return Hit("none", offset)
        on = line.xToCursor(left, QTextLine.CursorPosition.CursorOnCharacter)
        token = layout.text.token_at(on)
        if token is not None:
            start, end = layout.text.span(token)
            if not start <= on < max(end, start + 1):
                token = None  # the space between two words
        return Hit("text", offset, token)

    def offset_at(self, layout: RowLayout, x: float, y: float) -> int:
        """The character position nearest to a point (for selections): 0 above the words, the end below."""
        body, text = layout.body, layout.text
        if body is None or text is None:
            return 0
        inner = y - layout.body_top
        if inner < 0:
            return 0
        if inner >= layout.body_height:
            return len(text.text)
        line = self._line_at(body, inner)
        if line is None:
            return len(text.text)
        return int(line.xToCursor(x - TEXT_LEFT, QTextLine.CursorPosition.CursorBetweenCharacters))

    @staticmethod
    def _line_at(layout: QTextLayout, y: float) -> QTextLine | None:
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            if y < line.y() + line.height() + LEADING:
                return line
        return None

    def caret_rect(self, layout: RowLayout, offset: int) -> QRectF:
        """Where character ``offset`` is, in row coordinates (to show a match or scroll to a word)."""
        body = layout.body
        if body is None or body.lineCount() == 0:
            return QRectF(0, 0, 1, layout.height)
        line = body.lineForTextPosition(min(offset, max(0, len(layout.text.text) if layout.text else 0)))
        if not line.isValid():
            line = body.lineAt(body.lineCount() - 1)
        where = line.cursorToX(offset)  # (x, position) in PySide6
        x = float(where[0] if isinstance(where, tuple) else where)  # type: ignore[arg-type]
        return QRectF(TEXT_LEFT + x, layout.body_top + line.y(), 2, line.height())

    # -- painting --------------------------------------------------------------------------------------------
    def paint(self, painter: QPainter, layout: RowLayout, top: int, width: int, state: RowPaint) -> None:
        item = layout.item
        if isinstance(item, BookmarkRow):
            self._paint_bookmark(painter, item, top, width)
            return
        style = self.style
        colour = style.speaker(self.index.transcript.speakers.get(item.speaker).colour)
        if item.is_live:
            colour.setAlpha(170)
        if state.focused:
            painter.setPen(QPen(style.focus, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(2.5, top + 1.5, width - 5, layout.height - 3), 6, 6)
        bar_top = top + (layout.pad if not item.continued else 0)
        painter.fillRect(QRect(BAR_X, bar_top, BAR_WIDTH, top + layout.height - PAD_BOTTOM // 2 - bar_top), colour)
        name_rect = self.name_rect(layout)
        if not name_rect.isNull():
            painter.setFont(style.name)
            painter.setPen(colour)
            name = self.index.transcript.speakers.display(item.speaker)
            painter.drawText(name_rect.translated(0, top), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             name)
            if state.hovered_name:
                underline = top + name_rect.bottom()
                painter.drawLine(name_rect.left(), underline, name_rect.right(), underline)
        time_rect = self.time_rect(layout)
        if not time_rect.isNull():
            painter.setFont(style.small)
            painter.setPen(style.muted)
            painter.drawText(time_rect.translated(0, top), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             clock(item.start, self.hours))
        if layout.body is not None:
            painter.setPen(style.text)
            layout.body.draw(painter, QPointF(TEXT_LEFT, top + layout.body_top), self._overlays(state))
        if layout.translation is not None:
            painter.setPen(style.muted)
            layout.translation.draw(painter, QPointF(TEXT_LEFT, top + layout.translation_top))

    def _overlays(self, state: RowPaint) -> list[QTextLayout.FormatRange]:
        style = self.style
        out = []
        for start, end in state.matches:
            out.append(_range(start, end - start, _background(style.match)))
        if state.current_match is not None:
            start, end = state.current_match
            current = _background(style.current_match)
            current.setForeground(style.current_match_text)
            out.append(_range(start, end - start, current))
        if state.playing is not None:
            start, end = state.playing
            out.append(_range(start, end - start, _background(style.playback)))
        if state.selection is not None:
            start, end = state.selection
            chosen = _background(style.selection)
            chosen.setForeground(style.selection_text)
            out.append(_range(start, end - start, chosen))
        return out

    def _paint_bookmark(self, painter: QPainter, item: BookmarkRow, top: int, width: int) -> None:
        style = self.style
        height = self._bookmark_height()
        middle = top + height / 2
        flag = QPainterPath()
        flag.moveTo(BAR_X, middle - 6)
        flag.lineTo(BAR_X + 9, middle - 3)
        flag.lineTo(BAR_X, middle)
        flag.closeSubpath()
        painter.setPen(QPen(style.accent, 1.5))
        painter.drawLine(QPointF(BAR_X, middle - 6), QPointF(BAR_X, middle + 6))
        painter.fillPath(flag, style.accent)
        label = f"Bookmark · {clock(item.bookmark.time, self.hours)}"
        if item.bookmark.label:
            label += f" · {item.bookmark.label}"
        painter.setFont(style.small)
        rect = QRect(TEXT_LEFT, top, width - TEXT_LEFT - RIGHT, height)
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        used = TEXT_LEFT + math.ceil(self._small_metrics.horizontalAdvance(label)) + 10
        if used < width - RIGHT:
            rule = QColor(style.accent)
            rule.setAlpha(90)
            painter.setPen(QPen(rule, 1))
            painter.drawLine(QPointF(used, middle), QPointF(width - RIGHT, middle))


def _range(start: int, length: int, fmt: QTextCharFormat) -> QTextLayout.FormatRange:
    out = QTextLayout.FormatRange()
    out.start = start
    out.length = length
    out.format = fmt
    return out


def _background(color: QColor) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setBackground(color)
    return fmt
