"""How one row of the transcript is laid out, drawn and hit: the paragraph delegate.

A paragraph row is a header (the speaker's name in their colour, and the paragraph's time when timestamps are shown;
a paragraph continuing the same speaker shows no name) and the words laid out with ``QTextLayout`` — partial words
lighter and in italics, words under the confidence threshold with a dotted underline — as a stack of parts
(``text_parts``): the live edge lays out only its last line or two, and a translated sentence is read right under
the sentence it translates (the words are cut there, ``ParagraphIndex.blocks``). A coloured bar in the speaker's
colour runs down its left. A bookmark row is a flag, its time and its label. Names are drawn from the speaker
registry when painted, so a rename lays nothing out again; the backgrounds of selections, search matches and the
word being played are drawn over the layout (``QTextLayout.draw`` selections) and need no new layout either. Hit
tests are in ``delegate_hits``.
"""

from __future__ import annotations

import math
import weakref
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
    QRegion,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)

from studio.core.transcript.paragraphs import (
    BookmarkRow,
    Paragraph,
    ParagraphIndex,
    ParagraphText,
    Row,
    TranslationBlock,
)
from studio.qt.transcript.delegate_hits import TEXT_LEFT, Hit, RowHits
from studio.qt.transcript.style import Style, clock
from studio.qt.transcript.text_parts import LEADING, FrozenLines, TextPart, body_height, freeze, lay_out, sliced

__all__ = ["TEXT_LEFT", "Hit", "ParagraphDelegate", "RowLayout", "RowPaint", "TextPart"]

BAR_X = 6
BAR_WIDTH = 3
RIGHT = 14
PAD_TOP = 8
PAD_TOP_CONTINUED = 2
PAD_BOTTOM = 6
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
    parts: list[TextPart] = field(default_factory=list)  # the words (and translations), top to bottom
    body_top: int = 0
    body_height: int = 0

    def text_parts(self) -> list[TextPart]:
        return [p for p in self.parts if not p.translation]

    def translations(self) -> list[str]:
        """The translated text under each run of the paragraph, top to bottom."""
        return [p.layout.text() for p in self.parts if p.translation]

    def formats(self) -> list[QTextLayout.FormatRange]:
        """The formats of the words (partial, doubtful), as offsets in the paragraph's text."""
        out = []
        for part in self.text_parts():
            for fmt in part.layout.formats():
                fmt.start += part.start
                out.append(fmt)
        return out

    def part_at(self, offset: int) -> TextPart | None:
        """The run that shows character ``offset`` (the last one that begins at or before it)."""
        found = None
        for part in self.text_parts():
            if part.start > offset:
                break
            found = part
        return found


@dataclass
class RowPaint:
    """What is drawn over a row's layout."""

    selection: tuple[int, int] | None = None
    matches: list[tuple[int, int]] = field(default_factory=list)
    current_match: tuple[int, int] | None = None
    playing: tuple[int, int] | None = None
    focused: bool = False
    hovered_name: bool = False


