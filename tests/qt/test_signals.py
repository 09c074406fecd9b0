from __future__ import annotations

import os
import signal

import pytest
from pytestqt.qtbot import QtBot

from studio.qt.signals import SignalWakeup


@pytest.mark.parametrize("sockets", [False, True], ids=["pipe (POSIX)", "socket pair (Windows)"])
def test_sigterm_reaches_the_qt_event_loop(qtbot: QtBot, sockets: bool) -> None:
    heard: list[str] = []
    before = signal.getsignal(signal.SIGTERM)
    wakeup = SignalWakeup(lambda: heard.append("signal"), sockets=sockets)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: heard == ["signal"], timeout=3000)
    finally:
        wakeup.close()
    assert signal.getsignal(signal.SIGTERM) is before  # the handler it replaced is back
    assert signal.set_wakeup_fd(-1) == -1  # the previous wake-up descriptor (none) was put back
