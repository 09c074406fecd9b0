"""The Live workspace mid-session and its caption overlay, in real X11 windows on the test run's Xvfb screen,
in both themes: "Microphone + system audio" from real recordings on the built-in engine
(``tests.desktop.live_session``). The pictures are kept in artifacts/screenshots/ (look at them)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor

from studio import APP_NAME
from studio.qt.live.overlay import TITLE as OVERLAY_TITLE
from studio.qt.theme import DARK, LIGHT, Colors
from tests.conftest import REPO
from tests.desktop.xwindows import XServer, save_png

ARTIFACTS = Path(os.environ.get("STUDIO_ARTIFACTS", REPO / "artifacts"))


def rgb(color: str) -> tuple[int, int, int]:
    parsed = QColor(color)
    return parsed.red(), parsed.green(), parsed.blue()


def lines_of(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    def read() -> None:
        for line in stdout:
            lines.put(line.strip())

    threading.Thread(target=read, daemon=True).start()
    return lines


@pytest.mark.usefixtures("desktop")
@pytest.mark.parametrize(("theme", "colors"), [("light", LIGHT), ("dark", DARK)])
def test_the_live_workspace_and_its_overlay_mid_session(theme: str, colors: Colors, shared_audio: Path) -> None:
    from studio.qt.transcript import speaker_color

    screen = os.environ["STUDIO_XVFB_DISPLAY"]
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "SPEECHMATICS_API_KEY")}
    env.update(DISPLAY=screen, QT_QPA_PLATFORM="xcb")
    command = [sys.executable, "-m", "tests.desktop.live_session", "--theme", theme, "--audio", str(shared_audio)]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = lines_of(proc)
    x = XServer(screen)
    try:
        try:
            assert lines.get(timeout=100) == "ready"
        except queue.Empty:
            proc.kill()
            raise AssertionError(f"the session never got going: {proc.communicate()[1]}") from None
        window = x.viewable_window(APP_NAME)
        overlay = x.viewable_window(OVERLAY_TITLE)
        assert window is not None and overlay is not None
        shot, captions = x.screenshot(window), x.screenshot(overlay)
        save_png(shot, ARTIFACTS / "screenshots" / f"live-workspace-{theme}.png")
        save_png(captions, ARTIFACTS / "screenshots" / f"live-overlay-{theme}.png")
        seen = {tuple(int(c) for c in px) for px in shot.reshape(-1, 3)[::2]}
        me, them = rgb(speaker_color(0, colors).name()), rgb(speaker_color(1, colors).name())
        assert me in seen and them in seen  # both speakers' names and waveform lanes in their colours
        assert rgb(colors.window) in seen  # the theme asked for, not the other one
        assert len(np.unique(captions.reshape(-1, 3), axis=0)) > 20  # captions, not an empty box
        assert proc.stdin is not None
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        _out, err = proc.communicate(timeout=60)
    finally:
        x.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
