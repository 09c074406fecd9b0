"""``pip install`` of the studio from a built wheel, into a fresh virtual environment: the ``studio`` command
works, finds its icons outside the source tree, and the Linux menu entry, icon and AppStream file land under
the environment's ``share/``."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import studio
from tests.conftest import REPO


def run(command: list[str | Path], *, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=240, cwd=cwd,
                          env=env)


def test_a_wheel_installs_a_working_studio_command(tmp_path: Path) -> None:
    # The wheel is built as `pip install .` builds it (in an isolated build environment).
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "wheels", REPO])
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("transcription_studio-*.whl")
    assert wheel.name.startswith(f"transcription_studio-{studio.__version__}-")

    # A fresh environment that sees the dependencies already installed here, but not this source tree.
    env_dir = tmp_path / "env"
    created = run([sys._base_executable, "-m", "venv", "--without-pip", env_dir])  # type: ignore[attr-defined]
    assert created.returncode == 0, created.stderr
    python = env_dir / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")  # no .pth files of its own run
    installed = run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
                     wheel])
    assert installed.returncode == 0, installed.stderr

    where = run([python, "-c", "import studio, studio.qt.resources as r; print(studio.__file__); "
                               "print(r.resources_dir())"], env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    module_file, resources = where.stdout.split()
    assert Path(module_file).is_relative_to(site), module_file  # the wheel's copy, not the source tree's
    assert Path(resources) == env_dir / "share" / "transcription-studio" / "resources"

    command = env_dir / "bin" / "studio"
    assert run([command, "--version"]).stdout.strip() == f"studio {studio.__version__}"
    home = tmp_path / "home"
    opened = run([command, "--smoke-window"], cwd=tmp_path,
                 env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "STUDIO_HOME": str(home)})
    assert opened.returncode == 0, opened.stderr
    assert "smoke: main window exposed" in opened.stdout

    share = env_dir / "share"
    assert (share / "applications" / "transcription-studio.desktop").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "transcription-studio.svg").is_file()
    assert (share / "metainfo" / "org.transcriptionstudio.TranscriptionStudio.metainfo.xml").is_file()
