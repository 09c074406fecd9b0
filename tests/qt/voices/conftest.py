"""The Voices workspace in the studio's real window (offscreen), against the real local server on a loop of its
own in a thread (the Qt event loop owns the test's thread), reached as "Speechmatics" through the environment
variables the SDKs use. The server counts the text-to-speech requests it answers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from pytestqt.qtbot import QtBot

from studio.api.endpoints import ENV_API_KEY, ENV_TTS_URL
from studio.app import Studio
from studio.local.server import LocalServer, ServerConfig
from studio.qt.voices.page import VoicesPage
from tests.fakes.server import SERVER_KEY
from tests.qt.conftest import StudioFactory
from tests.services.voices.conftest import RequestCounter

T = TypeVar("T")


class TtsServer:
    """A LocalServer on a loop in its own thread; ``call`` runs a coroutine there and returns its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-tts-server", daemon=True)
        self.thread.start()
        self.server = LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY})))
        self.urls = self.call(self.server.start())
        self.counter = RequestCounter(self.server)

    @property
    def requests(self) -> int:
        return self.counter.count

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def soon(self, callback: Any) -> None:
        """Runs ``callback`` on the server's loop (from any thread)."""
        self.loop.call_soon_threadsafe(callback)

    def stop(self) -> None:
        release = getattr(self.server.synthesizer, "release", None)  # a held synthesis lets go
        if release is not None:
            self.soon(release.set)
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def tts_server() -> Iterator[TtsServer]:
    running = TtsServer()
    yield running
    running.stop()


@pytest.fixture
def studio(make_studio: StudioFactory, tts_server: TtsServer) -> Studio:
    """A studio whose Speechmatics is the test server (an API key and a TTS URL in the environment)."""
    return make_studio({ENV_API_KEY: SERVER_KEY, ENV_TTS_URL: tts_server.urls.tts})


def voices_page(studio: Studio, qtbot: QtBot) -> VoicesPage:
    page = studio.window.show_workspace("voices")
    assert isinstance(page, VoicesPage)
    qtbot.waitUntil(lambda: page.voices.model.rowCount() >= 4, timeout=10000)
    return page


@pytest.fixture
def page(studio: Studio, qtbot: QtBot) -> VoicesPage:
    return voices_page(studio, qtbot)
