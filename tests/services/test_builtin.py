"""The built-in engine service: started on first use, the same engine while the model stays, stopped for good."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from studio.api.endpoints import Endpoints
from studio.local.availability import packaged_model_path
from studio.services.builtin import BuiltinEngineService
from tests.helpers.wer import word_error_rate


async def refused(endpoints: Endpoints) -> bool:
    parts = urlsplit(endpoints.tts)
    try:
        _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    except OSError:
        return True
    writer.close()
    return False


async def test_the_engine_starts_on_first_use_serves_and_stops(tmp_path: Path) -> None:
    service = BuiltinEngineService(tmp_path)
    heard: list[Endpoints | None] = []
    service.changed.subscribe(heard.append)
    assert not service.running and service.endpoints is None
    endpoints = await service.ensure_started("")
    assert service.running and urlsplit(endpoints.realtime).hostname == "127.0.0.1"
    assert await service.ensure_started("") == endpoints  # already running: the same engine
    connection = await service.connection("")
    async with connection.tts() as tts:
        spoken = tmp_path / "spoken.wav"
        await tts.save("Please call me back tomorrow morning.", spoken, voice="sarah")
    async with connection.batch() as batch:
        document = await batch.transcribe(spoken, {"type": "transcription",
                                                   "transcription_config": {"language": "en"}}, poll_interval=0.05)
    heard_text = " ".join(r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word")
    assert word_error_rate("Please call me back tomorrow morning.", heard_text) <= 0.34, heard_text
    await service.stop()
    assert not service.running and heard == [endpoints, None]
    assert await refused(endpoints)


async def test_another_model_restarts_the_engine(tmp_path: Path) -> None:
    folder = packaged_model_path()
    assert folder is not None
    service = BuiltinEngineService(tmp_path)
    first = await service.ensure_started("")
    second = await service.ensure_started(str(folder))  # the same model, named by its folder: another setting
    try:
        assert second != first and service.model_setting == str(folder)
        assert await refused(first)
    finally:
        await service.stop()


async def test_a_model_that_cannot_be_used_says_why(tmp_path: Path) -> None:
    service = BuiltinEngineService(tmp_path)
    with pytest.raises(RuntimeError, match="no CTranslate2 Whisper model"):
        await service.ensure_started(str(tmp_path))
    assert not service.running
