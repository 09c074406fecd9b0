"""The baseline for the start-up figure: a bare PySide6 window, shown, and closed once it is exposed.

It reports the moment the way the studio does (``studio.app._ExposeWatcher``): the Expose event of its native
window schedules the report for the next turn of the event loop, after Qt has painted the window's first
frame. (Printing from inside the event filter would stop the clock before that first paint, which the
studio's figure includes.)"""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class Watcher(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__()
        self.window = window
        self.fired = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Expose and not self.fired:
            self.fired = True
            QTimer.singleShot(0, self.report)
        return False

    def report(self) -> None:
        print("smoke: main window exposed", flush=True)
        self.window.close()


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1100, 720)
    watcher = Watcher(window)
    window.show()
    handle = window.windowHandle()
    assert handle is not None
    handle.installEventFilter(watcher)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
