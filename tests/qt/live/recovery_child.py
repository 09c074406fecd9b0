"""The studio the recovery tests kill: the real app (offscreen) with a live session running in its Live page from a
file-backed source, recorded into the sessions folder of STUDIO_HOME, against the test's local server (reached
as Speechmatics through SPEECHMATICS_API_KEY / SPEECHMATICS_RT_URL).

It prints ``started <session id>`` once the session runs and is being recorded, then runs until it is killed
(or ``quit`` arrives on standard input: it stops the session and closes). The session starts only once the
studio has settled which engine it talks to: until the API key lookup (on the bridge) has answered, the
studio would choose its built-in engine — Whisper loading in this process, not the test's server.
What it does goes to standard error (the test keeps it in ``child.log``).

    python -m tests.qt.live.recovery_child <recording.wav> <speed>
"""

from __future__ import annotations

import os
import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.qt.live.page import LivePage
from studio.services.engine import EngineKind, KeySource
from studio.services.live import SessionState
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore


def main(recording: str, speed: float) -> int:
    app = QApplication(sys.argv[:1])
    studio = Studio(app, dict(os.environ), default_paths(), secrets=MemorySecretStore())
    studio.window.show()
    studio.start()
    page = studio.window.show_workspace("live")
    assert isinstance(page, LivePage)
    clock = ScaledClock(speed)
    page.controller.clock = clock
    page.controller.source_factory = lambda _channel, _id: FileSource(recording, clock=clock,
                                                                      label="Test microphone")
    commands: list[str] = []
    threading.Thread(target=lambda: commands.extend(line.strip() for line in sys.stdin), daemon=True).start()
    state = {"started": False, "said": False, "quitting": False}

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def step() -> None:
        if not state["started"]:
            if studio.state.key.source is KeySource.UNKNOWN:
                return  # the key lookup has not answered yet: the engine is not decided
            engine = studio.state.engine
            if engine.kind is not EngineKind.SPEECHMATICS or not engine.ready:
                say(f"not the test's server: {engine}")
                app.exit(3)
                return
            state["started"] = True
            say(f"starting a session on {engine.label}")
            page.start()
        session = page.controller.session
        recorder = page.controller.recording.recorder
        if not state["said"] and session is not None and session.state is SessionState.RUNNING \
                and recorder is not None and recorder.state == "recording":
            state["said"] = True
            say(f"recording {recorder.session_id}")
            print(f"started {recorder.session_id}", flush=True)
        if "quit" in commands and not state["quitting"]:
            state["quitting"] = True
            page.controller.stop()
        if state["started"] and not state["said"] and not page.controller.active:
            say(f"the session ended before it was recorded: {page.banner.message!r}")
            app.exit(4)
        if state["quitting"] and not page.controller.active:
            studio.window.close()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(50)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], float(sys.argv[2])))
