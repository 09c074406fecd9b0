from __future__ import annotations

import os
import subprocess
import sys

from studio import __version__
from studio.storage.paths import Paths
from tests.conftest import REPO

STUDIO = [sys.executable, "-m", "studio"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(STUDIO + args, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_version_and_help(studio_home: Paths) -> None:
    assert run(["--version"], dict(os.environ)).stdout.strip() == f"studio {__version__}"
    assert "--smoke" in run(["--help"], dict(os.environ)).stdout


def test_smoke_opens_the_window_and_exits_zero(studio_home: Paths) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(studio_home.config.parent))
    result = run(["--smoke"], env)
    assert result.returncode == 0, result.stderr
    assert "smoke: main window exposed" in result.stdout
    log = studio_home.log_file.read_text()
    assert "starting Transcription Studio" in log and "exited with status 0" in log


def test_without_a_display_the_user_is_told_what_to_do(studio_home: Paths) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = run([], env)
    assert result.returncode == 2
    assert "needs a graphical desktop" in result.stderr
    assert "Traceback" not in result.stderr
