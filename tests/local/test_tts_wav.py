"""``wav_16000`` from the TTS endpoint: a valid file with its real length, whichever way the synthesizer works.

eSpeak NG (and the tones) ``prepare`` a text — its length known before the first byte, the resampling done as
it streams; any other synthesizer's output is collected whole first. A listener that hangs up stops either."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from studio.api.tts import parse_wav_header
from studio.local.engine import BuiltinEngine
from studio.local.engines import PreparedSpeech
from studio.local.espeak import EspeakSynthesizer
from studio.local.server import LocalServer, ServerConfig
from studio.services.connections import Connection

PARAGRAPH = ("Welcome to Transcription Studio. This preview reads a short paragraph aloud so that you can judge the "
             "voice: its pace, its warmth and how clearly it says names, numbers like 2026 and 3.5 per cent, and "
             "questions. Does it sound natural? Try another voice, or compare two side by side before you choose.")


async def wav_of(connection: Connection, text: str, voice: str) -> list[bytes]:
    async with connection.tts() as tts:
        return [chunk async for chunk in tts.stream(text, voice=voice, output_format="wav_16000")]


def assert_valid(data: bytes, tmp_path: Path) -> int:
    header = parse_wav_header(data)
    assert (header.channels, header.sample_rate, header.bits) == (1, 16000, 16)
    assert header.data_size == len(data) - 44
    saved = tmp_path / "as-sent.wav"
    saved.write_bytes(data)
    with wave.open(str(saved)) as reader:
        assert reader.getnframes() == (len(data) - 44) // 2
        return int(reader.getnframes())


async def test_a_paragraph_is_a_valid_wav_streamed_in_pieces(connection: Connection, tmp_path: Path) -> None:
    chunks = await wav_of(connection, PARAGRAPH, "sarah")
    frames = assert_valid(b"".join(chunks), tmp_path)
    assert 12 < frames / 16000 < 40
    assert len(chunks) > 3  # resampled and sent as it goes, not one body
    async with connection.tts() as tts:
        pcm = await tts.synthesize(PARAGRAPH, voice="sarah", output_format="pcm_16000")
    assert abs(len(pcm) // 2 - frames) <= 0.02 * frames  # the same speech as the PCM stream


async def test_what_prepare_announces_is_exactly_what_it_streams() -> None:
    synthesizer = EspeakSynthesizer()
    for text in ("Hi.", PARAGRAPH):
        prepared = await synthesizer.prepare(text, "jack")
        streamed = b"".join([chunk async for chunk in prepared.chunks])
        assert len(streamed) == 2 * prepared.samples > 0


class SpyingSynthesizer(EspeakSynthesizer):
    """eSpeak NG, noting how each preparation ended."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: list[str] = []
        self.preparing = asyncio.Event()

    async def prepare(self, text: str, voice: str) -> PreparedSpeech:
        self.preparing.set()
        try:
            prepared = await super().prepare(text, voice)
        except asyncio.CancelledError:
            self.outcomes.append("cancelled")
            raise
        self.outcomes.append("prepared")
        return prepared


async def test_a_listener_that_hangs_up_while_a_wav_is_prepared_stops_espeak(engine: BuiltinEngine,
                                                                              connection: Connection) -> None:
    assert engine.server is not None
    spy = SpyingSynthesizer()
    engine.server.synthesizer = spy
    long_text = " ".join([PARAGRAPH] * 300)  # about 95,000 characters: seconds of eSpeak's time
    listening = asyncio.create_task(wav_of(connection, long_text, "theo"))
    await asyncio.wait_for(spy.preparing.wait(), 30)
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)
    async with asyncio.timeout(60):  # the server noticed the hang-up and stopped eSpeak mid-text
        while not spy.outcomes:
            await asyncio.sleep(0.01)
    assert spy.outcomes == ["cancelled"]
    chunks = await wav_of(connection, "Still here.", "sarah")  # eSpeak is free for the next listener
    assert parse_wav_header(b"".join(chunks)).data_size > 0 and spy.outcomes[-1] == "prepared"


class PlainSynthesizer:
    """A synthesizer that only streams (no ``prepare``): odd-sized pieces, one stray byte at the end."""

    def voices(self) -> Sequence[str]:
        return ["sarah"]

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        for size in (999, 4001, 3):
            yield bytes(range(256)) * (size // 256) + bytes(size % 256)
            await asyncio.sleep(0)


async def test_a_synthesizer_that_only_streams_still_gives_a_valid_wav(tmp_path: Path) -> None:
    async with LocalServer(config=ServerConfig(require_auth=False), synthesizer=PlainSynthesizer()) as server:
        connection = Connection(server.urls)
        data = b"".join(await wav_of(connection, "Anything.", "sarah"))
    assert assert_valid(data, tmp_path) == (999 + 4001 + 3) // 2  # whole samples only
