"""The transcript view in a real X11 window on the test run's Xvfb screen, in both themes, photographed and kept
in artifacts/screenshots/ (look at them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.qt.theme import DARK, LIGHT, Colors
from studio.qt.transcript.style import DARK_SPEAKERS, LIGHT_SPEAKERS
from tests.conftest import REPO
from tests.desktop.xwindows import XServer, save_png
from tests.qt.transcript.show_view import TITLE

ARTIFACTS = Path(os.environ.get("STUDIO_ARTIFACTS", REPO / "artifacts"))


def rgb(hex_color: str) -> tuple[int, int, int]:
    value = int(hex_color.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


@pytest.mark.usefixtures("desktop")
@pytest.mark.parametrize(("theme", "colors", "speakers"), [("light", LIGHT, LIGHT_SPEAKERS),
                                                           ("dark", DARK, DARK_SPEAKERS)])
def test_the_view_in_a_real_window(theme: str, colors: Colors, speakers: tuple[str, ...]) -> None:
    screen = os.environ["STUDIO_XVFB_DISPLAY"]
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(DISPLAY=screen, QT_QPA_PLATFORM="xcb")
    proc = subprocess.Popen([sys.executable, "-m", "tests.qt.transcript.show_view", "--theme", theme], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    x = XServer(screen)
    title = TITLE.format(theme=theme)
    wanted = {rgb(colors.base), rgb(speakers[0]), rgb(speakers[1])}
    missing: list[object] = ["no window yet"]
    try:
        def painted() -> tuple[Any, np.ndarray] | None:
            window = x.viewable_window(title)
            shot = None if window is None else x.try_screenshot(window)
            if shot is None:
                return None
            seen = {tuple(int(c) for c in px) for px in shot.reshape(-1, 3)[::3]}
            missing[:] = sorted(wanted - seen)
            return (window, shot) if not missing else None

        try:
            window, shot = x.wait_for(painted, timeout=30)
        except TimeoutError:
            proc.kill()
            _out, err = proc.communicate()
            raise AssertionError(f"the window never showed {missing}; the app said: {err}") from None
        save_png(shot, ARTIFACTS / "screenshots" / f"transcript-view-{theme}.png")
        pixels = shot.reshape(-1, 3)
        base = np.all(pixels == rgb(colors.base), axis=1).mean()
        assert base > 0.5  # the theme's base colour behind the words, not another theme's
        assert len(np.unique(pixels, axis=0)) > 50  # text, not a blank frame
        x.request_close(window)
        _out, err = proc.communicate(timeout=10)
    finally:
        x.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
