"""eSpeak NG voices behind the TTS endpoint, through the studio's TtsClient against the local server; and the
round trip: speak a sentence, transcribe it with Whisper, compare."""

from __future__ import annotations

import asyncio
import contextlib
import re
import wave
from collections.abc import AsyncGenerator
from pathlib import Path

import numpy as np
import pytest

from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.errors import HttpError
from studio.api.messages import ServerMessage, Transcript
from studio.api.tts import VOICES, OutputFormat, parse_wav_header
from studio.local.engine import BuiltinEngine
from studio.local.espeak import VOICE_MAP
from studio.services.connections import Connection
from tests.helpers.wer import word_error_rate

SENTENCE = "Please call me back tomorrow morning."
LONG_TEXT = " ".join(["This is a long text that keeps the synthesiser busy for quite a while."] * 60)


async def speak(connection: Connection, text: str, voice: str, output_format: OutputFormat = "pcm_16000") -> bytes:
    async with connection.tts() as tts:
        return await tts.synthesize(text, voice=voice, output_format=output_format)


def pitch(pcm: bytes, rate: int = 16000) -> float:
    """Median fundamental frequency of the voiced 64 ms frames (autocorrelation), in Hz."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    size = 1024
    found = []
    for start in range(0, len(samples) - size, size):
        frame = samples[start:start + size]
        if np.abs(frame).mean() < 500:
            continue
        frame = frame - frame.mean()
        correlation = np.correlate(frame, frame, "full")[size - 1:]
        low, high = rate // 400, rate // 60
        found.append(rate / (low + int(np.argmax(correlation[low:high]))))
    return float(np.median(found))


async def test_the_speechmatics_voices_and_the_local_ones_are_offered(engine: BuiltinEngine) -> None:
    assert engine.server is not None
    voices = list(engine.server.synthesizer.voices())
    assert voices[:4] == [v.id for v in VOICES]
    assert {"en-gb", "en-us", "fr-fr", "de"} <= set(voices)
    assert len(voices) > 100 and len(set(voices)) == len(voices)
    assert all(re.match(r"^[a-z0-9][a-z0-9_-]*$", v) for v in voices)  # ids the client accepts


async def test_the_four_voices_are_distinct(connection: Connection) -> None:
    spoken = {voice: await speak(connection, "How are you getting on, buddy?", voice) for voice in VOICE_MAP}
    assert len(set(spoken.values())) == 4
    pitches = {voice: pitch(pcm) for voice, pcm in spoken.items()}
    for female in ("sarah", "megan"):
        for male in ("theo", "jack"):
            assert pitches[female] > pitches[male] + 40, pitches
    for pcm in spoken.values():
        assert 1.0 < len(pcm) / 32000 < 4.0


async def test_wav_is_a_complete_file_with_its_real_length(connection: Connection, tmp_path: Path) -> None:
    text = " ".join([SENTENCE] * 8)
    async with connection.tts() as tts:
        data = b"".join([chunk async for chunk in tts.stream(text, voice="theo", output_format="wav_16000")])
    header = parse_wav_header(data)
    assert (header.channels, header.sample_rate, header.bits) == (1, 16000, 16)
    assert header.data_size == len(data) - 44 > 10 * 32000  # the real size, as sent, not a stream marker
    saved = tmp_path / "as-sent.wav"
    saved.write_bytes(data)  # what the official SDK's examples do with the response
    with wave.open(str(saved)) as reader:
        assert reader.getnframes() == (len(data) - 44) // 2
    pcm = await speak(connection, text, "theo")
    assert abs(len(pcm) - (len(data) - 44)) <= 0.02 * len(pcm)  # the same speech as the PCM stream


async def test_pcm_is_streamed_as_it_is_made(connection: Connection) -> None:
    chunks = 0
    async with connection.tts() as tts:
        async for _chunk in tts.stream(LONG_TEXT, voice="theo", output_format="pcm_16000"):
            chunks += 1
    assert chunks > 5  # pieces as eSpeak NG makes them, not one body at the end


async def test_speaking_then_transcribing_gives_the_sentence_back(connection: Connection, tmp_path: Path) -> None:
    wav = tmp_path / "spoken.wav"
    async with connection.tts() as tts:
        await tts.save(SENTENCE, wav, voice="sarah")
    async with connection.batch() as batch:
        document = await batch.transcribe(wav, {"type": "transcription", "transcription_config": {"language": "en"}},
                                          poll_interval=0.05)
    heard = " ".join(r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word")
    assert word_error_rate(SENTENCE, heard) <= 0.34, heard

    # And live: another voice, as raw PCM, through a realtime session.
    pcm = await speak(connection, SENTENCE, "megan")
    messages: list[ServerMessage] = []
    session = await connection.realtime().start(AudioFormat("pcm_s16le", 16000), TranscriptionConfig(language="en"))
    session.add_listener(messages.append)
    for offset in range(0, len(pcm), 3200):
        await session.send_audio(pcm[offset:offset + 3200])
    await session.end(timeout=30)
    live = " ".join(r.alternatives[0].content for m in messages if isinstance(m, Transcript) and not m.partial
                    for r in m.results if r.type == "word")
    assert word_error_rate(SENTENCE, live) <= 0.34, live


async def test_a_local_voice_speaks_its_language(connection: Connection) -> None:
    pcm = await speak(connection, "Bonjour, comment allez-vous ?", "fr-fr")
    assert 1.0 < len(pcm) / 32000 < 4.0 and np.abs(np.frombuffer(pcm, dtype="<i2")).max() > 1000


async def test_a_listener_that_goes_away_stops_the_synthesis(connection: Connection, engine: BuiltinEngine) -> None:
    async with connection.tts() as tts:
        stream = tts.stream(LONG_TEXT, voice="jack", output_format="pcm_16000")
        assert isinstance(stream, AsyncGenerator)
        async with contextlib.aclosing(stream):
            assert await anext(stream)
    # eSpeak NG speaks one text at a time: the next request is answered at once, not after the long text.
    pcm = await asyncio.wait_for(speak(connection, SENTENCE, "sarah"), timeout=10)
    assert len(pcm) > 32000


async def test_an_unknown_voice_is_refused(connection: Connection) -> None:
    with pytest.raises(HttpError) as refused:
        await speak(connection, SENTENCE, "nobody")
    assert refused.value.status == 422 and "sarah" in str(refused.value)
