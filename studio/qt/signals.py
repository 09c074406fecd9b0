"""Lets Ctrl+C and SIGTERM close the window cleanly while Qt's event loop (not Python) is running."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier


class _Channel:
    """A non-blocking byte channel for ``signal.set_wakeup_fd``: a pipe on POSIX; on Windows, where the
    wake-up descriptor must be a socket, a socket pair (imported only there: start-up elsewhere skips it)."""

    def __init__(self, sockets: bool = os.name == "nt") -> None:
        self._sockets: tuple[Any, Any] | None = None
        if sockets:
            import socket

            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._sockets = (reader, writer)
            self.reader, self.writer = reader.fileno(), writer.fileno()
        else:
            self.reader, self.writer = os.pipe()
            os.set_blocking(self.reader, False)
            os.set_blocking(self.writer, False)

    def drain(self) -> None:
        if self._sockets is not None:
            self._sockets[0].recv(64)
        else:
            os.read(self.reader, 64)

    def close(self) -> None:
        if self._sockets is not None:
            for sock in self._sockets:
                sock.close()
        else:
            os.close(self.reader)
            os.close(self.writer)


class SignalWakeup(QObject):
    """Python notes the signal in a pipe (a socket on Windows); Qt sees it become readable and calls
    ``on_signal``."""

    def __init__(self, on_signal: Callable[[], object], parent: QObject | None = None, *,
                 sockets: bool = os.name == "nt") -> None:
        super().__init__(parent)
        self._channel = _Channel(sockets)
        self._previous_fd = signal.set_wakeup_fd(self._channel.writer)
        self._previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
        self._on_signal = on_signal
        self._notifier = QSocketNotifier(self._channel.reader, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._activated)

    def _activated(self) -> None:
        try:
            self._channel.drain()
        except OSError:
            return
        self._on_signal()

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._channel.close()


def has_display() -> bool:
    """Whether Qt can open a window here (a display server, or a platform chosen explicitly)."""
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
