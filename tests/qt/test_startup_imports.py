"""Start-up loads only what the window needs to appear: workspaces, protocol clients and audio come later."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from studio.storage.paths import Paths
from tests.conftest import REPO

BEFORE_EXPOSE = """
import json, sys
from PySide6.QtWidgets import QApplication
from studio.app import Studio
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore

app = QApplication(sys.argv[:1])
studio = Studio(app, {}, default_paths(), secrets=MemorySecretStore())
studio.window.show()
late = ("httpx", "websockets", "aiohttp", "pyqtgraph", "sounddevice", "soundcard", "av", "faster_whisper",
        "PySide6.QtMultimedia", "studio.qt.live", "studio.qt.batch", "studio.qt.voices", "studio.qt.transcript",
        "studio.services.live", "studio.services.batch", "studio.services.voices", "studio.api.realtime")
print(json.dumps(sorted(name for name in late if name in sys.modules)))
"""


def test_nothing_a_workspace_needs_loads_before_the_window_shows(studio_home: Paths) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(studio_home.config.parent))
    result = subprocess.run([sys.executable, "-c", BEFORE_EXPOSE], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


WINDOW_PATH = """
import json, sys
from studio.cli import main

code = main(["--smoke-window"])
late = ("asyncio", "httpx", "websockets", "aiohttp", "pyqtgraph", "sounddevice", "soundcard", "av",
        "faster_whisper", "keyring", "PySide6.QtMultimedia", "studio.qt.live", "studio.qt.batch", "studio.qt.voices",
        "studio.qt.smoke", "studio.services.smoke",
        # The engine is first looked at once the window shows (the status bar fills in then).
        "studio.services.engine", "studio.services.capabilities", "studio.local.availability", "studio.api.endpoints")
import gc
print(json.dumps({"code": code, "loaded": sorted(name for name in late if name in sys.modules),
                  "gc": gc.isenabled()}))
"""


def test_the_window_path_of_the_command_never_loads_asyncio_or_a_workspace(studio_home: Paths) -> None:
    """`studio` with no command, as far as the window: the headless commands' asyncio stays out (it is imported
    by the bridge once the window is on screen), and so does everything the workspaces and keychain need."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(studio_home.config.parent))
    result = subprocess.run([sys.executable, "-c", WINDOW_PATH], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # The garbage collector, held off during start-up, runs again once the window is exposed.
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"code": 0, "loaded": [], "gc": True}


def test_the_preloaded_modules_are_qt_free_and_come_before_pyside6() -> None:
    code = "import sys, studio.preload; print('PySide6' in sys.modules, 'studio.services.app_state' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


FONTCONFIG = """
import ctypes, sys, studio.preload
started = studio.preload._fonts.ident is not None
studio.preload.fonts_ready(30)
print(started, studio.preload._fonts.is_alive(), 'PySide6' in sys.modules)
"""


def test_preload_initialises_fontconfig_on_a_thread_that_ends_before_qt_is_asked() -> None:
    """Linux: fontconfig's start-up runs beside the imports (studio.preload), and fonts_ready waits for it."""
    result = subprocess.run([sys.executable, "-c", FONTCONFIG], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(sys.platform.startswith("linux")), "False", "False"]


def test_the_window_options_are_read_without_building_the_command_parser() -> None:
    code = ("import argparse, sys, studio.cli\n"
            "argparse.ArgumentParser.__init__ = lambda *a, **k: sys.exit('a parser was built')\n"
            "studio.cli._window = lambda smoke: print(repr(smoke)) or 0\n"
            "for argv in ([], ['--smoke-window'], ['--smoke'], ['-v']): studio.cli.main(argv)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["''", "'window'", "'full'", "''"]
