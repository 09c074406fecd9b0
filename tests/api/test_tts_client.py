"""The TTS client against the real local server: voices, both formats, streaming, saving and errors."""

from __future__ import annotations

import asyncio
import io
import struct
import wave
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from studio.api.auth import StaticKey, TemporaryKeys
from studio.api.errors import (
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    HttpError,
    NetworkError,
    ProtocolError,
    RateLimitedError,
)
from studio.api.http import RetryPolicy
from studio.api.tts import (
    DEFAULT_FORMAT,
    FORMATS,
    VOICES,
    TtsClient,
    parse_wav_header,
    patch_wav_sizes,
    voice,
)
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from tests.fakes.server import SERVER_KEY, Sleeps

KEY = SERVER_KEY
POLICY = RetryPolicy(attempts=3, base_delay=0.5, jitter=0.5)
TEXT = "Welcome to the future of speech technology!"
EXPECTED_SAMPLES = int(len(TEXT) * 0.06 * 16000)  # the tone synthesizer's length




class GatedSynthesizer:
    """Sends one chunk, then waits for the test to say it heard it before sending the next."""

    def __init__(self) -> None:
        self.heard_first = asyncio.Event()
        self.second_sent = False

    def voices(self) -> Sequence[str]:
        return ["sarah"]

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        yield b"\x01\x00" * 800
        await asyncio.wait_for(self.heard_first.wait(), 5)
        self.second_sent = True
        yield b"\x02\x00" * 800


class EndlessSynthesizer:
    """Speaks for ever, noting when the server stops asking for more."""

    def __init__(self) -> None:
        self.chunks = 0
        self.closed = asyncio.Event()

    def voices(self) -> Sequence[str]:
        return ["sarah"]

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        try:
            while True:
                self.chunks += 1
                yield bytes(3200)
                await asyncio.sleep(0.001)
        finally:
            self.closed.set()


@pytest.fixture
async def tts(server: LocalServer, sleeps: Sleeps) -> AsyncIterator[TtsClient]:
    async with TtsClient(StaticKey(KEY), url=server.urls.tts, retry=POLICY, sleep=sleeps) as client:
        yield client


def test_the_real_voices_and_formats() -> None:
    assert [(v.id, v.description) for v in VOICES] == [
        ("sarah", "English Female (UK)"), ("theo", "English Male (UK)"),
        ("megan", "English Female (US)"), ("jack", "English Male (US)")]
    assert TtsClient.voices() == VOICES
    assert FORMATS == ("wav_16000", "pcm_16000") and DEFAULT_FORMAT == "wav_16000"
    jack = voice("jack")
    assert jack is not None and jack.description == "English Male (US)"
    assert voice("james") is None


async def test_wav_is_the_default_with_a_parsable_header(tts: TtsClient) -> None:
    audio = await tts.synthesize(TEXT)
    info = parse_wav_header(audio)
    assert (info.channels, info.sample_rate, info.bits) == (1, 16000, 16)
    assert info.data_size == 2 * EXPECTED_SAMPLES  # the service's WAV carries its real length
    assert len(audio) == 44 + 2 * EXPECTED_SAMPLES
    with wave.open(io.BytesIO(audio)) as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (1, 16000, 2)
        assert len(reader.readframes(10**9)) == 2 * EXPECTED_SAMPLES  # reads to the end of the stream


async def test_pcm_is_bare_samples_of_the_same_length(tts: TtsClient) -> None:
    pcm = await tts.synthesize(TEXT, output_format="pcm_16000")
    wav = await tts.synthesize(TEXT, output_format="wav_16000")
    assert not pcm.startswith(b"RIFF")
    assert len(pcm) == 2 * EXPECTED_SAMPLES and pcm == wav[44:]
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    assert max(samples) > 5000 and min(samples) < -5000  # a tone, not silence


async def test_every_voice_speaks_differently(tts: TtsClient) -> None:
    bodies = {v.id: await tts.synthesize("Hi", voice=v.id, output_format="pcm_16000") for v in VOICES}
    assert len(set(bodies.values())) == 4


async def test_chunks_arrive_as_they_are_produced(server: LocalServer, tts: TtsClient) -> None:
    gate = GatedSynthesizer()
    server.synthesizer = gate
    chunks: list[bytes] = []
    async for chunk in tts.stream("Hello", output_format="pcm_16000"):
        if not chunks:
            # The first audio is here while the server is still waiting to produce the second chunk.
            assert not gate.second_sent
            gate.heard_first.set()
        chunks.append(chunk)
    body = b"".join(chunks)
    assert body == b"\x01\x00" * 800 + b"\x02\x00" * 800
    assert gate.second_sent


