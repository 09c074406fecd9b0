"""How a recorded session is drawn in the list: its title (or date) and length on the first line, when, what
it listened to and on which engine on the second, its first words on the third; a coloured word when it is
being recorded, was recovered or was interrupted. Colours come from the theme, so both themes read well.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from studio.qt.live.library.model import SUMMARY_ROLE, session_date, session_title, state_text
from studio.qt.media.clock import clock_text
from studio.qt.theme import Colors
from studio.storage.sessions_library import SessionSummary

PAD_X = 12
PAD_Y = 8
GAP = 3


class SessionDelegate(QStyledItemDelegate):
    def __init__(self, colors: Callable[[], Colors], own_live: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors = colors
        self._own_live = own_live

    def _fonts(self, base: QFont) -> tuple[QFont, QFont, QFont]:
        title = QFont(base)
        title.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() * 0.9))
        return title, small, QFont(base)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        title, small, body = self._fonts(option.font)
        height = (QFontMetrics(title).height() + QFontMetrics(small).height() + QFontMetrics(body).height()
                  + 2 * GAP + 2 * PAD_Y)
        return QSize(280, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        summary = index.data(SUMMARY_ROLE)
        if not isinstance(summary, SessionSummary):
            return
        c = self._colors()
        rect: QRect = option.rect
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            painter.fillRect(rect, QColor(c.accent))
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor(c.alt_base))
        painter.setPen(QPen(QColor(c.border)))
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        text = QColor(c.accent_text if selected else c.text)
        muted = QColor(c.accent_text if selected else c.muted)
        title_font, small_font, body_font = self._fonts(option.font)
        left, right = rect.left() + PAD_X, rect.right() - PAD_X
        top = rect.top() + PAD_Y

        # Line 1: the title, a word on its state, the length.
        title_metrics = QFontMetrics(title_font)
        painter.setFont(small_font)
        length = clock_text(summary.duration)
        length_width = QFontMetrics(small_font).horizontalAdvance(length)
        painter.setPen(muted)
        line1 = QRect(left, top, right - left, title_metrics.height())
        painter.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, length)
        word = state_text(summary, self._own_live())
        word_width = 0
        small_metrics = QFontMetrics(small_font)
        if word:
            word = "● " + word if summary.live else word
            word_width = small_metrics.horizontalAdvance(word) + 14
        painter.setFont(title_font)
        painter.setPen(text)
        room = max(40, right - left - length_width - word_width - 12)
        title = title_metrics.elidedText(session_title(summary), Qt.TextElideMode.ElideRight, room)
        painter.drawText(QRect(left, top, room, title_metrics.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        if word:
            x = left + title_metrics.horizontalAdvance(title) + 8
            colour = QColor(c.error if summary.live else c.warn)
            pill = QRect(x, top + (title_metrics.height() - small_metrics.height()) // 2 - 1, word_width - 4,
                         small_metrics.height() + 2)
            painter.setFont(small_font)
            if selected:
                painter.setPen(QPen(QColor(c.accent_text)))
            else:
                painter.setPen(QPen(colour))
            painter.drawRoundedRect(pill, 4, 4)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, word)
        top += title_metrics.height() + GAP

        # Line 2: when, what it listened to, the engine.
        painter.setFont(small_font)
        painter.setPen(muted)
        when = session_date(summary) if summary.title else ""  # an untitled session's title is its date
        details = "  ·  ".join(part for part in (when, ", ".join(summary.sources), summary.engine) if part)
        painter.drawText(QRect(left, top, right - left, small_metrics.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         small_metrics.elidedText(details, Qt.TextElideMode.ElideRight, right - left))
        top += small_metrics.height() + GAP

        # Line 3: the first words.
        body_metrics = QFontMetrics(body_font)
        painter.setFont(body_font)
        words = summary.first_words
        if not words:
            italic = QFont(body_font)
            italic.setItalic(True)
            painter.setFont(italic)
            painter.setPen(muted)
            words = "No words yet" if summary.live else "No words were transcribed"
        else:
            painter.setPen(text)
        painter.drawText(QRect(left, top, right - left, body_metrics.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         body_metrics.elidedText(words, Qt.TextElideMode.ElideRight, right - left))
        painter.restore()
