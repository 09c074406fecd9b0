"""A paragraph row's words as a stack of text layouts (``TextPart``), and the lines kept from frame to frame.

A row's body is one or more ``QTextLayout``s stacked top to bottom, each showing a run of the paragraph's text
(``start:end``), with translated sentences as parts of their own under the run they translate.

The live edge: a paragraph that grows by a word a frame is not laid out again whole. Its complete lines of
final words are kept (``FrozenLines``: Qt wraps greedily, so a line that is full and followed by more text
stays as it is when words are appended) and only the rest — its last line or two and the partial words — is
laid out each time. A layout of the kept lines is made once every few lines, so the cost of an update is that
of a line or two whatever the paragraph's length, and the view repaints only the parts that changed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QPaintDevice, QTextLayout, QTextOption

LEADING = 2
FREEZE_AFTER = 3  # lines a run must have before its complete lines are kept
Formats = Sequence[QTextLayout.FormatRange]


@dataclass
class TextPart:
    layout: QTextLayout
    start: int  # the run of the paragraph's text it shows: start:end (a translation: where it is read)
    end: int
    top: float  # y in the body
    advance: float  # how far down the next part begins
    translation: bool = False  # translated sentences, not the paragraph's words

    @property
    def height(self) -> float:
        return max(0.0, self.advance - LEADING)


@dataclass
class FrozenLines:
    """The complete lines of a paragraph's finals, laid out once (valid while ``key`` and ``generation`` hold)."""

    key: tuple[object, ...]
    generation: int
    parts: list[TextPart] = field(default_factory=list)
    end: int = 0  # the text they show ends here
    advance: float = 0.0


def lay_out(text: str, font: QFont, device: QPaintDevice, option: QTextOption, formats: Formats,
            width: float) -> tuple[QTextLayout, float]:
    """``text`` laid out in lines ``width`` wide; the layout and its advance (its height plus ``LEADING``)."""
    layout = QTextLayout(text, font, device)
    layout.setTextOption(option)
    if formats:
        layout.setFormats(list(formats))
    layout.setCacheEnabled(True)
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
    return layout, y


def sliced(ranges: Formats, start: int, end: int) -> list[QTextLayout.FormatRange]:
    """The parts of ``ranges`` (offsets in the paragraph's text) inside ``start:end``, as offsets from ``start``."""
    out = []
    for fmt in ranges:
        low, high = max(fmt.start, start), min(fmt.start + fmt.length, end)
        if low < high or (low == high == fmt.start and fmt.length == 0):
            piece = QTextLayout.FormatRange()
            piece.start = low - start
            piece.length = high - low
            piece.format = fmt.format
            out.append(piece)
    return out


def freeze(frozen: FrozenLines, tail: TextPart, text: str, final_end: int, font: QFont, device: QPaintDevice,
           option: QTextOption, formats: Formats, width: float) -> None:
    """Keep the complete lines of ``tail`` (the run after ``frozen``) that hold final words only."""
    layout = tail.layout
    count = layout.lineCount()
    if count < FREEZE_AFTER:
        return
    keep = 0
    cut = tail.start
    for i in range(count - 1):  # never the last line: appended words may still join it
        following = tail.start + layout.lineAt(i + 1).textStart()
        if following >= final_end:
            break  # the word that did not fit on line i is a partial one, which may still change
        keep, cut = i + 1, following
    if keep < FREEZE_AFTER - 1:
        return
    chunk, advance = lay_out(text[tail.start:cut], font, device, option, sliced(formats, tail.start, cut), width)
    if chunk.lineCount() != keep:  # wrapped otherwise on its own (it should not): keep nothing
        return
    frozen.parts.append(TextPart(chunk, tail.start, cut, frozen.advance, advance))
    frozen.end = cut
    frozen.advance += advance


def line_count(parts: Sequence[TextPart]) -> int:
    return sum(p.layout.lineCount() for p in parts)


def body_height(parts: Sequence[TextPart], minimum: float) -> int:
    if not parts:
        return math.ceil(minimum)
    last = parts[-1]
    return math.ceil(max(last.top + last.height, minimum))
