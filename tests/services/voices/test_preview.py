"""Voice previews against the real local server: streaming, the cache, every error, cancellation, A/B."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from studio.api.errors import AuthenticationError, ConfigurationError, NetworkError, RateLimitedError
from studio.api.tts import OutputFormat, TtsClient
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from studio.services.connections import Connection
from studio.services.voices.cache import PreviewCache
from studio.services.voices.catalogue import speechmatics_catalogue
from studio.services.voices.clip import (
    BUILTIN,
    SPEECHMATICS_TEXT_LIMIT,
    Clip,
    ClipState,
    PreviewRequest,
    TextTooLongError,
    VoiceUnavailableError,
)
from studio.services.voices.preview import PreviewService
from tests.fakes.server import Sleeps
from tests.services.voices.conftest import HeldSynthesizer, RequestCounter, fast_tts

TEXT = "Welcome to the future of speech technology!"


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Waits until ``condition`` holds (checked every few milliseconds), failing after ``timeout`` seconds."""
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)


def request(server: LocalServer, text: str = TEXT, voice: str = "sarah",
            output_format: OutputFormat = "pcm_16000") -> PreviewRequest:
    return PreviewRequest(text, voice, engine=server.urls.tts, output_format=output_format)


async def test_a_preview_streams_into_its_clip(server: LocalServer, service: PreviewService,
                                               counter: RequestCounter) -> None:
    held = HeldSynthesizer()
    server.synthesizer = held
    clip = Clip(request(server))
    task = asyncio.create_task(service.fill(clip))
    await until(lambda: clip.pcm.frames > 0)  # the first chunk is in while the server holds the rest back
    assert not task.done()
    assert clip.state.value == "streaming" and not held.last_chunk_sent
    assert clip.pcm.frames == held.chunk_frames
    held.release.set()
    await asyncio.wait_for(task, 10)
    assert clip.state is ClipState.COMPLETE and clip.pcm.complete
    assert np.array_equal(clip.pcm.samples(), held.samples("sarah"))
    assert counter.count == 1 and service.requests == 1


async def test_both_formats_give_the_same_audio(server: LocalServer, service: PreviewService) -> None:
    wav = await service.fill(Clip(request(server, output_format="wav_16000")))
    pcm = await service.fill(Clip(request(server, output_format="pcm_16000")))
    assert wav.duration > 1 and np.array_equal(wav.pcm.samples(), pcm.pcm.samples())


async def test_the_cache_saves_the_second_request(server: LocalServer, service: PreviewService,
                                                  counter: RequestCounter) -> None:
    first = await service.fill(Clip(request(server)))
    assert counter.count == 1 and not first.from_cache
    again = await service.fill(Clip(request(server)))
    assert counter.count == 1, "a replay went to the server"
    assert again.from_cache and again.state is ClipState.COMPLETE
    assert np.array_equal(again.pcm.samples(), first.pcm.samples())
    await service.fill(Clip(request(server, voice="theo")))  # another voice is another clip
    await service.fill(Clip(request(server, text=TEXT + " Again.")))  # and another text
    await service.fill(Clip(request(server, output_format="wav_16000")))  # and another format
    assert counter.count == 4
    assert service.cache is not None
    removed = await asyncio.to_thread(service.cache.clear)
    assert removed.clips == 4 and service.cache.stats().clips == 0
    await service.fill(Clip(request(server)))
    assert counter.count == 5  # cleared: asked again


async def test_the_built_in_engine_and_speechmatics_are_cached_apart(server: LocalServer, service: PreviewService,
                                                                     counter: RequestCounter) -> None:
    await service.fill(Clip(PreviewRequest(TEXT, "sarah", engine=BUILTIN)))
    await service.fill(Clip(PreviewRequest(TEXT, "sarah", engine="https://preview.tts.speechmatics.com")))
    assert counter.count == 2


async def test_text_over_the_limit_is_refused_before_sending(server: LocalServer, service: PreviewService,
                                                             counter: RequestCounter) -> None:
    clip = Clip(request(server, text="a" * (SPEECHMATICS_TEXT_LIMIT + 1)))
    with pytest.raises(TextTooLongError) as refused:
        await service.fill(clip)
    assert "5,001 characters" in str(refused.value) and "5,000" in str(refused.value)
    assert clip.state is ClipState.FAILED and clip.error is refused.value
    with pytest.raises(ConfigurationError, match="Type some text"):
        await service.fill(Clip(request(server, text="  \n ")))
    assert counter.count == 0
    long_local = Clip(PreviewRequest("a" * (SPEECHMATICS_TEXT_LIMIT + 1), "sarah", engine=BUILTIN))
    await service.fill(long_local)  # the built-in engine takes far more
    assert long_local.state is ClipState.COMPLETE


