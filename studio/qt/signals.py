"""Lets Ctrl+C and SIGTERM close the window cleanly while Qt's event loop (not Python) is running."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier


class SignalWakeup(QObject):
    """Python notes the signal in a socket; Qt sees the socket become readable and calls ``on_signal``."""

    def __init__(self, on_signal: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = os.pipe()
        os.set_blocking(self._reader, False)
        os.set_blocking(self._writer, False)
        self._previous_fd = signal.set_wakeup_fd(self._writer)
        self._previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
        self._on_signal = on_signal
        self._notifier = QSocketNotifier(self._reader, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._activated)

    def _activated(self) -> None:
        try:
            os.read(self._reader, 64)
        except OSError:
            return
        self._on_signal()

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        os.close(self._reader)
        os.close(self._writer)


def has_display() -> bool:
    """Whether Qt can open a window here (a display server, or a platform chosen explicitly)."""
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
