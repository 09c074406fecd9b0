"""Under the Start button: the session's state and clock, then how the connection and the recording are doing.

``SessionStatus.tick(session, state)`` (twice a second while a session runs, and on every state change)
shows "● Live 0:12:04", "Reconnecting…", "Stopped 0:41:10" and "waiting for the microphone" until a device
delivers; ``notice(event)`` takes ``Reconnecting`` / ``Reconnected`` / ``RecordingChanged``: "Reconnecting…
(attempt 2, in 1 s; 7 s of audio waiting)", "Reconnected after 5 s — catching up." (for a few seconds), then
the recording's state — "● Recording — nothing is lost if the studio stops", and once the session has
stopped "Saved with its audio in the sessions folder" with an **Open in library** button
(``library_requested(session_id)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from studio.qt.theme import Colors
from studio.qt.widgets.labels import make_label, set_role
from studio.services.live import LiveSession, Reconnected, Reconnecting, RecordingChanged, SessionState

WHAT = {"Me": "microphone", "Them": "system audio"}
STATE_TEXT = {SessionState.IDLE: "", SessionState.CONNECTING: "Starting…", SessionState.RUNNING: "● Live",
              SessionState.RECONNECTING: "Reconnecting…", SessionState.STOPPING: "Finishing the last words…",
              SessionState.STOPPED: "Stopped", SessionState.FAILED: "Stopped by a problem"}
RECORDING_TEXT = {"recording": "● Recording — nothing is lost if the studio stops",
                  "stopped": "Saved with its audio in the sessions folder", "failed": "Recording stopped",
                  "off": "Not recorded"}
RECONNECTED_SECONDS = 8.0  # how long "Reconnected — catching up" stays before the recording's state returns


class SessionStatus(QWidget):
    #: "Open in library" for the session that has just been saved (its id).
    library_requested = Signal(str)

    def __init__(self, colors: Callable[[], Colors], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors = colors
        self.status = make_label("", "SectionHint")
        self.status.setAccessibleName("Session status")
        self.detail = make_label("", "SectionHint", wrap=True)
        self.detail.setAccessibleName("Connection and recording")
        self.detail.setMaximumWidth(380)
        self.library_button = QPushButton("Open in library")
        self.library_button.setObjectName("LinkButton")
        self.library_button.setFlat(True)
        self.library_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.library_button.setAccessibleName("Open the saved session in the sessions library")
        self.library_button.setToolTip("Read, play and export the session in Recorded sessions (Ctrl+L)")
        self.library_button.clicked.connect(self._open_library)
        self.library_button.hide()
        detail_row = QHBoxLayout()
        detail_row.setContentsMargins(0, 0, 0, 0)
        detail_row.addWidget(self.detail, 1)
        detail_row.addWidget(self.library_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.status)
        layout.addLayout(detail_row)
        self.recording: RecordingChanged | None = None
        self._detail_until = 0.0
        self.restyle()

    def restyle(self) -> None:
        c = self._colors()
        self.library_button.setStyleSheet(
            f"#LinkButton {{ color: {c.accent}; border: none; padding: 0 2px; font-weight: 600; }} "
            f"#LinkButton:hover {{ text-decoration: underline; }} "
            f"#LinkButton:focus {{ border: 1px solid {c.accent}; border-radius: 3px; }}")

    def tick(self, session: LiveSession | None, state: SessionState) -> None:
        text = STATE_TEXT.get(state, "")
        if session is not None and state in (SessionState.RUNNING, SessionState.STOPPING, SessionState.STOPPED,
                                             SessionState.FAILED):
            seconds = int(session.audio_time())
            text += f"  {seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if session is not None and state is SessionState.RUNNING:
            waiting = [WHAT[label] for label in session.channels if not session.delivering(label)]
            if waiting:
                text += f" — waiting for the {' and '.join(waiting)}"
        self.status.setText(text)
        set_role(self.status, "OkText" if state is SessionState.RUNNING else "SectionHint")
        if self._detail_until and (time.monotonic() > self._detail_until or not state.active):
            self._detail_until = 0.0
            self.show_recording()

    def notice(self, event: object) -> None:
        """How the connection and the recording are doing."""
        if isinstance(event, Reconnecting):
            self.detail.setText(f"Reconnecting… (attempt {event.attempt}, in {event.retry_in:.0f} s; "
                                f"{event.buffered_seconds:.0f} s of audio waiting)")
            self.detail.setToolTip(event.reason)
            self.library_button.hide()
            self._detail_until = 0.0
        elif isinstance(event, Reconnected):
            self.detail.setText(f"Reconnected after {event.offline_seconds:.0f} s — catching up.")
            self.detail.setToolTip("")
            self._detail_until = time.monotonic() + RECONNECTED_SECONDS
        elif isinstance(event, RecordingChanged):
            self.recording = event
            if event.state != "recording":
                self._detail_until = 0.0  # saved, or stopped early: that matters more than "Reconnected"
            if not self._detail_until:
                self.show_recording()

    def show_recording(self) -> None:
        event = self.recording
        if event is None:
            self.detail.setText("")
            self.library_button.hide()
            return
        self.detail.setText(RECORDING_TEXT.get(event.state, ""))
        self.detail.setToolTip(event.text or event.folder)
        self.library_button.setVisible(event.state in ("stopped", "failed") and bool(event.session_id))

    def new_session(self) -> None:
        """A new session starts: what was said of the last one goes."""
        self.recording = None
        self._detail_until = 0.0
        self.show_recording()

    def _open_library(self) -> None:
        if self.recording is not None and self.recording.session_id:
            self.library_requested.emit(self.recording.session_id)
