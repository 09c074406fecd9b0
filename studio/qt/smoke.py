"""``studio --smoke``: the whole studio, checked end to end from the window, then closed.

Once the main window is exposed, ``SmokeCheck.run`` finishes start-up as the studio always does, builds every
workspace page (so an installation that lacks a page's modules or libraries fails here), starts the built-in
engine, speaks a sentence in one of its voices and transcribes it (``studio.services.smoke``), prints what it
heard and closes the window. ``failed`` holds the reason if any step failed; the process then exits 1. Each
step is one ``smoke: …`` line on standard output; a failure is one ``smoke: FAILED …`` line on standard error.

``studio --smoke-window`` (the start-up benchmark's) stops at the first line: the window is on screen.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer

from studio.qt.workspaces import WORKSPACES

if TYPE_CHECKING:
    from studio.api.endpoints import Endpoints
    from studio.qt.bridge import AsyncBridge, TaskHandle
    from studio.qt.main_window import MainWindow
    from studio.services.app_state import AppState
    from studio.services.smoke import SmokeReport

EXPOSED = "smoke: main window exposed"
TIMEOUT_MS = 300_000  # model load and a short sentence take seconds; a loaded CI machine may take longer


class SmokeHost(Protocol):
    """What the check needs of ``studio.app.Studio``."""

    window: MainWindow
    state: AppState

    @property
    def bridge(self) -> AsyncBridge: ...

    def start(self) -> None: ...

    def use_builtin_engine(self, on_ready: Callable[[Endpoints], None] | None = None,
                           on_error: Callable[[BaseException], None] | None = None) -> TaskHandle[Endpoints]: ...


def say(line: str) -> None:
    print(line, flush=True)


class SmokeCheck(QObject):
    def __init__(self, studio: SmokeHost) -> None:
        super().__init__(studio.window)
        self._studio = studio
        self.failed = ""
        self.finished = False
        self._folder = tempfile.TemporaryDirectory(prefix="studio-smoke-")
        self._previous_hook: Callable[[type[BaseException], BaseException, TracebackType | None], object] | None = None

    def run(self) -> None:
        """Called once the window is exposed."""
        say(EXPOSED)
        # An exception in a slot (a page's deferred part, a callback) is printed by PySide6 through
        # sys.excepthook and the app goes on; here it fails the check.
        self._previous_hook = sys.excepthook
        sys.excepthook = self._unhandled
        QTimer.singleShot(TIMEOUT_MS, lambda: self._fail(f"not finished after {TIMEOUT_MS // 1000} s"))
        self._studio.start()
        self._show_workspace(0)

    def _show_workspace(self, index: int) -> None:
        """Shows each workspace in turn, letting the event loop run in between so that what a page does
        once it is on screen (Live's waveform, for one) runs too; then checks the engine."""
        if self.finished:
            return
        if index == len(WORKSPACES):
            self._studio.window.show_workspace(WORKSPACES[0].key)
            QTimer.singleShot(0, self._check_engine)
            return
        spec = WORKSPACES[index]
        try:
            page = self._studio.window.show_workspace(spec.key)
        except Exception as exc:  # any import or construction error is what this check is for
            self._fail(f"the {spec.title} workspace could not be built: {type(exc).__name__}: {exc}")
            return
        say(f"smoke: {spec.title} workspace built ({type(page).__name__})")
        QTimer.singleShot(0, lambda: self._show_workspace(index + 1))

    def _check_engine(self) -> None:
        if self.finished:
            return
        studio = self._studio
        local = studio.state.local
        if not local.installed:
            say(f"smoke: the built-in engine is not in this installation ({local.reason}); engine check skipped")
            self._finish()
            return
        say(f"smoke: starting the built-in engine ({local.model}, in {local.location})")
        studio.use_builtin_engine(on_ready=self._engine_ready, on_error=self._engine_failed)

    def _engine_ready(self, endpoints: Endpoints) -> None:
        from studio.services.connections import Connection
        from studio.services.smoke import speak_and_transcribe

        say(f"smoke: built-in engine listening at {endpoints.batch}")
        self._studio.bridge.submit(speak_and_transcribe(Connection(endpoints), Path(self._folder.name)),
                                   on_result=self._checked, on_error=self._engine_failed)

    def _engine_failed(self, error: BaseException) -> None:
        from studio.services.advice import explain

        self._fail(f"{explain(error, local=True)} ({type(error).__name__})")

    def _unhandled(self, kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
        if self._previous_hook is not None:
            self._previous_hook(kind, value, trace)
        self._fail(f"unhandled {kind.__name__}: {value}")

    def _checked(self, report: SmokeReport) -> None:
        say(f"smoke: voice {report.voice}: {report.audio_bytes} bytes of audio")
        say(f"smoke: transcribed: {report.heard!r}")
        say(f"smoke: batch job through the batch worker: {report.batch_heard!r}")
        if not report.recognised:
            self._fail("the transcription does not match the sentence that was spoken")
            return
        say("smoke: ok")
        self._finish()

    def _fail(self, reason: str) -> None:
        if self.finished:
            return
        self.failed = reason
        print(f"smoke: FAILED: {reason}", file=sys.stderr, flush=True)
        self._finish()

    def _finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        QTimer.singleShot(0, self._studio.window.close)

    def cleanup(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
        self._folder.cleanup()
