"""Screenshots of the Voices workspace mid-playback (an A/B comparison on the built-in engine), light and dark,
taken on the test run's Xvfb screen from outside the studio, as a user sees it; kept in
artifacts/screenshots/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.qt.theme import DARK, LIGHT, Colors
from tests.conftest import REPO
from tests.desktop.xwindows import XServer
from tests.qt.batch.killing import Lines
from tests.qt.batch.test_screenshots import shoot


def rgb(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def share_of(shot: np.ndarray, color: str) -> float:
    """The share of the picture in exactly this colour."""
    return float(np.all(shot.reshape(-1, 3) == np.array(rgb(color)), axis=1).mean())


@pytest.mark.usefixtures("desktop")
@pytest.mark.parametrize(("theme", "colors"), [("light", LIGHT), ("dark", DARK)])
def test_the_voices_page_mid_playback(theme: str, colors: Colors, tmp_path: Path) -> None:
    screen = os.environ["STUDIO_XVFB_DISPLAY"]
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY" and not k.startswith("SPEECHMATICS_")}
    env.update(DISPLAY=screen, QT_QPA_PLATFORM="xcb", STUDIO_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO),
               SCREENSHOT_THEME=theme)
    child = subprocess.Popen([sys.executable, "-m", "tests.qt.voices.screenshot_child"], cwd=REPO, env=env,
                             text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdin is not None
    lines = Lines(child)
    x = XServer(screen)
    try:
        assert lines.next(120) == "playing"
        shot = shoot(x, f"voices-{theme}-xvfb.png")
        assert shot.shape[0] >= 760 and shot.shape[1] >= 1200
        assert share_of(shot, colors.accent) > 0.01  # the played part of the waveforms, Play, the voice chosen
        assert share_of(shot, colors.window) > 0.2  # the theme's own background, not another's
        child.stdin.write("quit\n")
        child.stdin.flush()
        assert child.wait(30) == 0
    finally:
        x.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    err = child.stderr.read() if child.stderr is not None else ""
    assert "Traceback" not in err, err
