"""The status bar's permanent part: the active engine and the API key, both opening Settings when clicked."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStatusBar, QToolButton, QWidget

from studio.qt.theme import Colors
from studio.services.app_state import AppState


class EngineIndicator(QWidget):
    """Two flat buttons in the status bar; re-rendered whenever the app state changes, once ``activate`` has
    been called (when the window is on screen: the engine's modules are not needed for the first frame)."""

    settings_requested = Signal()

    def __init__(self, state: AppState, colors: Callable[[], Colors], status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self._state = state
        self._colors = colors
        self.engine_button = QToolButton(status_bar)
        self.key_button = QToolButton(status_bar)
        for button in (self.engine_button, self.key_button):
            button.setAutoRaise(True)
            button.clicked.connect(self.settings_requested)
            status_bar.addPermanentWidget(button)
        self._active = False
        self._unsubscribe = state.changed.subscribe(lambda _state: self.refresh())
        self.destroyed.connect(lambda *_: self._unsubscribe())

    def activate(self) -> None:
        self._active = True
        self.refresh()

    def refresh(self) -> None:
        if not self._active:
            return
        from studio.services.engine import EngineKind

        engine = self._state.engine
        colors = self._colors()
        dot = colors.ok if engine.ready else colors.warn
        if engine.kind is EngineKind.LOCAL:
            text = engine.label if engine.ready else f"{engine.label}: {engine.detail}"
        else:
            text = engine.label if engine.ready else f"{engine.label} — {engine.detail}"
        self.engine_button.setText(f"● {text}")
        self.engine_button.setStyleSheet(f"QToolButton {{ color: {dot}; }}")
        self.engine_button.setToolTip(self._engine_tooltip())
        self.engine_button.setAccessibleName(f"Engine: {text}")

        key = self._state.key
        self.key_button.setText(key.describe())
        self.key_button.setToolTip(key.problem or "Set, replace or remove the API key in Settings")
        self.key_button.setAccessibleName(key.describe())

    def _engine_tooltip(self) -> str:
        from studio.services.engine import EngineKind

        engine = self._state.engine
        if engine.kind is EngineKind.LOCAL:
            local = self._state.local
            model = f"\nModel: {local.model}, in {local.location}" if local.location else ""
            if engine.endpoints is None:
                return ("The built-in engine runs on this computer, with no API key and no network; it starts "
                        f"when first used.{model}")
            return (f"The built-in engine runs on this computer, with no API key and no network, at "
                    f"{engine.endpoints.tts}.{model}")
        assert engine.endpoints is not None
        return (f"Realtime: {engine.endpoints.realtime}\nBatch: {engine.endpoints.batch}\n"
                f"Text to speech: {engine.endpoints.tts}")
