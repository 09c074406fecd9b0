"""The set-up script's answer on a machine where it may not install system packages itself."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO


def stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_without_root_or_sudo_it_prints_the_exact_apt_line_and_stops(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "id", 'if [ "$1" = "-u" ]; then echo 1000; else exec /usr/bin/id "$@"; fi')
    stub(bin_dir, "dpkg-query", "echo not-installed")  # every package looks missing
    stub(bin_dir, "sudo", "exit 1")  # sudo needs a password
    stub(bin_dir, "apt-get", f"touch {tmp_path}/apt-get-was-run; exit 1")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    result = subprocess.run(["bash", str(REPO / "scripts" / "bootstrap.sh"), "test"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y --no-install-recommends libportaudio2" in result.stderr
    for package in ("xvfb", "pulseaudio", "gnome-keyring", "libxcb-cursor0"):
        assert package in result.stderr
    assert not (tmp_path / "apt-get-was-run").exists()
