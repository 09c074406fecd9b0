"""A centred placeholder that says what a workspace is for while it has nothing to show.

Its labels are centred by the theme's style sheet (their object names), not in code.
"""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from studio.qt.widgets.labels import make_label


class EmptyState(QWidget):
    def __init__(self, icon: QIcon, title: str, body: str, note: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_label = make_label("", "EmptyIcon")
        self.icon_label.setPixmap(icon.pixmap(72, 72))
        self.title_label = make_label(title, "EmptyTitle")
        self.body_label = make_label(body, "EmptyBody")
        self.note_label = make_label(note, "EmptyNote")
        if not note:
            self.note_label.hide()

        # The labels fill a column of bounded width, so wrapped text gets the height it needs.
        column = QWidget()
        column.setMaximumWidth(600)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(12)
        inner.addStretch(2)
        for label in (self.icon_label, self.title_label, self.body_label, self.note_label):
            label.setWordWrap(True)
            inner.addWidget(label)
        inner.addStretch(3)

        outer = QHBoxLayout(self)
        outer.setContentsMargins(48, 48, 48, 48)
        outer.addStretch(1)
        outer.addWidget(column, 4)
        outer.addStretch(1)
        self.setAccessibleName(title)
        self.setAccessibleDescription(body)

    def set_icon(self, icon: QIcon) -> None:
        self.icon_label.setPixmap(icon.pixmap(72, 72))

    def set_note(self, note: str) -> None:
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
