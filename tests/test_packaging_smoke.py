"""``studio --smoke``, the check an installation (the bundle, a wheel, the source tree) runs on itself: it
passes when the window, every workspace and the built-in engine work, and fails, with a reason and status 1,
when any part of them does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from studio.services.smoke import SENTENCE, SmokeReport
from studio.storage.paths import Paths
from studio.storage.settings_store import SettingsStore
from tests.conftest import REPO

# A workspace replaced by a page that breaks the way a broken installation does: when it is built (a missing
# module), or in a slot once it is on screen (a library that fails to load late, like pyqtgraph's OpenGL).
BROKEN = """
import sys, types
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget
import studio.qt.workspaces as workspaces

class LateFailure(QWidget):
    def __init__(self, context, spec):
        super().__init__()
    def showEvent(self, event):
        QTimer.singleShot(0, self.fail)
    def fail(self):
        raise RuntimeError("libOpenGL is missing")

class EarlyFailure(QWidget):
    def __init__(self, context, spec):
        raise ModuleNotFoundError("No module named 'studio.qt.batch.queue_view'")

module = types.ModuleType("broken_pages")
module.LateFailure, module.EarlyFailure = LateFailure, EarlyFailure
sys.modules["broken_pages"] = module
live, batch, voices = workspaces.WORKSPACES
replace = {"late": (live, batch, voices._replace(factory="broken_pages:LateFailure")),
           "early": (live, batch._replace(factory="broken_pages:EarlyFailure"), voices)}
workspaces.WORKSPACES = replace[sys.argv[1]]
import studio.qt.smoke
studio.qt.smoke.WORKSPACES = workspaces.WORKSPACES
import studio.qt.main_window
studio.qt.main_window.WORKSPACES = workspaces.WORKSPACES
from studio.cli import main
raise SystemExit(main(["--smoke"]))
"""


def smoke(env: dict[str, str], *args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "studio", "--smoke"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def environment(studio_home: Paths) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(studio_home.config.parent))
    env.pop("SPEECHMATICS_API_KEY", None)
    return env


def test_the_whole_studio_and_the_built_in_engine_pass(studio_home: Paths) -> None:
    result = smoke(environment(studio_home))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "smoke: main window exposed"
    for title in ("Live", "Batch", "Voices"):
        assert any(line.startswith(f"smoke: {title} workspace built (") for line in lines), lines
    heard = next(line for line in lines if line.startswith("smoke: transcribed: "))
    batch = next(line for line in lines if line.startswith("smoke: batch job through the batch worker: "))
    assert SmokeReport("theo", 1, heard.removeprefix("smoke: transcribed: "),
                       batch.removeprefix("smoke: batch job through the batch worker: ")).recognised, (heard, batch)
    assert lines[-1] == "smoke: ok"
    assert "FAILED" not in result.stderr and "Traceback" not in result.stderr


def test_an_error_in_a_slot_after_a_page_is_shown_fails_it(studio_home: Paths) -> None:
    result = smoke(environment(studio_home), "late", code=BROKEN)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smoke: FAILED: unhandled RuntimeError: libOpenGL is missing" in result.stderr
    assert "smoke: ok" not in result.stdout


def test_a_page_that_cannot_be_built_fails_it(studio_home: Paths) -> None:
    result = smoke(environment(studio_home), "early", code=BROKEN)
    assert result.returncode == 1, result.stdout + result.stderr
    failure = next(line for line in result.stderr.splitlines() if line.startswith("smoke: FAILED: "))
    assert failure.endswith("ModuleNotFoundError: No module named 'studio.qt.batch.queue_view'"), failure
    assert "smoke: starting the built-in engine" not in result.stdout


def test_without_a_usable_engine_it_checks_the_window_and_says_it_skipped_the_engine(studio_home: Paths,
                                                                                    tmp_path: Path) -> None:
    store = SettingsStore(studio_home.settings_file)
    store.save(store.settings.replace(whisper_model=str(tmp_path)))  # a folder with no model: not usable
    result = smoke(environment(studio_home))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "engine check skipped" in result.stdout and "smoke: ok" not in result.stdout


def test_the_report_judges_what_was_heard() -> None:
    assert SmokeReport("theo", 100, SENTENCE, SENTENCE).recognised
    assert SmokeReport("theo", 100, "please call me back", "call me back tomorrow").recognised
    assert not SmokeReport("theo", 100, "", SENTENCE).recognised
    assert not SmokeReport("theo", 100, "the weather is fine today", SENTENCE).recognised
    assert not SmokeReport("theo", 100, SENTENCE, "").recognised  # the batch worker's job heard nothing
