"""Screenshots of the sessions library with a session open, in a real X11 window on the test run's Xvfb screen,
both themes: three real sessions recorded on the built-in engine (``library_screenshot_child``), the
conversation open, played from a word and paused there. Before them a studio recording a fourth session is
SIGKILLed, so each start offers to recover it: the offer is photographed too (Later keeps it for the next).
Kept in artifacts/screenshots/ (look at them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor

from studio import APP_NAME
from studio.qt.theme import DARK, LIGHT
from studio.qt.transcript import speaker_color
from tests.conftest import REPO
from tests.desktop.xwindows import XServer, save_png
from tests.qt.batch.killing import Lines

ARTIFACTS = Path(os.environ.get("STUDIO_ARTIFACTS", REPO / "artifacts")) / "screenshots"


def rgb(color: str) -> tuple[int, int, int]:
    parsed = QColor(color)
    return parsed.red(), parsed.green(), parsed.blue()


@pytest.mark.usefixtures("desktop")
@pytest.mark.timeout(480)  # three studio processes, Whisper on 100 s of real speech: minutes on a loaded machine
def test_screenshots_of_the_sessions_library_with_a_session_open(tmp_path: Path, shared_audio: Path) -> None:
    screen = os.environ["STUDIO_XVFB_DISPLAY"]
    home = tmp_path / "home"
    x = XServer(screen)
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "SPEECHMATICS_API_KEY")}
    env.update(DISPLAY=screen, QT_QPA_PLATFORM="xcb", STUDIO_HOME=str(home), PYTHONPATH=str(REPO))

    def run(theme: str, *flags: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "tests.qt.live.library_screenshot_child", "--theme", theme,
                   "--audio", str(shared_audio), *flags]
        with open(tmp_path / f"{theme}{''.join(flags)}.log", "w") as log:
            return subprocess.Popen(command, cwd=REPO, env=env, text=True, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=log)

    crashing = run("light", "--crash")
    try:
        assert crashing.wait(240) == -signal.SIGKILL, (tmp_path / "light--crash.log").read_text()[-3000:]
    finally:
        if crashing.poll() is None:
            crashing.kill()
            crashing.wait()
    try:
        for theme, colors, record in (("light", LIGHT, True), ("dark", DARK, False)):
            child = run(theme, *(["--record"] if record else []))
            log = tmp_path / f"{theme}{'--record' if record else ''}.log"
            lines = Lines(child)
            try:
                # The interrupted session is offered first.
                assert lines.next(120) == "offer", log.read_text()[-3000:]
                offer = x.viewable_window("Recover the interrupted session")
                assert offer is not None
                shot = x.screenshot(offer)
                save_png(shot, ARTIFACTS / f"live-recovery-offer-{theme}.png")
                seen = {tuple(int(c) for c in px) for px in shot.reshape(-1, 3)[::2]}
                assert rgb(colors.window) in seen and len(np.unique(shot.reshape(-1, 3), axis=0)) > 100
                assert child.stdin is not None
                child.stdin.write("later\n")
                child.stdin.flush()

                ready = lines.next(240) or ""
                assert ready.startswith("ready "), log.read_text()[-3000:]
                left, top, width, height = (int(n) for n in ready.split()[1:])
                window = x.viewable_window(APP_NAME)
                assert window is not None
                shot = x.screenshot(window)
                save_png(shot, ARTIFACTS / f"live-library-{theme}.png")
                seen = {tuple(int(c) for c in px) for px in shot.reshape(-1, 3)[::2]}
                assert rgb(colors.window) in seen  # the theme asked for
                assert rgb(colors.accent) in seen  # the chosen session's row
                assert rgb(speaker_color(0, colors).name()) in seen and rgb(speaker_color(1, colors).name()) in seen
                assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 200  # text, not empty boxes
                words = shot[top:top + height, left:left + width].reshape(-1, 3)
                drawn = {tuple(int(c) for c in px) for px in words}
                assert rgb(colors.text) in drawn and rgb(colors.base) in drawn  # the transcript's words are drawn
                assert child.stdin is not None
                child.stdin.write("quit\n")
                child.stdin.flush()
                assert child.wait(60) == 0
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait()
    finally:
        x.close()
