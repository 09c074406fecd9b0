"""Builds the studio as `studio` does, starts work that never ends, and closes the window while it runs.

Prints when it closes the window, whether the work was cancelled, and which threads and timers are
left when the event loop has returned. tests/test_shutdown.py runs it as a separate process.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore


def main() -> int:
    app = QApplication(sys.argv[:1])
    studio = Studio(app, dict(os.environ), default_paths(), secrets=MemorySecretStore())
    outcome: list[str] = []

    def close_window() -> None:
        print(f"closing {time.time():.6f}", flush=True)
        studio.window.close()

    close_soon = studio.bridge.to_gui(close_window)

    async def long_meeting() -> None:
        close_soon()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    studio.start()
    studio.bridge.submit(long_meeting())
    studio.window.show()
    code = app.exec()
    timers = [t for w in QApplication.allWidgets() for t in w.findChildren(QTimer) if t.isActive()]
    timers += [t for t in app.findChildren(QTimer) if t.isActive()]
    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    print(f"work {outcome[0] if outcome else 'not cancelled'}", flush=True)
    print(f"threads {others}", flush=True)
    print(f"timers {len(timers)}", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
