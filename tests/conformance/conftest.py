"""`studio serve` as a real subprocess, for the official Speechmatics clients: one with the scripted engine (fast,
deterministic: protocol conformance) and one with the built-in engine (Whisper and eSpeak NG: where accuracy is
what is tested). Both require an API key, so temporary keys are exercised for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

KEY = "conformance-key-0123456789abcdef"


@dataclass(frozen=True)
class Served:
    realtime: str
    batch: str
    tts: str
    management: str

    def env(self) -> dict[str, str]:
        """The official SDKs' own environment variables, pointing at this server."""
        return {"SPEECHMATICS_API_KEY": KEY, "SPEECHMATICS_RT_URL": self.realtime,
                "SPEECHMATICS_BATCH_URL": self.batch, "SPEECHMATICS_TTS_URL": self.tts,
                "SM_MANAGEMENT_PLATFORM_URL": self.management}


def _serve(*args: str) -> Iterator[Served]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPEECHMATICS_", "SM_"))}
    process = subprocess.Popen([sys.executable, "-m", "studio", "serve", "--port", "0", "--api-key", KEY, *args],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines: dict[str, str] = {}
    for line in process.stdout:
        if line.startswith("Press Ctrl+C"):
            break
        name, _, value = line.strip().partition(": ")
        lines[name.strip()] = value.strip()
    try:
        yield Served(lines["realtime"], lines["batch"], lines["tts"], lines["keys"].removesuffix("/v1/api_keys"))
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "Traceback" not in err, err


@pytest.fixture(scope="session")
def scripted() -> Iterator[Served]:
    yield from _serve("--engine", "scripted")


@pytest.fixture(scope="session")
def builtin() -> Iterator[Served]:
    yield from _serve()


@pytest.fixture
def sdk_env(scripted: Served, monkeypatch: pytest.MonkeyPatch) -> Served:
    for name, value in scripted.env().items():
        monkeypatch.setenv(name, value)
    return scripted


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of its own: the legacy CLI reads and writes ~/.speechmatics/config."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path
