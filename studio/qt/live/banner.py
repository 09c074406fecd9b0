"""A problem, said where the user is looking: plain words, what to do, and a button that does it.

``show_problem(text, severity, action)`` shows one (a newer problem replaces the older one; errors stay until
dismissed or the next start, warnings and notes too, but are quieter). ``action_requested(action)`` is
emitted when its button is pressed: ``settings``, ``retry`` or ``sources`` (``studio.services.live.Action``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QWidget

from studio.qt.theme import Colors
from studio.qt.widgets.labels import make_label

ACTION_LABELS = {"settings": "Open Settings", "retry": "Try again", "sources": "Choose a source"}


class ProblemBanner(QFrame):
    action_requested = Signal(str)

    def __init__(self, colors: Callable[[], Colors], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProblemBanner")
        self.setAccessibleName("Problem")
        self._colors = colors
        self.severity = "info"
        self.action = "none"
        self.text = make_label("", "", wrap=True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setAccessibleName("Problem description")
        self.button = QPushButton()
        self.button.clicked.connect(lambda: self.action_requested.emit(self.action))
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setAccessibleName("Dismiss the message")
        self.dismiss.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.dismiss)
        self.hide()

    def show_problem(self, text: str, severity: str = "error", action: str = "none") -> None:
        self.severity = severity
        self.action = action
        self.text.setText(text)
        self.setAccessibleDescription(text)
        label = ACTION_LABELS.get(action)
        self.button.setVisible(label is not None)
        if label:
            self.button.setText(label)
            self.button.setAccessibleName(label)
        self.restyle()
        self.show()

    def clear(self) -> None:
        self.text.setText("")
        self.action = "none"
        self.hide()

    @property
    def message(self) -> str:
        return self.text.text() if self.isVisible() else ""

    def restyle(self) -> None:
        c = self._colors()
        accent = {"error": c.error, "warning": c.warn}.get(self.severity, c.accent)
        self.setStyleSheet(f"#ProblemBanner {{ background: {c.alt_base}; border: 1px solid {c.border}; "
                           f"border-left: 4px solid {accent}; border-radius: 6px; }}")
