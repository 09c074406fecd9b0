"""The Live page's settings, written a moment after they change: a slider dragged or a spin box held writes the
settings file once, not on every step.

    writer = LiveSettingsWriter(state, parent)
    writer.change(overlay_lines=3)   # merged with other changes; saved 400 ms after the last one
    writer.flush()                   # now (the window is closing)
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from studio.services.app_state import AppState

DELAY_MS = 400


class LiveSettingsWriter(QObject):
    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state
        self._pending: dict[str, object] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.flush)

    def change(self, **fields: object) -> None:
        self._pending.update(fields)
        self._timer.start()

    def flush(self) -> None:
        self._timer.stop()
        pending, self._pending = self._pending, {}
        if pending:
            settings = self._state.settings
            self._state.save_settings(settings.replace(live=settings.live.replace(**pending)))
