"""Speaker colours, and the fonts and colours the transcript is drawn with (from the palette and the theme).

``speaker_color(index, colors)`` is one of eight colours, each with a contrast of at least 4.5:1 (WCAG AA
for text) on both the base and the alternate base colour of the theme ``colors`` belongs to: darker shades
on the light theme, lighter ones on the dark theme. The index is ``Speaker.colour`` (order of appearance).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette

from studio.qt.theme import Colors

# Blue, orange, green, purple, rose, teal, brown (yellow on dark), magenta.
LIGHT_SPEAKERS = ("#1d4ed8", "#c2410c", "#157636", "#7e22ce", "#be123c", "#0e7069", "#8a5a2b", "#a21caf")
DARK_SPEAKERS = ("#60a5fa", "#fb923c", "#4ade80", "#c084fc", "#fb7185", "#2dd4bf", "#facc15", "#e879f9")


def is_dark(colors: Colors) -> bool:
    return QColor(colors.base).lightness() < 128


def speaker_color(index: int, colors: Colors) -> QColor:
    """The colour of speaker ``index`` (``Speaker.colour``; wraps around after eight) on the theme ``colors``."""
    table = DARK_SPEAKERS if is_dark(colors) else LIGHT_SPEAKERS
    return QColor(table[index % len(table)])


def clock(seconds: float, hours: bool = False) -> str:
    """``12:05`` or, with ``hours`` (long recordings), ``1:12:05``."""
    whole = max(0, int(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours or h else f"{m:02d}:{s:02d}"


def _alpha(color: str | QColor, alpha: int) -> QColor:
    out = QColor(color)
    out.setAlpha(alpha)
    return out


@dataclass
class Style:
    colors: Colors
    body: QFont
    name: QFont
    small: QFont
    text: QColor
    base: QColor
    muted: QColor
    accent: QColor
    warn: QColor
    selection: QColor
    selection_text: QColor
    match: QColor
    current_match: QColor
    current_match_text: QColor
    playback: QColor
    focus: QColor

    @classmethod
    def build(cls, font: QFont, palette: QPalette, colors: Colors, zoom: float = 1.0) -> Style:
        font = QFont(font)
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * zoom)
        else:
            font.setPixelSize(max(6, round(font.pixelSize() * zoom)))
        body = QFont(font)
        name = QFont(font)
        name.setBold(True)
        small = QFont(font)
        if small.pointSizeF() > 0:
            small.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
        else:
            small.setPixelSize(max(9, round(font.pixelSize() * 0.88)))
        role = QPalette.ColorRole
        return cls(colors=colors, body=body, name=name, small=small, text=palette.color(role.Text),
                   base=palette.color(role.Base), muted=QColor(colors.muted), accent=QColor(colors.accent),
                   warn=QColor(colors.warn), selection=palette.color(role.Highlight),
                   selection_text=palette.color(role.HighlightedText), match=_alpha(colors.warn, 90),
                   current_match=QColor(colors.accent), current_match_text=QColor(colors.accent_text),
                   playback=_alpha(colors.accent, 70),
                   focus=_alpha(colors.accent, 160))

    def speaker(self, index: int) -> QColor:
        return speaker_color(index, self.colors)