async def test_a_voice_the_engine_does_not_have(server: LocalServer, service: PreviewService,
                                                counter: RequestCounter) -> None:
    clip = Clip(request(server, voice="fr-fr"))
    with pytest.raises(VoiceUnavailableError, match="no voice called “fr-fr”"):
        await service.fill(clip)  # the server's 422
    assert counter.count == 1 and clip.state is ClipState.FAILED
    with pytest.raises(VoiceUnavailableError, match="choose another \\(sarah, theo, megan, jack\\)"):
        await service.fill(Clip(request(server, voice="fr-fr")), speechmatics_catalogue())
    assert counter.count == 1  # known before sending


async def test_service_errors_reach_the_clip(server: LocalServer, connection: Connection, sleeps: Sleeps,
                                             service: PreviewService, counter: RequestCounter) -> None:
    server.faults.http.insert(0, HttpFault("/generate", status=429, retry_after="7", times=3))
    clip = Clip(request(server))
    with pytest.raises(RateLimitedError):
        await service.fill(clip)
    assert clip.state is ClipState.FAILED and isinstance(clip.error, RateLimitedError)
    assert sleeps.delays == [7.0, 7.0]  # retried as the server asked, then given up

    async def wrong_key() -> Connection:
        return Connection(connection.endpoints, api_key="not-the-key-0123456")

    rejected = PreviewService(wrong_key, tts=fast_tts(sleeps))
    with pytest.raises(AuthenticationError):
        await rejected.fill(Clip(request(server)))
    await rejected.aclose()


async def test_an_engine_that_cannot_be_reached(sleeps: Sleeps) -> None:
    async with LocalServer() as gone:
        endpoints = gone.urls
    async def connect() -> Connection:
        return Connection(endpoints, api_key="k")

    service = PreviewService(connect, tts=fast_tts(sleeps))
    clip = Clip(PreviewRequest(TEXT, "sarah", engine=endpoints.tts))
    with pytest.raises(NetworkError):
        await service.fill(clip)
    assert clip.state is ClipState.FAILED
    await service.aclose()


async def test_no_engine_at_all_is_the_connectors_message() -> None:
    async def connect() -> Connection:
        raise ConfigurationError("No API key — add one in Settings (Ctrl+,), or choose the built-in engine")

    service = PreviewService(connect)
    clip = Clip(PreviewRequest(TEXT, "sarah", engine="https://preview.tts.speechmatics.com"))
    with pytest.raises(ConfigurationError, match="No API key"):
        await service.fill(clip)
    assert clip.state is ClipState.FAILED


async def test_cancelling_drops_the_request(server: LocalServer, service: PreviewService) -> None:
    held = HeldSynthesizer(hold=60)
    server.synthesizer = held
    clip = Clip(request(server))
    task = asyncio.create_task(service.fill(clip))
    await until(lambda: clip.pcm.frames > 0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clip.state is ClipState.CANCELLED and clip.pcm.complete
    assert not held.last_chunk_sent
    frames = clip.pcm.frames
    held.release.set()  # the server tries to send the rest, finds the listener gone, and stops
    await asyncio.wait_for(held.closed.wait(), 10)
    assert clip.pcm.frames == frames
    assert service.cache is not None and service.cache.stats().clips == 0  # half a clip is never cached


async def test_fill_all_does_each_voice_and_keeps_going_past_a_failure(server: LocalServer,
                                                                        service: PreviewService) -> None:
    clips = [Clip(request(server, voice=voice)) for voice in ("sarah", "nobody", "jack")]
    await service.fill_all(clips)
    assert [clip.state for clip in clips] == [ClipState.COMPLETE, ClipState.FAILED, ClipState.COMPLETE]
    assert isinstance(clips[1].error, VoiceUnavailableError)
    assert not np.array_equal(clips[0].pcm.samples()[:1000], clips[2].pcm.samples()[:1000])


async def test_the_client_is_kept_while_the_engine_stays(server: LocalServer, connection: Connection) -> None:
    made: list[Connection] = []

    async def connect() -> Connection:
        return Connection(connection.endpoints, api_key=connection.api_key)

    def tts(conn: Connection) -> TtsClient:
        made.append(conn)
        return conn.tts()

    service = PreviewService(connect, cache=None, tts=tts)
    for voice in ("sarah", "theo", "megan"):
        await service.fill(Clip(request(server, voice=voice)))
    assert len(made) == 1
    await service.aclose()


async def test_the_cache_is_bounded(server: LocalServer, connection: Connection, tmp_path: Path) -> None:
    async def connect() -> Connection:
        return connection

    one_clip = 44 + 2 * int(len(TEXT) * 0.06 * 16000)  # the tone synthesizer's length
    cache = PreviewCache(tmp_path / "bounded", max_bytes=int(2.5 * one_clip))
    service = PreviewService(connect, cache=cache)
    for voice in ("sarah", "theo", "megan", "jack"):
        await service.fill(Clip(request(server, voice=voice)))
    assert cache.stats().clips == 2 and cache.stats().bytes <= cache.max_bytes
    assert cache.get(request(server, voice="jack")) is not None  # the newest stay
    assert cache.get(request(server, voice="sarah")) is None
    await service.aclose()
