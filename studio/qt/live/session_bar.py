"""The Live page's session controls: Start/Stop, Bookmark, Overlay and Export, with the session's status under them.

    bar = SessionBar(colors)
    bar.start_button.clicked.connect(...)      # and bookmark_button, overlay_button, export_button
    bar.show_state(state)                      # the buttons' texts, styles and enabled states for a SessionState
    bar.restyle(active)                        # the theme changed

The page connects the buttons to its actions; the bar only shows what the session's state allows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from studio.qt.live.status import SessionStatus
from studio.qt.theme import Colors
from studio.services.live import SessionState

_START_TEXT = {SessionState.CONNECTING: "Stop", SessionState.RUNNING: "Stop", SessionState.RECONNECTING: "Stop",
               SessionState.STOPPING: "Stopping…"}


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    return button


class SessionBar(QWidget):
    def __init__(self, colors: Callable[[], Colors], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors = colors
        self.start_button = _button("Start", "Start captioning", "Start or stop captioning (Ctrl+R)")
        self.start_button.setObjectName("StartButton")
        self.start_button.setMinimumWidth(110)
        self.bookmark_button = _button("Bookmark", "Bookmark this moment", "Mark this moment of the session (Ctrl+B)")
        self.overlay_button = _button("Overlay", "Show or hide the caption overlay",
                                      "Captions in an always-on-top window (Ctrl+Shift+C)")
        self.overlay_button.setCheckable(True)
        self.export_button = _button("Export…", "Export the transcript", "TXT, SRT, VTT, JSON or DOCX (Ctrl+E)")
        self.session_status = SessionStatus(colors)  # the state and clock; reconnecting, recording

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.start_button, self.bookmark_button, self.overlay_button, self.export_button):
            buttons.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(buttons)
        column.addWidget(self.session_status)
        column.addStretch(1)
        self.restyle(False)

    def show_state(self, state: SessionState) -> None:
        self.restyle(state.active)
        self.start_button.setText(_START_TEXT.get(state, "Start"))
        self.start_button.setAccessibleName("Stop captioning" if state.active else "Start captioning")
        self.start_button.setEnabled(state is not SessionState.STOPPING)
        self.bookmark_button.setEnabled(state in (SessionState.RUNNING, SessionState.CONNECTING))

    def restyle(self, active: bool) -> None:
        """Start is the accent colour, Stop the error colour."""
        c = self._colors()
        color = c.error if active else c.accent
        self.start_button.setStyleSheet(
            f"#StartButton {{ background: {color}; color: {c.accent_text}; font-weight: 600; border: none; "
            f"border-radius: 6px; padding: 6px 18px; }} #StartButton:disabled {{ background: {c.border}; }}")
