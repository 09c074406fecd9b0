"""One file through the real local server: realtime (decoded, paced or fast) and batch (uploaded), the shared
recordings (metadata after the audio, 8 kHz), an MP3 and an MP4 made here, and every way it can fail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest

from studio.api import messages as m
from studio.api.auth import StaticKey
from studio.api.batch import BatchClient
from studio.api.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    QuotaExceededError,
)
from studio.api.http import NO_RETRY
from studio.audio import riff
from studio.audio.decode import DecodeError
from studio.core.redaction import Redactor
from studio.core.settings import EngineChoice, Settings
from studio.local.server import LocalServer
from studio.services.connections import Connection
from studio.services.transcribe import (
    Progress,
    TranscribeOptions,
    TranscribeResult,
    available_formats,
    channel_labels,
    export_result,
    transcribe_batch,
    transcribe_file,
    transcribe_realtime,
)
from studio.services.transcribe_target import endpoints_from_url, open_target
from tests.fakes.secrets import MemorySecretStore
from tests.fakes.server import SERVER_KEY
from tests.helpers.media import chunk, fmt_chunk, make_mp3, make_mp4, make_wav, pcm_of

FAST = TranscribeOptions(fast=True)
BATCH = TranscribeOptions(mode="batch", poll_interval=0.05)


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def words(result: TranscribeResult) -> list[str]:
    return [token.text for token in result.transcript().all_finals()]


@pytest.mark.parametrize("name", ["audio_02_8kHz.wav", "audio_04_16kHz.wav", "audio_06_16kHz.wav",
                                  "audio_08_16kHz.wav"])
async def test_realtime_streams_exactly_the_audio_of_a_wav(server: LocalServer, shared_audio: Path,
                                                           name: str) -> None:
    path = shared_audio / name
    wav = riff.read_wav(path)
    result = await transcribe_file(Connection(server.urls, SERVER_KEY), path, FAST)
    # The data chunk alone was streamed (as 16 kHz 16-bit mono): not one byte of the metadata after it.
    assert result.audio_bytes_sent == wav.frames * (16000 // wav.format.sample_rate) * 2
    await eventually(lambda: len(server.usage) == 1)
    assert server.usage[0].seconds == pytest.approx(wav.duration, abs=0.001)
    assert isinstance(result.messages[-1], m.EndOfTranscript)
    assert any(isinstance(x, m.RecognitionStarted) for x in result.messages)
    assert result.session_id and result.mode == "realtime" and result.media.duration == pytest.approx(wav.duration)
    assert words(result)[:4] == ["Welcome", "to", "the", "studio"]


@pytest.mark.parametrize("kind", ["mp3", "mp4"])
async def test_realtime_decodes_an_mp3_and_an_mp4(server: LocalServer, shared_audio: Path, tmp_path: Path,
                                                  kind: str) -> None:
    source = shared_audio / "audio_04_16kHz.wav"
    path = (make_mp3 if kind == "mp3" else make_mp4)(tmp_path / f"talk.{kind}", source)
    result = await transcribe_realtime(Connection(server.urls, SERVER_KEY).realtime(), path, FAST)
    samples, _ = pcm_of(source)
    assert abs(result.audio_bytes_sent / 2 - len(samples)) < 0.1 * 16000
    assert "Welcome" in words(result)


async def test_paced_streaming_takes_the_audio_time_and_fast_does_not(server: LocalServer,
                                                                      shared_audio: Path) -> None:
    connection = Connection(server.urls, SERVER_KEY)
    updates: list[Progress] = []
    paced = await transcribe_file(connection, shared_audio / "audio_09_16kHz.wav", TranscribeOptions(),
                                  updates.append)
    duration = paced.media.duration
    assert duration is not None and duration == pytest.approx(3.2547, abs=0.001)
    assert paced.elapsed >= 0.9 * duration
    streamed = [u.done for u in updates if u.stage == "streaming"]
    assert streamed == sorted(streamed) and streamed[-1] == pytest.approx(duration, abs=0.001)
    assert len(streamed) == 163  # one per 20 ms frame
    assert updates[0].stage == "connecting" and updates[-1].stage == "finishing"
    assert updates[-1].fraction == pytest.approx(1.0)

    fast = await transcribe_file(connection, shared_audio / "audio_03_16kHz.wav", FAST)
    assert fast.media.duration is not None and fast.media.duration == pytest.approx(4.74, abs=0.01)
    assert fast.elapsed < 0.5 * fast.media.duration
    assert words(fast)[:4] == words(paced)[:4]


async def test_batch_uploads_the_file_and_returns_json_v2(server: LocalServer, shared_audio: Path,
                                                           tmp_path: Path) -> None:
    connection = Connection(server.urls, SERVER_KEY)
    path = make_mp4(tmp_path / "meeting.mp4", shared_audio / "audio_05_16kHz.wav")
    updates: list[Progress] = []
    result = await transcribe_file(connection, path, BATCH, updates.append)
    assert result.mode == "batch" and result.job_id and result.document is not None
    assert result.document["results"] and "Welcome" in words(result)
    uploads = [u for u in updates if u.stage == "uploading"]
    assert uploads[-1].done == uploads[-1].total == path.stat().st_size
    assert [u.stage for u in updates][-2:] == ["waiting", "downloading"]
    async with connection.batch() as batch:
        job = await batch.get_job(result.job_id)
        assert job.status == "done" and job.data_name == "meeting.mp4"
        copy = tmp_path / "copy.mp4"
        await batch.download_data(result.job_id, copy)
    assert copy.read_bytes() == path.read_bytes()  # the file itself was uploaded, not a decoded copy


async def test_batch_of_the_8k_wav_with_metadata(server: LocalServer, shared_audio: Path) -> None:
    result = await transcribe_file(Connection(server.urls, SERVER_KEY), shared_audio / "audio_02_8kHz.wav", BATCH)
    assert result.document is not None and result.document["results"]
    assert result.transcript().all_finals()[-1].end <= 35.815 + 1.5  # nothing transcribed past the audio


async def test_channel_diarization_sends_each_channel(server: LocalServer, shared_audio: Path,
                                                      tmp_path: Path) -> None:
    left, _ = pcm_of(shared_audio / "audio_09_16kHz.wav")
    right, _ = pcm_of(shared_audio / "audio_03_16kHz.wav")
    frames = min(len(left), len(right))
    stereo = np.stack([left[:frames], right[:frames]], axis=1)
    path = make_wav(tmp_path / "call.wav", [fmt_chunk(channels=2), chunk(b"data", stereo.astype("<i2").tobytes()),
                                            chunk(b"iXML", b"<xml>" * 100)])
    options = TranscribeOptions(diarization="channel", fast=True)
    result = await transcribe_file(Connection(server.urls, SERVER_KEY), path, options)
    assert result.config.channel_diarization_labels == channel_labels(2) == ("Channel 1", "Channel 2")
    assert {final.channel for final in result.finals if final.results} == {"Channel 1", "Channel 2"}
    assert result.audio_bytes_sent == frames * 2 * 2
    assert set(result.transcript().channels) == {"Channel 1", "Channel 2"}


async def test_every_available_format_is_written(server: LocalServer, shared_audio: Path) -> None:
    result = await transcribe_file(Connection(server.urls, SERVER_KEY), shared_audio / "audio_09_16kHz.wav", FAST)
    assert "json" in available_formats()
    document = json.loads(export_result(result, "json"))
    assert "Welcome" in json.dumps(document)
    for fmt in available_formats():
        assert export_result(result, fmt), fmt
    for fmt in {"txt", "srt", "vtt", "docx"} - set(available_formats()):
        with pytest.raises(ConfigurationError, match="not available"):
            export_result(result, fmt)


# -- failures ----------------------------------------------------------------------------------------------

Run = Callable[[Connection, Path], Awaitable[TranscribeResult]]
MODES = {"realtime": lambda c, p: transcribe_file(c, p, FAST), "batch": lambda c, p: transcribe_file(c, p, BATCH)}


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_a_rejected_key(server: LocalServer, shared_audio: Path, mode: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        await MODES[mode](Connection(server.urls, "not-the-right-key-123"), shared_audio / "audio_09_16kHz.wav")
    assert str(caught.value) == "Your API key was rejected"


@pytest.mark.parametrize("mode", sorted(MODES))
async def test_a_file_that_is_not_audio_is_refused_before_anything_is_sent(server: LocalServer, tmp_path: Path,
                                                                           mode: str) -> None:
    path = tmp_path / "minutes.wav"
    path.write_text("Minutes of the meeting\n" * 50)
    with pytest.raises(DecodeError, match=r"^Not an audio or video file the studio can read$"):
        await MODES[mode](Connection(server.urls, SERVER_KEY), path)
    with pytest.raises(DecodeError, match=r"^No such file$"):
        await MODES[mode](Connection(server.urls, SERVER_KEY), tmp_path / "missing.mp3")
    async with Connection(server.urls, SERVER_KEY).batch() as batch:
        assert await batch.list_jobs() == []
    assert server.usage == []


async def test_a_connection_lost_mid_stream(server: LocalServer, shared_audio: Path) -> None:
    server.faults.realtime.drop_after_frames = 100
    with pytest.raises(NetworkError) as caught:
        await transcribe_file(Connection(server.urls, SERVER_KEY), shared_audio / "audio_05_16kHz.wav", FAST)
    assert "\n" not in str(caught.value) and "lost" in str(caught.value)


async def test_quota_reached_mid_stream(server: LocalServer, shared_audio: Path) -> None:
    server.faults.realtime.error_after_frames = (20, "quota_exceeded", "Concurrent Quota Exceeded")
    with pytest.raises(QuotaExceededError, match="quota"):
        await transcribe_file(Connection(server.urls, SERVER_KEY), shared_audio / "audio_03_16kHz.wav", FAST)


async def test_a_server_that_is_gone(shared_audio: Path) -> None:
    async with LocalServer() as gone:
        urls = gone.urls
    path = shared_audio / "audio_09_16kHz.wav"
    with pytest.raises(NetworkError, match="could not be reached"):
        await transcribe_file(Connection(urls, SERVER_KEY), path, FAST)
    async with BatchClient(StaticKey(SERVER_KEY), url=urls.batch, retry=NO_RETRY) as batch:
        with pytest.raises(NetworkError, match="could not be reached"):
            await transcribe_batch(batch, path, BATCH)


async def test_settings_realtime_refuses(server: LocalServer, shared_audio: Path) -> None:
    path = shared_audio / "audio_09_16kHz.wav"
    connection = Connection(server.urls, SERVER_KEY)
    with pytest.raises(ConfigurationError, match="batch jobs only"):
        await transcribe_file(connection, path, TranscribeOptions(language="auto", fast=True))
    with pytest.raises(ConfigurationError, match="maximum delay"):
        await transcribe_file(connection, path, TranscribeOptions(max_delay=9.0, fast=True))
    with pytest.raises(ApiError, match="speaks only English"):
        await transcribe_file(connection, path, TranscribeOptions(language="de", fast=True))


# -- where the work goes -----------------------------------------------------------------------------------

def test_one_url_names_both_protocols() -> None:
    plain = endpoints_from_url("http://127.0.0.1:8123")
    assert (plain.realtime, plain.batch) == ("ws://127.0.0.1:8123/v2", "http://127.0.0.1:8123/v2")
    secure = endpoints_from_url("wss://onprem.example:9000/v2/")
    assert (secure.realtime, secure.batch, secure.management) == (
        "wss://onprem.example:9000/v2", "https://onprem.example:9000/v2", "https://onprem.example:9000")
    for bad in ("ftp://host/v2", "http://", "http://host:port/v2"):
        with pytest.raises(ConfigurationError):
            endpoints_from_url(bad)


async def test_the_built_in_engine_runs_for_the_block(shared_audio: Path) -> None:
    async with open_target("local", env={}, redactor=Redactor()) as target:
        assert target.label.startswith("Built-in engine")
        result = await transcribe_file(target.connection, shared_audio / "audio_09_16kHz.wav", FAST)
        assert result.finals
        url = target.connection.endpoints.batch
    async with BatchClient(StaticKey("x"), url=url, retry=NO_RETRY) as batch:
        with pytest.raises(NetworkError):  # stopped with the block
            await batch.list_jobs()


async def test_speechmatics_needs_a_key_from_the_environment_or_the_keychain(server: LocalServer) -> None:
    redactor = Redactor()
    url = server.urls.batch
    with pytest.raises(ConfigurationError, match="No API key"):
        async with open_target("speechmatics", url, env={}, redactor=redactor, secrets=MemorySecretStore()):
            pass
    with pytest.raises(ConfigurationError, match="keychain"):
        async with open_target("speechmatics", url, env={}, redactor=redactor,
                               secrets=MemorySecretStore(unavailable=True)):
            pass
    async with open_target("speechmatics", url, env={}, redactor=redactor,
                           secrets=MemorySecretStore(SERVER_KEY)) as target:
        assert target.connection.api_key == SERVER_KEY and target.label == url
    keychain = MemorySecretStore("keychain-key-0123456789")
    async with open_target("speechmatics", url, env={"SPEECHMATICS_API_KEY": SERVER_KEY}, redactor=redactor,
                           secrets=keychain) as target:
        assert target.connection.api_key == SERVER_KEY and keychain.calls == []
    assert redactor.redact(f"key {SERVER_KEY}") == "key [REDACTED]"


async def test_without_an_engine_the_settings_decide(server: LocalServer) -> None:
    redactor = Redactor()
    auto = Settings()
    async with open_target(None, env={}, redactor=redactor, secrets=MemorySecretStore(), settings=auto) as target:
        assert target.connection.api_key is None and target.label.startswith("Built-in engine")
    async with open_target(None, env={}, redactor=redactor, secrets=MemorySecretStore(unavailable=True),
                           settings=auto) as target:
        assert target.connection.api_key is None
    env = {"SPEECHMATICS_API_KEY": SERVER_KEY, "SPEECHMATICS_RT_URL": server.urls.realtime}
    async with open_target(None, env=env, redactor=redactor, settings=auto) as target:
        assert target.connection.endpoints.realtime == server.urls.realtime
    local = Settings(engine=EngineChoice.LOCAL)
    async with open_target(None, env=env, redactor=redactor, settings=local) as target:
        assert target.connection.api_key is None
    with pytest.raises(ConfigurationError, match="--url"):
        async with open_target("local", "http://127.0.0.1:1/v2", env={}, redactor=redactor):
            pass
