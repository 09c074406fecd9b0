"""The Live workspace end to end: the studio's real window and services, a real local server (scripted, or
the built-in Whisper engine) and file-backed sources, as a user would run a session.

The Qt event loop owns the test's thread, so the scripted server runs on an event loop of its own in a
thread (``ThreadedServer``); the studio reaches it as "Speechmatics" through the environment variables the
SDKs use. The recogniser records the mid-session configs it is sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.api.endpoints import ENV_API_KEY, ENV_RT_URL
from studio.app import Studio
from studio.local.server import LocalServer, ServerConfig
from tests.fakes.server import SERVER_KEY
from tests.helpers.media import pcm_of
from tests.helpers.wav import write_wav
from tests.qt.conftest import StudioFactory
from tests.services.live.conftest import RecordingRecognizer


class ThreadedServer:
    """A ``LocalServer`` on its own event loop in a thread; stopped by ``close``."""

    def __init__(self, recognizer: Any) -> None:
        self.recognizer = recognizer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-server", daemon=True)
        self.thread.start()
        self.server = LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY})), recognizer=recognizer)
        self.endpoints = self._run(self.server.start())

    def _run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=30)

    def close(self) -> None:
        self._run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def recognizer() -> RecordingRecognizer:
    return RecordingRecognizer()


@pytest.fixture
def scripted_server(recognizer: RecordingRecognizer) -> Iterator[ThreadedServer]:
    server = ThreadedServer(recognizer)
    yield server
    server.close()


@pytest.fixture
def scripted_studio(make_studio: StudioFactory, scripted_server: ThreadedServer) -> Studio:
    """The studio talking to the scripted server as its Speechmatics."""
    return make_studio(env={ENV_API_KEY: SERVER_KEY, ENV_RT_URL: scripted_server.endpoints.realtime})


@pytest.fixture
def speech_file(tmp_path: Path, shared_audio: Path) -> Path:
    """A real recording (audio_04: two turns, 9.9 s) as a file source would play it."""
    samples, rate = pcm_of(shared_audio / "audio_04_16kHz.wav")
    return write_wav(tmp_path / "speech.wav", samples, rate)


def tone_file(path: Path, seconds: float, rate: int = 16000) -> Path:
    """A quiet tone: audio the scripted recogniser answers whatever it hears."""
    t = np.arange(int(seconds * rate)) / rate
    return write_wav(path, (np.sin(2 * np.pi * 220 * t) * 3000).astype("<i2"), rate)
