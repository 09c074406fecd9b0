"""The batch client against the real local server over real sockets: every endpoint, every error path,
fault injection (429/5xx/slow/truncated/malformed), polling, fetch jobs and the streaming upload."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import struct
import wave
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from studio.api.auth import StaticKey, TemporaryKeys
from studio.api.batch import BatchClient, JobDetails, MultipartUpload, UsageReport, parse_timestamp
from studio.api.config import JobConfig, TranscriptionConfig
from studio.api.errors import (
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    GoneError,
    HttpError,
    JobFailedError,
    LockedError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
)
from studio.api.http import RetryPolicy, make_client
from studio.local.batch import jobs_of
from studio.local.faults import HttpFault
from studio.local.server import LocalServer, TemporaryKeyStore, UsageRecord
from tests.fakes.server import SERVER_KEY, Sleeps

KEY = SERVER_KEY
POLICY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=20.0, jitter=0.5)




def write_wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    frames = int(seconds * rate)
    samples = (int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@pytest.fixture
async def client(server: LocalServer, sleeps: Sleeps) -> AsyncIterator[BatchClient]:
    async with BatchClient(StaticKey(KEY), url=server.urls.batch, retry=POLICY, sleep=sleeps) as batch:
        yield batch


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "talk.wav", 3.0)


async def finished(server: LocalServer, job_id: str) -> None:
    job = jobs_of(server).get(job_id)
    assert job is not None
    await asyncio.wait_for(job.finished.wait(), 10)


def speaker_config(**overrides: Any) -> JobConfig:
    return JobConfig(TranscriptionConfig(language="en", diarization="speaker"), **overrides)


# -- submitting -------------------------------------------------------------------------------------

async def test_streaming_upload_has_exact_length_reports_progress_and_arrives_intact(
        server: LocalServer, tmp_path: Path) -> None:
    media = write_wav(tmp_path / "long talk.wav", 4.0)
    requests: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request)

    http = make_client(read_timeout=10)
    http.event_hooks["request"] = [record]
    progress: list[tuple[int, int]] = []
    async with http, BatchClient(StaticKey(KEY), url=server.urls.batch, client=http, chunk_size=16 * 1024) as batch:
        job_id = await batch.submit(media, speaker_config(), progress=lambda s, t: progress.append((s, t)))
        size = media.stat().st_size
        upload = requests[0]
        assert upload.method == "POST" and upload.url.path == "/v2/jobs"
        assert "transfer-encoding" not in upload.headers
        assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
        assert size < int(upload.headers["content-length"]) < size + 1024
        assert upload.headers["authorization"] == f"Bearer {KEY}"
        assert upload.url.params["sm-sdk"].startswith("studio-python-v")
        # One callback per 16 KiB chunk, growing to the file size.
        assert progress[0] == (0, size) and progress[-1] == (size, size)
        assert len(progress) == math.ceil(size / (16 * 1024)) + 1
        assert all(a[0] < b[0] for a, b in itertools.pairwise(progress))
        assert re.fullmatch(r"[a-z0-9]{10}", job_id)
        copy = tmp_path / "copy.wav"
        assert await batch.download_data(job_id, copy) == size
        assert copy.read_bytes() == media.read_bytes()
        job = await batch.get_job(job_id)
        assert job.data_name == "long talk.wav"
        assert job.config["transcription_config"] == {"language": "en", "diarization": "speaker"}


async def test_the_body_is_generated_in_chunks_of_the_file(tmp_path: Path) -> None:
    media = tmp_path / "blob.bin"
    media.write_bytes(bytes(range(256)) * 400)  # 102,400 bytes
    upload = MultipartUpload('{"type": "transcription"}', media, filename='a "quoted"\nname.bin', chunk_size=10_000)
    chunks = [chunk async for chunk in upload.stream(media.stat().st_size)]
    body = b"".join(chunks)
    assert len(body) == upload.content_length(media.stat().st_size)
    assert max(len(c) for c in chunks[1:-1]) == 10_000 and len(chunks) == 2 + 11
    assert b'filename="a %22quoted%22%0Aname.bin"' in body
    assert body.endswith(f"\r\n--{upload.boundary}--\r\n".encode())
    assert media.read_bytes() in body


async def test_a_file_that_shrinks_during_the_upload_is_a_configuration_error(
        client: BatchClient, tmp_path: Path) -> None:
    media = write_wav(tmp_path / "shrinking.wav", 2.0)
    client._chunk_size = 8192

    def cut(sent: int, total: int) -> None:
        if sent:
            with media.open("r+b") as f:
                f.truncate(sent)

    with pytest.raises(ConfigurationError, match="got shorter"):
        await client.submit(media, speaker_config(), progress=cut)


async def test_a_retried_upload_restarts_the_file_stream(server: LocalServer, client: BatchClient, sleeps: Sleeps,
                                                         wav: Path) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=503))
    progress: list[tuple[int, int]] = []
    job_id = await client.submit(wav, speaker_config(), progress=lambda s, t: progress.append((s, t)))
    size = wav.stat().st_size
    assert [p for p in progress if p[0] == 0] == [(0, size), (0, size)]  # two attempts, each from the start
    assert progress[-1] == (size, size)
    assert len(sleeps.delays) == 1
    await finished(server, job_id)
    assert (await client.get_job(job_id)).status == "done"


async def test_submit_refuses_what_cannot_be_sent(client: BatchClient, server: LocalServer, wav: Path,
                                                  tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Choose a file"):
        await client.submit(None, speaker_config())
    with pytest.raises(ConfigurationError, match="not both"):
        await client.submit(wav, JobConfig(fetch_url="http://127.0.0.1:9/a.wav"))
    with pytest.raises(ConfigurationError, match="not a file"):
        await client.submit(tmp_path / "missing.wav", speaker_config())
    with pytest.raises(ConfigurationError, match="diarization"):
        await client.submit(wav, JobConfig(TranscriptionConfig(diarization="channel_and_speaker")))
    assert jobs_of(server).jobs == {}


async def test_the_server_rejects_an_invalid_config_with_the_spec_error(client: BatchClient, wav: Path) -> None:
    with pytest.raises(HttpError) as caught:
        await client.submit(wav, {"type": "transcription", "transcription_config": {"language": "en",
                                                                                    "model": "huge"}})
    assert caught.value.status == 400 and caught.value.error == "Job rejected"
    assert "model" in caught.value.detail
    with pytest.raises(HttpError) as missing:
        await client.submit(wav, {"type": "transcription", "transcription_config": {}})
    assert missing.value.error == "No language selected"


# -- polling and results ----------------------------------------------------------------------------

async def test_polling_to_completion_then_every_transcript_format(server: LocalServer, client: BatchClient,
                                                                  sleeps: Sleeps, wav: Path) -> None:
    server.config.min_job_seconds = 0.15
    job_id = await client.submit(wav, speaker_config(srt_overrides={"max_line_length": 12, "max_lines": 1}))
    seen: list[str] = []
    job = await client.wait_for_completion(job_id, poll_interval=0.01, max_poll_interval=0.04,
                                           on_status=lambda j: seen.append(j.status))
    assert job.status == "done" and job.duration == 3
    assert seen[0] == "running" and seen[-1] == "done"
    assert sleeps.delays[:3] == pytest.approx([0.01, 0.015, 0.0225])
    assert max(sleeps.delays) <= 0.04
    document = await client.transcript(job_id)
    assert list(document)[:4] == ["format", "job", "metadata", "results"]
    assert document["format"] == "2.9"
    assert document["job"]["id"] == job_id and document["job"]["data_name"] == "talk.wav"
    assert document["metadata"]["transcription_config"]["diarization"] == "speaker"
    words = [r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word"]
    assert words[:3] == ["Welcome", "to", "the"]
    text = await client.transcript_text(job_id, "txt")
    assert text.startswith("SPEAKER: S1\nWelcome to the studio.")
    srt = await client.transcript_text(job_id, "srt")
    cues = [c for c in srt.strip().split("\n\n") if c]
    assert cues[0].startswith("1\n00:00:00,500 --> ")
    for cue in cues:
        lines = cue.split("\n")[2:]
        assert len(lines) == 1 and all(len(line) <= 12 for line in lines)
    log = await client.log(job_id)
    assert job_id in log and "Job done" in log


async def test_transcript_of_a_running_job_is_not_found(server: LocalServer, client: BatchClient, wav: Path) -> None:
    server.config.min_job_seconds = 30
    job_id = await client.submit(wav, speaker_config())
    with pytest.raises(NotFoundError) as caught:
        await client.transcript(job_id)
    assert caught.value.status == 404 and caught.value.error == "Job not found"
    assert caught.value.detail == "The transcript is not ready: the job is still running"
    assert caught.value.retryable is False


async def test_wait_times_out_on_a_job_that_keeps_running(server: LocalServer, wav: Path) -> None:
    server.config.min_job_seconds = 30
    now = [0.0]

    async def advance(delay: float) -> None:
        now[0] += delay
        await asyncio.sleep(0)

    async with BatchClient(StaticKey(KEY), url=server.urls.batch, sleep=advance, clock=lambda: now[0]) as batch:
        job_id = await batch.submit(wav, speaker_config())
        with pytest.raises(ApiTimeoutError, match="did not finish within 10 s"):
            await batch.wait_for_completion(job_id, poll_interval=1.0, max_poll_interval=4.0, timeout=10)
    assert now[0] == pytest.approx(10.0)


async def test_rejected_fetch_job_raises_job_failed_with_the_servers_message(
        server: LocalServer, client: BatchClient) -> None:
    missing = f"{server.base_url}/no/such/audio.wav"
    job_id = await client.submit(None, JobConfig(fetch_url=missing))
    with pytest.raises(JobFailedError) as caught:
        await client.wait_for_completion(job_id, poll_interval=0.01)
    assert caught.value.status == "rejected" and caught.value.job_id == job_id
    assert caught.value.errors == ["unable to fetch audio: http status code 404"]
    assert "unable to fetch audio: http status code 404" in str(caught.value)
    job = await client.get_job(job_id)
    assert job.data_name == "" and job.duration == 0
    assert parse_timestamp(job.errors[0].timestamp) is not None


async def test_fetch_job_downloads_the_url_with_its_auth_headers(server: LocalServer, client: BatchClient,
                                                                 wav: Path) -> None:
    seen: list[tuple[str, str]] = []

    async def audio(request: web.Request) -> web.StreamResponse:
        seen.append((request.headers.get("Authorization", ""), request.headers.get("User-Agent", "")))
        return web.FileResponse(wav)

    app = web.Application()
    app.router.add_get("/talk.wav", audio)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        config = JobConfig(fetch_url=f"http://127.0.0.1:{port}/talk.wav",
                           fetch_auth_headers=("Authorization: Bearer xyz",))
        job = await client.wait_for_completion(await client.submit(None, config), poll_interval=0.01)
    finally:
        await runner.cleanup()
    assert seen == [("Bearer xyz", "Speechmatics-API/2.0")]
    assert job.status == "done" and job.duration == 3 and job.data_name == ""
    assert job.config["fetch_data"]["url"].endswith("/talk.wav")


async def test_rejected_media_fails_the_wait(server: LocalServer, client: BatchClient, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("this is not audio\n" * 50)
    job_id = await client.submit(junk, speaker_config())
    with pytest.raises(JobFailedError) as caught:
        await client.wait_for_completion(job_id, poll_interval=0.01)
    assert caught.value.errors and caught.value.errors[0].startswith("Job rejected due to invalid audio")
    with pytest.raises(NotFoundError) as no_transcript:
        await client.transcript(job_id)
    assert no_transcript.value.error == "Job not found"
    assert no_transcript.value.detail.startswith("There is no transcript: the job was rejected (Job rejected due to")


async def test_real_speech_from_the_shared_recordings(server: LocalServer, client: BatchClient,
                                                      shared_audio: Path) -> None:
    document = await client.transcribe(shared_audio / "audio_04_16kHz.wav", JobConfig(), poll_interval=0.01)
    assert document["job"]["duration"] == 10  # 9.9 s
    assert document["job"]["data_name"] == "audio_04_16kHz.wav"
    assert document["results"] and all("speaker" not in r["alternatives"][0] for r in document["results"])
    assert not (await client.transcript_text(document["job"]["id"], "txt")).startswith("SPEAKER")


# -- listing, deleting, expiry ----------------------------------------------------------------------

async def test_list_newest_first_with_limit_cursor_and_deleted(server: LocalServer, client: BatchClient,
                                                              wav: Path) -> None:
    ids = [await client.submit(wav, speaker_config()) for _ in range(3)]
    for job_id in ids:
        await finished(server, job_id)
    listed = await client.list_jobs()
    assert [j.id for j in listed] == ids[::-1]
    assert all(isinstance(j, JobDetails) and j.created_at is not None for j in listed)
    assert [j.id for j in await client.list_jobs(limit=2)] == ids[:0:-1]
    newest = listed[0].created_at
    assert newest is not None
    older = await client.list_jobs(created_before=newest)
    assert ids[2] not in [j.id for j in older]
    assert await client.list_jobs(created_before=datetime(2000, 1, 1, tzinfo=UTC)) == []
    deleted = await client.delete_job(ids[1])
    assert deleted.status == "deleted"
    assert [j.id for j in await client.list_jobs()] == [ids[2], ids[0]]
    with_deleted = await client.list_jobs(include_deleted=True)
    assert [(j.id, j.status) for j in with_deleted][1] == (ids[1], "deleted")
    with pytest.raises(ConfigurationError):
        await client.list_jobs(limit=0)


async def test_delete_a_running_job_is_locked_unless_forced(server: LocalServer, client: BatchClient,
                                                            wav: Path) -> None:
    server.config.min_job_seconds = 30
    job_id = await client.submit(wav, speaker_config())
    with pytest.raises(LockedError) as caught:
        await client.delete_job(job_id)
    assert caught.value.status == 423 and caught.value.error == "Resource Locked"
    assert (await client.get_job(job_id)).status == "running"
    job = await client.delete_job(job_id, force=True)
    assert job.status == "deleted"
    with pytest.raises(JobFailedError) as failed:
        await client.wait_for_completion(job_id, poll_interval=0.01)
    assert failed.value.status == "deleted"
    with pytest.raises(GoneError) as gone:
        await client.transcript(job_id)
    assert gone.value.status == 410 and gone.value.error == "File Expired"
    with pytest.raises(GoneError):
        await client.download_data(job_id, Path(server.data_dir) / "never.wav")


async def test_an_expired_job_fails_the_wait(server: LocalServer, client: BatchClient, wav: Path) -> None:
    job_id = await client.submit(wav, speaker_config())
    await finished(server, job_id)
    jobs_of(server).expire(job_id)
    with pytest.raises(JobFailedError, match="expired") as caught:
        await client.wait_for_completion(job_id)
    assert caught.value.status == "expired"


async def test_unknown_jobs_are_not_found_everywhere(client: BatchClient, tmp_path: Path) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: client.get_job("zzzzzzzzzz"), lambda: client.delete_job("zzzzzzzzzz"),
        lambda: client.transcript("zzzzzzzzzz"), lambda: client.transcript_text("zzzzzzzzzz", "srt"),
        lambda: client.log("zzzzzzzzzz"), lambda: client.download_data("zzzzzzzzzz", tmp_path / "x"),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as caught:
            await call()
        assert caught.value.error == "Job not found"


# -- usage ------------------------------------------------------------------------------------------

async def test_usage_summarises_jobs_by_day(server: LocalServer, client: BatchClient, wav: Path) -> None:
    job_id = await client.submit(wav, speaker_config())
    await finished(server, job_id)
    today = datetime.now(UTC).date()
    server.usage.append(UsageRecord("batch", "de", "enhanced", 1800.0, (today - timedelta(days=40)).isoformat()))
    report = await client.usage(since=today, until=today)
    assert isinstance(report, UsageReport)
    assert report.since == f"{today.isoformat()}T00:00:00Z" and report.until == f"{today.isoformat()}T23:59:59Z"
    assert [(e.mode, e.kind, e.count) for e in report.summary] == [("batch", "transcription", 1)]
    assert report.total_hours == pytest.approx(3 / 3600, abs=1e-4)
    assert [(e.language, e.operating_point) for e in report.details] == [("en", "standard")]
    old = await client.usage(since=today - timedelta(days=60), until=date.fromordinal(today.toordinal() - 1))
    assert [(e.language, e.operating_point, e.duration_hrs) for e in old.details] == [("de", "enhanced", 0.5)]
    with pytest.raises(HttpError) as caught:
        await client.usage(since="last tuesday")
    assert caught.value.status == 422 and caught.value.error == "since in query must be of type date"


# -- authentication ---------------------------------------------------------------------------------

async def test_a_wrong_key_is_an_authentication_error_on_every_endpoint(server: LocalServer, wav: Path) -> None:
    async with BatchClient(StaticKey("wrong-key-0123456789"), url=server.urls.batch) as batch:
        calls: list[Callable[[], Any]] = [
            lambda: batch.submit(wav, speaker_config()), lambda: batch.list_jobs(),
            lambda: batch.get_job("abcdefghij"), lambda: batch.delete_job("abcdefghij"),
            lambda: batch.transcript("abcdefghij"), lambda: batch.log("abcdefghij"), lambda: batch.usage(),
        ]
        for call in calls:
            with pytest.raises(AuthenticationError):
                await call()


async def test_temporary_keys_are_used_and_replaced_when_rejected(server: LocalServer, wav: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keys = TemporaryKeys(KEY, management_url=server.urls.management)
    async with BatchClient(keys, url=server.urls.batch) as batch:
        job_id = await batch.submit(wav, speaker_config())
        assert keys.requests == 1
        server.keys = TemporaryKeyStore()  # every issued key is now unknown to the server
        assert (await batch.get_job(job_id)).id == job_id
        assert keys.requests == 2
        rt_keys = TemporaryKeys(KEY, management_url=server.urls.management)
        rt_only = BatchClient(StaticKey(await rt_keys.token("rt")), url=server.urls.batch)
        with pytest.raises(AuthenticationError):
            await rt_only.get_job(job_id)
        await rt_only.aclose()
    assert KEY not in caplog.text


# -- faults -----------------------------------------------------------------------------------------

async def test_429_with_retry_after_is_honoured(server: LocalServer, client: BatchClient, sleeps: Sleeps) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=429, retry_after="7"))
    assert await client.list_jobs() == []
    assert sleeps.delays == [7.0]


async def test_429_without_retry_after_backs_off_with_jitter(server: LocalServer, client: BatchClient,
                                                             sleeps: Sleeps) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=429, times=2))
    assert await client.list_jobs() == []
    first, second = sleeps.delays
    assert 0.25 <= first <= 0.75 and 0.5 <= second <= 1.5


async def test_429_exhausted_is_rate_limited(server: LocalServer, client: BatchClient, sleeps: Sleeps) -> None:
    server.faults.http.append(HttpFault("/v2/usage", status=429, times=3, retry_after="2"))
    with pytest.raises(RateLimitedError) as caught:
        await client.usage()
    assert caught.value.retry_after == 2.0 and caught.value.error == "Max concurrent running jobs exceeded"
    assert sleeps.delays == [2.0, 2.0]


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_retried_then_succeed(server: LocalServer, client: BatchClient, sleeps: Sleeps,
                                                      status: int) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=status, times=2))
    assert await client.list_jobs() == []
    assert len(sleeps.delays) == 2 and server.faults.http[0].times == 0


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_exhausted_are_typed(server: LocalServer, client: BatchClient, status: int) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=status, times=3))
    with pytest.raises(HttpError) as caught:
        await client.list_jobs()
    assert caught.value.status == status and caught.value.retryable
    assert f"HTTP {status}" in str(caught.value)


async def test_a_rejection_is_not_retried(server: LocalServer, client: BatchClient, sleeps: Sleeps) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=400, times=3))
    with pytest.raises(HttpError) as caught:
        await client.list_jobs()
    assert caught.value.status == 400 and sleeps.delays == [] and server.faults.http[0].times == 2


async def test_slow_answers_time_out_and_are_retried(server: LocalServer, sleeps: Sleeps) -> None:
    async with BatchClient(StaticKey(KEY), url=server.urls.batch, retry=POLICY, sleep=sleeps, timeout=0.3) as batch:
        server.faults.http.append(HttpFault("/v2/jobs", method="GET", delay=0.8, pass_through=True))
        assert await batch.list_jobs() == []
        assert len(sleeps.delays) == 1
        server.faults.http.append(HttpFault("/v2/jobs", method="GET", delay=0.8, pass_through=True, times=3))
        with pytest.raises(ApiTimeoutError):
            await batch.list_jobs()


async def test_a_truncated_body_is_a_network_error(server: LocalServer, client: BatchClient, sleeps: Sleeps) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", truncate=True, times=3))
    with pytest.raises(NetworkError) as caught:
        await client.list_jobs()
    assert not isinstance(caught.value, ApiTimeoutError)
    assert len(sleeps.delays) == 2
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", truncate=True))
    assert await client.list_jobs() == []  # the retry succeeds


@pytest.mark.parametrize("body", [b'{"jobs": [', b"<html>oops</html>", b'{"jobs": "none"}', b"[1, 2]",
                                  b'{"jobs": [{"status": "done"}]}', b"\xff\xfe\x00garbage"])
async def test_malformed_answers_are_protocol_errors(server: LocalServer, client: BatchClient, body: bytes) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=200, body=body))
    with pytest.raises(ProtocolError):
        await client.list_jobs()


async def test_malformed_answers_to_every_call_are_typed(server: LocalServer, client: BatchClient,
                                                         wav: Path) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=201, body=b'{"id": '))
    with pytest.raises(ProtocolError):
        await client.submit(wav, speaker_config())
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=200, body=b'{"id": "abcdefghij"}'))
    with pytest.raises(ProtocolError, match="instead of 201"):
        await client.submit(wav, speaker_config())
    server.faults.http.append(HttpFault("/v2/jobs/abc", status=200, body=b'{"job": null}'))
    with pytest.raises(ProtocolError):
        await client.get_job("abc")
    server.faults.http.append(HttpFault("/v2/jobs/abc/transcript", status=200, body=b'{"format": "2.9"}'))
    with pytest.raises(ProtocolError):
        await client.transcript("abc")
    server.faults.http.append(HttpFault("/v2/usage", status=200, body=b"not json"))
    with pytest.raises(ProtocolError):
        await client.usage()


async def test_error_bodies_become_typed_errors_with_the_spec_fields(server: LocalServer,
                                                                     client: BatchClient) -> None:
    body = json.dumps({"code": 403, "error": "Forbidden", "detail": "Entitlement check failed"}).encode()
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=403, body=body))
    with pytest.raises(AuthenticationError, match="Entitlement check failed"):
        await client.list_jobs()
    server.faults.http.append(HttpFault("/v2/jobs/abc", status=410, body=b'{"code": 410, "error": "Job Expired"}'))
    with pytest.raises(GoneError) as caught:
        await client.get_job("abc")
    assert caught.value.error == "Job Expired"


async def test_unreachable_service_is_a_network_error(sleeps: Sleeps) -> None:
    async with BatchClient(StaticKey(KEY), url="http://127.0.0.1:9/v2", retry=POLICY, sleep=sleeps) as batch:
        with pytest.raises(NetworkError):
            await batch.list_jobs()
    assert len(sleeps.delays) == 2


# -- parsing ----------------------------------------------------------------------------------------

def test_job_details_are_parsed_tolerantly() -> None:
    job = JobDetails.from_json({
        "id": "a81ko4eqjl", "status": "transcribing", "created_at": "2021-07-19T12:55:03.754123456Z",
        "data_name": "", "duration": "15", "lang": "de", "surprise": {"new": True}, "text_name": 3,
        "errors": [{"message": "unable to fetch audio: http status code 404", "timestamp": "2021-07-19T12:55:05Z"},
                   "plain", 7],
        "config": {"type": "transcription"}})
    assert job.created_at == datetime(2021, 7, 19, 12, 55, 3, 754123, tzinfo=UTC)
    assert job.duration == 15 and job.text_name is None and job.is_running and not job.failed
    assert job.error_messages == ["unable to fetch audio: http status code 404", "plain"]
    minimal = JobDetails.from_json({"id": "x"})
    assert (minimal.status, minimal.created_at, minimal.duration, minimal.config) == ("unknown", None, None, {})
    bad_jobs: list[Any] = [None, [], {"status": "done"}, {"id": ""}, {"id": 5}]
    for bad in bad_jobs:
        with pytest.raises(ProtocolError):
            JobDetails.from_json(bad)


def test_usage_report_reads_both_names_of_the_operating_point() -> None:
    report = UsageReport.from_json({"since": "a", "until": "b", "summary": [{"mode": "batch", "type": "x",
                                                                             "count": 5, "duration_hrs": 1.53}],
                                    "details": [{"mode": "batch", "type": "transcription", "language": "sv",
                                                 "model": "standard", "count": 4, "duration_hrs": 1.33}, "junk"]})
    assert report.total_hours == 1.53
    assert [(d.language, d.operating_point, d.count) for d in report.details] == [("sv", "standard", 4)]
    with pytest.raises(ProtocolError):
        UsageReport.from_json([])
