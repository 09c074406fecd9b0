"""The studio on a real X screen, on the built-in engine (eSpeak NG voices), in the middle of an A/B comparison,
for the screenshot test: a short preview heard first (so the history has something), then a sample text in
two voices, stopped for the photograph half-way through the first while the second is already drawn.

Run by tests/qt/voices/test_screenshot.py with DISPLAY set and ``SCREENSHOT_THEME`` light or dark. Prints
``playing`` when the page is mid-playback; on ``quit`` (or the end of standard input) it closes.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.audio.playback import PlayState
from studio.qt.voices.page import VoicesPage
from studio.qt.voices.text_panel import SAMPLES
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore

TEXT = dict(SAMPLES)["A paragraph"]


def main() -> int:
    theme = os.environ.get("SCREENSHOT_THEME", "light")
    paths = default_paths()
    paths.ensure()
    settings = {"version": 1, "engine": "local", "theme": theme,
                "voices": {"voice": "sarah", "compare_voices": ["sarah", "jack"]}}
    paths.settings_file.write_text(json.dumps(settings))
    app = QApplication(sys.argv[:1])
    studio = Studio(app, {}, paths, secrets=MemorySecretStore())
    studio.window.resize(1240, 800)
    studio.window.show()
    studio.start()
    page = studio.window.show_workspace("voices")
    assert isinstance(page, VoicesPage)
    player = page.controller.player
    steps: list[str] = []

    def poll() -> None:
        c = page.controller
        if not steps and page.voices.model.rowCount() > 50:  # the built-in voices are listed
            steps.append("first")
            page.voices.choose("theo")
            page.text.set_text("Hello! This is Theo, on the built-in engine.")
            page.play()
        elif steps == ["first"] and player.state is PlayState.FINISHED and not c.busy:
            steps.append("compare")
            page.voices.choose("sarah")
            page.text.set_text(TEXT)
            page.compare_voices()
        elif steps == ["first", "compare"] and c.comparison is not None:
            a, b = c.comparison.clips
            if b.pcm.complete and c.comparison.current == 0 and player.position > 0.45 * a.duration:
                steps.append("shot")
                page.text.edit.setFocus()
                print("playing", flush=True)  # the test photographs the screen now
                return
        QTimer.singleShot(20, poll)

    QTimer.singleShot(200, poll)

    def command() -> None:
        line = sys.stdin.readline().strip()
        if line in ("quit", ""):
            studio.window.close()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
