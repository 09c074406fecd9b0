"""Progress bars in the job table, drawn by the style (so they follow the theme) from ``PROGRESS_ROLE``.

The bar gets a palette of its own from the theme's colours: Fusion draws the groove in the Base colour with an
outline of Window darkened, which on the dark theme's rows is the rows' own colour (a bar at 7 % showed no
extent at all). Here the groove is the button colour inside the border colour, in both themes, and on the
dark theme the filled part is a deeper blue, so that the white text over it stays readable.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem

from studio.qt.batch.table_model import PROGRESS_ROLE
from studio.qt.theme import Colors

# Fusion outlines the groove in the palette's Window colour darkened by this factor (QFusionStylePrivate::outline).
_FUSION_OUTLINE = 140


def bar_palette(base: QPalette, colors: Colors) -> QPalette:
    """``base`` with the roles a progress bar is drawn from set for ``colors``."""
    palette = QPalette(base)
    dark = QColor(colors.window).lightness() < 128
    role = QPalette.ColorRole
    palette.setColor(role.Base, QColor(colors.button))
    palette.setColor(role.Window, QColor(colors.border).lighter(_FUSION_OUTLINE))
    fill = QColor(colors.accent)
    palette.setColor(role.Highlight, fill.darker(135) if dark else fill)
    palette.setColor(role.HighlightedText, QColor(colors.accent_text))
    palette.setColor(role.Text, QColor(colors.text))
    palette.setColor(role.WindowText, QColor(colors.text))
    return palette


class ProgressDelegate(QStyledItemDelegate):
    def __init__(self, colors: Callable[[], Colors], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._colors = colors
        self._palette: tuple[Colors, int, QPalette] | None = None  # made once per theme, not per cell

    def _bar_palette(self, base: QPalette) -> QPalette:
        colors = self._colors()
        if self._palette is None or self._palette[0] != colors or self._palette[1] != base.cacheKey():
            self._palette = (colors, base.cacheKey(), bar_palette(base, colors))
        return self._palette[2]

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(PROGRESS_ROLE)
        if not isinstance(value, tuple) or value[0] is None:
            super().paint(painter, option, index)
            return
        fraction, text = value
        # The row's background (selection, alternating colour) first, without its text.
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 4, -4, -4)
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = round(max(0.0, min(1.0, float(fraction))) * 1000)
        bar.text = str(text)
        bar.textVisible = bool(text)
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = option.state
        bar.palette = self._bar_palette(option.palette)
        bar.fontMetrics = option.fontMetrics
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
