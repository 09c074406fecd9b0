"""The clients a Connection builds reach the right service with the right credentials."""

from __future__ import annotations

from studio.api.auth import StaticKey, TemporaryKeys
from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.messages import EndOfTranscript, Transcript
from studio.local.server import LocalServer, ServerConfig
from studio.services.connections import Connection
from tests.fakes.server import SERVER_KEY


async def test_realtime_uses_temporary_keys_when_asked(server: LocalServer) -> None:
    connection = Connection(server.urls, SERVER_KEY, temporary_keys=True)
    auth = connection.auth("rt")
    assert isinstance(auth, TemporaryKeys)
    for _ in range(2):  # two sessions, one temporary key
        async with connection.realtime().session(AudioFormat(), TranscriptionConfig(enable_partials=True)) as session:
            for _ in range(40):
                await session.send_audio(bytes(3200))
            await session.end()
            seen = [m async for m in session]
        assert any(isinstance(m, Transcript) for m in seen) and isinstance(seen[-1], EndOfTranscript)
    assert auth.requests == 1
    # Batch and TTS send the API key itself.
    assert isinstance(connection.auth("batch"), StaticKey)


async def test_the_built_in_engine_needs_no_key() -> None:
    async with LocalServer(config=ServerConfig(require_auth=False)) as local:
        connection = Connection(local.urls)
        async with connection.tts() as tts:
            audio = await tts.synthesize("Hello", voice="theo")
        assert audio[:4] == b"RIFF"
        async with connection.batch() as batch:
            jobs = await batch.list_jobs()
        assert jobs == []
