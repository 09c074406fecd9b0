"""A level meter: one source's peak level as a bar, in decibels, with a falling peak-hold mark.

``set_level(peak)`` takes a linear peak (0..1) as pulled at display rate; nothing is pushed per audio block.
Green up to -12 dBFS, amber to -3, red above (the theme's ok/warn/error colours).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.qt.theme import Colors

FLOOR_DB = -60.0
HOLD_FALL_DB = 0.6  # per update


def to_db(peak: float) -> float:
    return 20 * math.log10(peak) if peak > 1e-6 else FLOOR_DB


class LevelMeter(QWidget):
    def __init__(self, colors: Callable[[], Colors], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors = colors
        self.setAccessibleName(name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.db = FLOOR_DB
        self.hold = FLOOR_DB
        self.active = False

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(120, 8)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(40, 8)

    def set_level(self, peak: float | None) -> None:
        """``None``: the source is not being listened to (the bar is empty and dimmed)."""
        active = peak is not None
        db = to_db(peak) if peak is not None else FLOOR_DB
        hold = max(db, self.hold - HOLD_FALL_DB)
        if abs(db - self.db) < 0.25 and abs(hold - self.hold) < 0.25 and active == self.active:
            return
        self.db, self.hold, self.active = db, hold, active
        self.setAccessibleDescription(f"{db:.0f} dB" if active else "not listening")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        colors = self._colors()
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QColor(colors.border))
        painter.setBrush(QColor(colors.alt_base))
        painter.drawRoundedRect(rect, 3, 3)
        if self.active:
            fraction = (self.db - FLOOR_DB) / -FLOOR_DB
            color = colors.ok if self.db < -12 else colors.warn if self.db < -3 else colors.error
            painter.setPen(QColor(0, 0, 0, 0))
            painter.setBrush(QColor(color))
            inner = rect.adjusted(1, 1, -1, -1)
            painter.drawRoundedRect(QRectF(inner.x(), inner.y(), inner.width() * max(0.0, fraction),
                                           inner.height()), 2, 2)
            hold = (self.hold - FLOOR_DB) / -FLOOR_DB
            if hold > 0.02:
                painter.setBrush(QColor(colors.text))
                painter.drawRect(QRectF(inner.x() + inner.width() * hold - 1, inner.y(), 2, inner.height()))
        painter.end()
