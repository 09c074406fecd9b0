from __future__ import annotations

import os
import subprocess
import sys
import time

from studio.storage.paths import Paths
from tests.conftest import REPO


def test_closing_the_window_cancels_work_and_exits_within_two_seconds(studio_home: Paths) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(studio_home.config.parent))
    proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.busy_app"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("closing "), first + (proc.stderr.read() if proc.stderr else "")
    closed_at = float(first.split()[1])
    out, err = proc.communicate(timeout=10)
    exited_at = time.time()
    assert proc.returncode == 0, err
    assert exited_at - closed_at < 2.0
    assert "work cancelled" in out
    assert "threads []" in out
    assert "timers 0" in out
    assert "Traceback" not in err