class ParagraphDelegate(RowHits):
    def __init__(self, index: ParagraphIndex, device: QPaintDevice, style: Style) -> None:
        self.index = index
        self.device = device
        self.show_timestamps = False
        self.hours = False  # timestamps as h:mm:ss
        self.low_confidence: float | None = None
        self.translation: str | None = None
        self.rtl = False
        self._epoch = 0
        self._frozen: weakref.WeakKeyDictionary[Paragraph, FrozenLines] = weakref.WeakKeyDictionary()
        self.set_style(style)

    def set_style(self, style: Style) -> None:
        self.style = style
        self._epoch += 1  # kept lines were laid out in the old fonts
        self._body_metrics = QFontMetricsF(style.body, self.device)
        self._name_metrics = QFontMetricsF(style.name, self.device)
        self._small_metrics = QFontMetricsF(style.small, self.device)
        self._char_width = max(1.0, self._body_metrics.averageCharWidth())
        self._measured_chars = 0
        self._measured_width = 0.0

    def style_width(self, text: str) -> float:
        """How wide ``text`` is in the words' font."""
        return self._body_metrics.horizontalAdvance(text)

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
        blocks = self.index.blocks(item, self.translation) if self.translation is not None else ()
        parts = self._translated(text, blocks, usable) if blocks else self._words(item, text, usable)
        height = body_height(parts, self._body_metrics.height())
        out = RowLayout(item, item.revision, width, 0, header=header, pad=pad, text=text, parts=parts,
                        body_top=pad + header, body_height=height)
        out.height = math.ceil(out.body_top + height + PAD_BOTTOM)
        return out

    def _words(self, item: Paragraph, text: ParagraphText, width: float) -> list[TextPart]:
        """The paragraph's words: the lines kept from before, then the rest laid out now."""
        option, formats = self._option(), self._formats(text)
        key = (width, self._epoch, self.low_confidence, self.rtl)
        frozen = self._frozen.get(item)
        if frozen is None or frozen.key != key or frozen.generation != text.generation \
                or frozen.end > text.partial_offset:
            frozen = FrozenLines(key, text.generation)
            self._frozen[item] = frozen
        start = frozen.end
        layout, advance = lay_out(text.text[start:], self.style.body, self.device, option,
                                  sliced(formats, start, len(text.text)), width)
        self._measured(layout)
        tail = TextPart(layout, start, len(text.text), frozen.advance, advance)
        parts = [*frozen.parts, tail]
        freeze(frozen, tail, text.text, text.partial_offset, self.style.body, self.device, option, formats, width)
        return parts

    def _translated(self, text: ParagraphText, blocks: tuple[TranslationBlock, ...], width: float
                    ) -> list[TextPart]:
        """The paragraph's words cut after each translated sentence, the translation under it."""
        option, formats = self._option(), self._formats(text)
        font = QFont(self.style.small)
        font.setItalic(True)
        parts: list[TextPart] = []
        y = 0.0
        start = 0
        for block in [*blocks, None]:
            end = len(text.text) if block is None else block.end
            while start < end and text.text[start].isspace():
                start += 1
            if start < end:
                layout, advance = lay_out(text.text[start:end], self.style.body, self.device, option,
                                          sliced(formats, start, end), width)
                self._measured(layout)
                parts.append(TextPart(layout, start, end, y, advance))
                y += advance
            start = max(start, end)
            if block is None or not (block.final or block.partial):
                continue
            done, pending = " ".join(block.final), " ".join(block.partial)
            shown = f"{done} {pending}" if done and pending else done or pending
            lighter = []
            if pending:
                fmt = QTextCharFormat()
                fmt.setForeground(self.style.muted)
                fmt.setFontItalic(True)
                lighter.append(_range(len(shown) - len(pending), len(pending), fmt))
            layout, advance = lay_out(shown, font, self.device, option, lighter, width)
            parts.append(TextPart(layout, end, end, y + HEADER_GAP, advance, translation=True))
            y += HEADER_GAP + advance + HEADER_GAP
        return parts

    def _measured(self, layout: QTextLayout) -> None:
        """Learn the average width of a character from laid-out text (for estimates)."""
        chars = len(layout.text())
        if chars:
            self._measured_chars += chars
            self._measured_width += sum(layout.lineAt(i).naturalTextWidth() for i in range(layout.lineCount()))
            if self._measured_chars > 400:
                self._char_width = self._measured_width / self._measured_chars

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

    def part_rect(self, layout: RowLayout, part: TextPart, top: int, width: int) -> QRect:
        """Where ``part`` is drawn (row at ``top``; the leading under it is not: the next part begins there)."""
        y = top + layout.body_top + part.top
        return QRect(0, math.floor(y), width, max(1, math.ceil(y + part.height) - math.floor(y)))

    # -- painting --------------------------------------------------------------------------------------------
    def paint(self, painter: QPainter, layout: RowLayout, top: int, width: int, state: RowPaint,
              region: QRegion | None = None) -> None:
        """Draw the row at ``top``; with ``region`` (what needs painting), parts outside it are not drawn."""
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
        if region is None or region.intersects(QRect(0, top, width, layout.body_top)):
            self._paint_header(painter, layout, item, top, colour, state)
        overlays = self._overlays(state)
        for part in layout.parts:
            if region is not None and not region.intersects(self.part_rect(layout, part, top, width)):
                continue
            where = QPointF(TEXT_LEFT, top + layout.body_top + part.top)
            if part.translation:
                painter.setPen(style.muted)
                part.layout.draw(painter, where)
            else:
                painter.setPen(style.text)
                part.layout.draw(painter, where, sliced(overlays, part.start, part.end))

    def _paint_header(self, painter: QPainter, layout: RowLayout, item: Paragraph, top: int, colour: QColor,
                      state: RowPaint) -> None:
        style = self.style
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
