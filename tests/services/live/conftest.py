"""Live sessions against the real local server: a scripted recogniser that also records what it was told,
file-backed sources paced by a fast clock, and an event log that waits on real conditions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.api.endpoints import Endpoints
from studio.audio.clock import Clock, ScaledClock
from studio.audio.file_source import FileSource
from studio.audio.frames import AudioSource
from studio.local.scripted import ScriptedRecognizer, ScriptedSession
from studio.local.server import LocalServer, ServerConfig
from studio.services.connections import Connection
from studio.services.live import LiveEvent, LiveSession, Message, Problem, SessionState, StateChanged
from studio.services.live.session import Connect
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav
from tests.local.conftest import whisper_runtime  # noqa: F401 - the shared session-scoped fixture

RATE = 16000


class RecordingSession(ScriptedSession):
    """A scripted session that keeps what the server handed it: audio bytes and mid-session configs."""

    def __init__(self, owner: RecordingRecognizer, *args: Any) -> None:
        super().__init__(*args)
        self.owner = owner
        self.audio = bytearray()
        self.configs: list[dict[str, Any]] = []

    async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[dict[str, Any]]:
        self.audio += audio
        return await super().feed(audio, audio_seconds)

    def update_config(self, transcription_config: Mapping[str, Any]) -> None:
        self.configs.append(dict(transcription_config))
        super().update_config(transcription_config)


class RecordingRecognizer(ScriptedRecognizer):
    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[RecordingSession] = []
        self.opened_with: list[dict[str, Any]] = []

    def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
             translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> RecordingSession:
        super().open(transcription_config, audio_format, translation_config, audio_events_config)  # its checks
        session = RecordingSession(self, self._entries(transcription_config, translation_config),
                                   transcription_config)
        self.sessions.append(session)
        self.opened_with.append(dict(transcription_config))
        return session


@pytest.fixture
def recognizer() -> RecordingRecognizer:
    return RecordingRecognizer()


@pytest.fixture
async def scripted(recognizer: RecordingRecognizer) -> AsyncIterator[LocalServer]:
    config = ServerConfig(api_keys=frozenset({SERVER_KEY}))
    async with LocalServer(config=config, recognizer=recognizer) as running:
        yield running


def connect_to(endpoints: Endpoints, key: str | None = SERVER_KEY) -> Connect:
    async def connect() -> Connection:
        return Connection(endpoints, api_key=key)

    return connect


def tone(seconds: float, frequency: float, rate: int = RATE, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * frequency * t) * 32767).astype(np.int16)


def wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    return write_wav(path, samples, rate)


Factory = Callable[[str, "str | None"], AudioSource]


def file_factory(files: Mapping[str, Path], clock: Clock, *, defaults: Mapping[str, Path] | None = None,
                 options: Mapping[str, Mapping[str, Any]] | None = None,
                 made: list[FileSource] | None = None) -> Factory:
    """A source factory: channel "Me"/"Them" → a FileSource of that file (``defaults`` for the default device,
    asked for when a lost device is replaced), paced by ``clock``."""

    def factory(channel: str, source_id: str | None) -> AudioSource:
        path = files[channel] if source_id is not None or defaults is None else defaults[channel]
        kwargs = dict((options or {}).get(channel if source_id is not None or defaults is None
                                          else f"default {channel}", {}))
        source = FileSource(path, clock=clock, source_id=f"file:{channel}:{'chosen' if source_id else 'default'}",
                            label=f"{channel} {'device' if source_id else 'default device'}", **kwargs)
        if made is not None:
            made.append(source)
        return source

    return factory


class EventLog:
    """Drains a session's events as the GUI would, and waits on conditions over them."""

    def __init__(self, session: LiveSession) -> None:
        self.session = session
        self.events: list[LiveEvent] = []

    def pull(self) -> list[LiveEvent]:
        new = self.session.drain()
        self.events.extend(new)
        return self.events

    async def wait_for(self, condition: Callable[[EventLog], bool], timeout: float = 60.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                self.pull()
                if condition(self):
                    return
                await asyncio.sleep(0.02)

    @property
    def messages(self) -> list[Any]:
        return [e.message for e in self.pull() if isinstance(e, Message)]

    @property
    def problems(self) -> list[Problem]:
        return [e for e in self.pull() if isinstance(e, Problem)]

    @property
    def states(self) -> list[SessionState]:
        return [e.state for e in self.pull() if isinstance(e, StateChanged)]


@pytest.fixture
def fast_clock() -> ScaledClock:
    return ScaledClock(4.0)
