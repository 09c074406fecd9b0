"""The built-in engine for the tests of tests/local: one loaded Whisper model for the whole run, and the real
local server with the Whisper recognisers and eSpeak NG voices on a loopback port, reached through the
studio's own clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from studio.local.availability import resolve_model
from studio.local.engine import BuiltinEngine
from studio.local.whisper_model import WhisperRuntime
from studio.services.connections import Connection


@pytest.fixture(scope="session")
def whisper_runtime() -> WhisperRuntime:
    """The packaged model (Whisper tiny.en), loaded once: it is never downloaded."""
    choice = resolve_model("")
    assert choice.kind == "packaged" and choice.usable, choice.problem
    runtime = WhisperRuntime(choice)
    runtime.load()
    return runtime


@pytest.fixture
async def engine(whisper_runtime: WhisperRuntime) -> AsyncIterator[BuiltinEngine]:
    built = BuiltinEngine(runtime=whisper_runtime)
    await built.start()
    yield built
    await built.stop()


@pytest.fixture
def connection(engine: BuiltinEngine) -> Connection:
    assert engine.endpoints is not None
    return Connection(engine.endpoints)
