"""The studio in a real X11 window on the test run's Xvfb screen, photographed and closed like a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio import APP_NAME
from studio.qt.theme import LIGHT
from studio.storage.paths import Paths
from tests.conftest import REPO
from tests.desktop.xwindows import XServer, save_png

ARTIFACTS = Path(os.environ.get("STUDIO_ARTIFACTS", REPO / "artifacts"))


def rgb(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


@pytest.mark.usefixtures("desktop")
def test_studio_shows_a_real_window_and_closes_cleanly(studio_home: Paths) -> None:
    screen = os.environ["STUDIO_XVFB_DISPLAY"]
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(DISPLAY=screen, QT_QPA_PLATFORM="xcb", STUDIO_HOME=str(studio_home.config.parent))
    studio_command = Path(sys.executable).with_name("studio")
    proc = subprocess.Popen([str(studio_command)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    x = XServer(screen)
    try:
        sidebar, accent = rgb(LIGHT.sidebar), rgb(LIGHT.accent)

        def painted() -> tuple[Any, np.ndarray] | None:
            # Qt may replace its native window while starting, so look it up afresh each time.
            window = x.viewable_window(APP_NAME)
            shot = None if window is None else x.try_screenshot(window)
            if shot is None:
                return None
            left = shot[:, :150].reshape(-1, 3)
            has = {tuple(int(c) for c in px) for px in left[:: max(1, len(left) // 20000)]}
            return (window, shot) if sidebar in has and accent in has else None

        window, shot = x.wait_for(painted, timeout=20)
        save_png(shot, ARTIFACTS / "screenshots" / "main-window-xvfb.png")
        assert shot.shape[0] >= 480 and shot.shape[1] >= 720
        assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 50  # text and icons, not a blank frame

        x.request_close(window)
        _out, err = proc.communicate(timeout=5)
    finally:
        x.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "exited with status 0" in studio_home.log_file.read_text()
