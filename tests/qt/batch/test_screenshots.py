"""Screenshots of the Batch page with a mixed queue and of the results viewer, taken on the test run's Xvfb
screen from outside the studio (as a user sees them); kept in artifacts/screenshots/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio import APP_NAME
from tests.conftest import REPO
from tests.desktop.xwindows import XServer, save_png
from tests.qt.batch.killing import Lines

ARTIFACTS = Path(os.environ.get("STUDIO_ARTIFACTS", REPO / "artifacts")) / "screenshots"


def shoot(x: XServer, name: str) -> np.ndarray:
    def painted() -> np.ndarray | None:
        window = x.viewable_window(APP_NAME)
        shot = None if window is None else x.try_screenshot(window)
        return shot if shot is not None and len(np.unique(shot.reshape(-1, 3), axis=0)) > 50 else None

    shot = x.wait_for(painted, timeout=20)
    save_png(shot, ARTIFACTS / name)
    return shot


def brightness(shot: np.ndarray) -> float:
    """The mean grey level of a screenshot (0-255): a dark theme is well under the middle, a light one over."""
    return float(shot.mean())


@pytest.mark.usefixtures("desktop")
def test_screenshots_of_the_batch_page_and_the_results_viewer_in_both_themes(tmp_path: Path) -> None:
    screen = os.environ["STUDIO_XVFB_DISPLAY"]
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(DISPLAY=screen, QT_QPA_PLATFORM="xcb", STUDIO_HOME=str(tmp_path / "home"),
               SCREENSHOT_WORK=str(tmp_path / "work"), PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-m", "tests.qt.batch.screenshot_child"], cwd=REPO, env=env,
                             text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdin is not None
    lines = Lines(child)
    x = XServer(screen)

    def say(command: str, answer: str) -> None:
        assert child.stdin is not None
        child.stdin.write(command + "\n")
        child.stdin.flush()
        assert lines.next(60) == answer

    try:
        assert lines.next(120) == "queue ready"
        queue = shoot(x, "batch-queue-xvfb.png")
        assert queue.shape[0] >= 700 and queue.shape[1] >= 1200
        say("theme dark", "theme ready")
        queue_dark = shoot(x, "batch-queue-xvfb-dark.png")
        assert brightness(queue_dark) < 100 < brightness(queue)
        say("viewer", "viewer ready")
        viewer_dark = shoot(x, "batch-viewer-xvfb-dark.png")
        assert brightness(viewer_dark) < 100
        say("theme light", "theme ready")
        viewer = shoot(x, "batch-viewer-xvfb.png")
        assert brightness(viewer) > 100
        assert not np.array_equal(queue, viewer)
        child.stdin.write("quit\n")
        child.stdin.flush()
        assert child.wait(30) == 0
    finally:
        x.close()
        if child.poll() is None:
            child.kill()
            child.wait()
