"""The voice preview tests' server: the real local server on loopback, with a request counter (an HTTP fault
that only counts) and the synthesizers the tests plug in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from studio.api.auth import StaticKey
from studio.api.http import RetryPolicy
from studio.api.tts import TtsClient
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from studio.services.connections import Connection
from studio.services.voices.cache import PreviewCache
from studio.services.voices.preview import PreviewService, TtsFactory
from tests.fakes.server import SERVER_KEY, Sleeps

COUNTING = 1_000_000


class RequestCounter:
    """How many text-to-speech requests the server answered: a pass-through fault that is used up by each."""

    def __init__(self, server: LocalServer) -> None:
        self.fault = HttpFault("/generate", method="POST", pass_through=True, times=COUNTING)
        server.faults.http.append(self.fault)

    @property
    def count(self) -> int:
        return COUNTING - self.fault.times


class HeldSynthesizer:
    """Sends the first chunk at once and the rest only once ``release`` is set (or ``hold`` seconds passed),
    noting when the last chunk went out. Each voice is a different tone."""

    FREQUENCIES: ClassVar[dict[str, float]] = {"sarah": 330.0, "theo": 196.0, "megan": 392.0, "jack": 220.0}

    def __init__(self, chunks: int = 6, chunk_frames: int = 3200, hold: float = 30.0) -> None:
        self.chunks = chunks
        self.chunk_frames = chunk_frames
        self.hold = hold
        self.release = asyncio.Event()
        self.released_by_timeout = False
        self.last_chunk_sent = False
        self.requests = 0
        self.closed = asyncio.Event()  # the server let go of the synthesis (finished, or the client left)

    def voices(self) -> Sequence[str]:
        return list(self.FREQUENCIES)

    def samples(self, voice: str) -> np.ndarray:
        n = self.chunks * self.chunk_frames
        t = np.arange(n) / 16000
        return (np.sin(2 * np.pi * self.FREQUENCIES[voice] * t) * 12000).astype("<i2")

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        self.requests += 1
        self.last_chunk_sent = False
        self.closed.clear()
        pcm = self.samples(voice)
        step = self.chunk_frames
        try:
            yield pcm[:step].tobytes()
            try:
                await asyncio.wait_for(self.release.wait(), self.hold)
            except TimeoutError:
                self.released_by_timeout = True
            for start in range(step, len(pcm), step):
                if start + step >= len(pcm):
                    self.last_chunk_sent = True
                yield pcm[start:start + step].tobytes()
        finally:
            self.closed.set()


@pytest.fixture
def counter(server: LocalServer) -> RequestCounter:
    return RequestCounter(server)


@pytest.fixture
def connection(server: LocalServer) -> Connection:
    return Connection(server.urls, api_key=SERVER_KEY)


def fast_tts(sleeps: Sleeps) -> TtsFactory:
    """TTS clients that retry at once (the waits they ask for are recorded in ``sleeps``)."""
    return lambda connection: TtsClient(StaticKey(connection.api_key or "x"), url=connection.endpoints.tts,
                                        retry=RetryPolicy(attempts=3, base_delay=0.5), sleep=sleeps)


@pytest.fixture
async def service(connection: Connection, sleeps: Sleeps, tmp_path: Path) -> AsyncIterator[PreviewService]:
    async def connect() -> Connection:
        return connection

    preview = PreviewService(connect, cache=PreviewCache(tmp_path / "cache"), tts=fast_tts(sleeps))
    yield preview
    await preview.aclose()