async def test_a_listener_that_stops_early_stops_the_synthesis(server: LocalServer, tts: TtsClient) -> None:
    endless = EndlessSynthesizer()
    server.synthesizer = endless
    received = 0
    async for chunk in tts.stream("Talk for ever", output_format="pcm_16000"):  # PCM streams as it is made
        received += len(chunk)
        if received > 20_000:
            break
    await asyncio.wait_for(endless.closed.wait(), 5)  # the server stopped asking the synthesizer for more
    assert received >= 20_000


async def test_a_listener_that_hangs_up_while_a_wav_is_made_stops_the_synthesis(server: LocalServer,
                                                                                 tts: TtsClient) -> None:
    endless = EndlessSynthesizer()
    server.synthesizer = endless
    async def first_bytes() -> bytes:
        async for chunk in tts.stream("Talk for ever"):  # a WAV: made whole, then sent
            return chunk
        return b""

    listening = asyncio.create_task(first_bytes())
    async with asyncio.timeout(10):  # the synthesis is under way (it never ends by itself)
        while endless.chunks < 20:
            await asyncio.sleep(0.005)
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)
    await asyncio.wait_for(endless.closed.wait(), 10)  # the server noticed and stopped asking for more


async def test_save_writes_the_real_wav_sizes(tts: TtsClient, tmp_path: Path) -> None:
    target = tmp_path / "hello.wav"
    size = await tts.save(TEXT, target, voice="theo")
    assert size == target.stat().st_size == 44 + 2 * EXPECTED_SAMPLES
    info = parse_wav_header(target.read_bytes())
    assert info.data_size == 2 * EXPECTED_SAMPLES
    with wave.open(str(target)) as reader:
        assert reader.getnframes() == EXPECTED_SAMPLES
    pcm = tmp_path / "hello.pcm"
    assert await tts.save(TEXT, pcm, output_format="pcm_16000") == 2 * EXPECTED_SAMPLES


def test_patch_and_parse_wav_headers(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError):
        parse_wav_header(b"ID3" + bytes(60))
    target = tmp_path / "x.wav"
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(bytes(100))
    target.write_bytes(buffer.getvalue()[:4] + b"\xff\xff\xff\xff" + buffer.getvalue()[8:40] + b"\xff\xff\xff\xff"
                       + buffer.getvalue()[44:] + bytes(20))
    patch_wav_sizes(target)
    assert parse_wav_header(target.read_bytes()).data_size == 120


async def test_temporary_tts_keys_work(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.urls.management)
    async with TtsClient(keys, url=server.urls.tts) as client:
        assert len(await client.synthesize("Hi", output_format="pcm_16000")) > 0
    assert keys.requests == 1


async def test_errors_are_mapped(server: LocalServer, tts: TtsClient) -> None:
    async with TtsClient(StaticKey("not-the-key-0123"), url=server.urls.tts) as wrong:
        with pytest.raises(AuthenticationError):
            await wrong.synthesize(TEXT)
    server.faults.http.append(HttpFault("/generate", status=403))
    with pytest.raises(AuthenticationError):
        await tts.synthesize(TEXT)
    with pytest.raises(HttpError) as unknown:
        await tts.synthesize(TEXT, voice="james")
    assert unknown.value.status == 422 and "james" in unknown.value.detail
    with pytest.raises(ConfigurationError):
        await tts.synthesize("   ")
    with pytest.raises(ConfigurationError):
        await tts.synthesize(TEXT, output_format="mp3")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        await tts.synthesize(TEXT, voice="../etc")


async def test_busy_and_failing_service_is_retried(server: LocalServer, tts: TtsClient, sleeps: Sleeps) -> None:
    server.faults.http.append(HttpFault("/generate", status=429, retry_after="3"))
    server.faults.http.append(HttpFault("/generate", status=503))
    assert len(await tts.synthesize("Hi", output_format="pcm_16000")) > 0
    assert sleeps.delays[0] == 3.0 and len(sleeps.delays) == 2
    server.faults.http.append(HttpFault("/generate", status=429, times=3))
    with pytest.raises(RateLimitedError):
        await tts.synthesize("Hi")
    server.faults.http.append(HttpFault("/generate", status=500, times=3))
    with pytest.raises(HttpError) as failed:
        await tts.synthesize("Hi")
    assert failed.value.status == 500


async def test_slow_and_broken_answers_are_typed(server: LocalServer, sleeps: Sleeps) -> None:
    async with TtsClient(StaticKey(KEY), url=server.urls.tts, retry=RetryPolicy(attempts=1), sleep=sleeps,
                         timeout=0.3) as slow:
        server.faults.http.append(HttpFault("/generate", delay=0.8, pass_through=True))
        with pytest.raises(ApiTimeoutError):
            await slow.synthesize("Hi")
        server.faults.http.append(HttpFault("/generate", truncate=True))
        with pytest.raises(NetworkError):
            await slow.synthesize("Hi")
    async with TtsClient(StaticKey(KEY), url="http://127.0.0.1:9", retry=RetryPolicy(attempts=1)) as nowhere:
        with pytest.raises(NetworkError):
            await nowhere.synthesize("Hi")
