"""The local batch and TTS server driven with plain httpx and hand-built multipart bodies (no studio.api
code), so its status codes, bodies and error strings are checked independently of the studio's client."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import socket
import struct
import wave
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from studio.local.batch import jobs_of, render_srt, render_txt
from studio.local.server import LocalServer, UsageRecord
from tests.fakes.server import SERVER_KEY

KEY = SERVER_KEY
AUTH = {"Authorization": f"Bearer {KEY}"}
BOUNDARY = "raw-test-boundary-7d1f"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
CONFIG = {"type": "transcription", "transcription_config": {"language": "en", "diarization": "speaker"}}


def multipart(fields: Iterable[tuple[str, bytes, str | None]], boundary: str = BOUNDARY) -> bytes:
    """``(name, value, filename)`` parts, written out by hand."""
    body = b""
    for name, value, filename in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: audio/wav\r\n"
        body += b"\r\n" + value + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def wav_bytes(seconds: float = 2.0) -> bytes:
    """A mono 16 kHz WAV of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(int(seconds * 16000) * 2))
    return buffer.getvalue()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture
async def http(server: LocalServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


async def create(http: httpx.AsyncClient, config: Any = CONFIG, media: bytes | None = None,
                 filename: str = "talk.wav") -> httpx.Response:
    fields: list[tuple[str, bytes, str | None]] = [("config", json.dumps(config).encode(), None)]
    if media is not None:
        fields.append(("data_file", media, filename))
    return await http.post("/v2/jobs", content=multipart(fields), headers={**AUTH, **MULTIPART})


async def done(server: LocalServer, job_id: str) -> None:
    job = jobs_of(server).get(job_id)
    assert job is not None
    await asyncio.wait_for(job.finished.wait(), 10)


def assert_error(response: httpx.Response, status: int, error: str, detail: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == status and body["error"] == error
    if detail is None:
        assert set(body) == {"code", "error"}
    else:
        assert body["detail"] == detail


# -- POST /v2/jobs ----------------------------------------------------------------------------------

async def test_create_answers_201_with_a_ten_character_id(server: LocalServer, http: httpx.AsyncClient) -> None:
    response = await create(http, media=wav_bytes())
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"id"} and re.fullmatch(r"[a-z0-9]{10}", body["id"])
    stored = jobs_of(server).get(body["id"])
    assert stored is not None and stored.media is not None and stored.media.parent == server.data_dir
    assert stored.media.read_bytes() == wav_bytes()


async def test_create_accepts_a_chunked_upload_with_the_file_first(server: LocalServer,
                                                                   http: httpx.AsyncClient) -> None:
    body = multipart([("data_file", wav_bytes(), "first.wav"), ("config", json.dumps(CONFIG).encode(), None)])

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    response = await http.post("/v2/jobs", content=pieces(), headers={**AUTH, **MULTIPART})
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 201
    job_id = response.json()["id"]
    await done(server, job_id)
    job = (await http.get(f"/v2/jobs/{job_id}", headers=AUTH)).json()["job"]
    assert job["data_name"] == "first.wav" and job["status"] == "done" and job["duration"] == 2


@pytest.mark.parametrize(("config", "error", "detail"), [
    (b"{not json", "Job rejected", "Job config JSON is invalid"),
    (b'["a list"]', "Job rejected", "Job config JSON is invalid"),
    (b'{"type": "transcription"}', "No language selected", "transcription_config with a language is required"),
    (b'{"type": "transcription", "transcription_config": {"language": ""}}', "No language selected",
     "transcription_config.language is required"),
    (b'{"type": "alignment", "transcription_config": {"language": "en"}}', "Job rejected",
     "unsupported job type 'alignment'; use transcription"),
    (b'{"type": "transcription", "transcription_config": {"language": "en", "diarization": "channel_and_speaker"}}',
     "Job rejected", "transcription_config.diarization must be one of none, speaker, channel"),
    (b'{"type": "transcription", "transcription_config": {"language": "en", "additional_vocab": ["plain"]}}',
     "Job rejected", "transcription_config.additional_vocab must be a list of {content, sounds_like}"),
    (b'{"type": "transcription", "transcription_config": {"language": "en", "diarization": "channel", '
     b'"channel_diarization_labels": ["Channel_1", "Channel 2"]}}', "Job rejected",
     "transcription_config.channel_diarization_labels.1 in body should match '^[A-Za-z0-9._]+$' (got 'Channel 2')"),
    (b'{"type": "transcription", "transcription_config": {"language": "en", "diarization": "channel", '
     b'"channel_diarization_labels": ["left\\n"]}}', "Job rejected",
     "transcription_config.channel_diarization_labels.0 in body should match '^[A-Za-z0-9._]+$' (got 'left\\n')"),
    (b'{"type": "transcription", "transcription_config": {"language": "en", "diarization": "channel", '
     b'"channel_diarization_labels": "Channel_1"}}', "Job rejected",
     "transcription_config.channel_diarization_labels must be a list of strings"),
    (b'{"type": "transcription", "transcription_config": {"language": "en"}, '
     b'"output_config": {"srt_overrides": {"max_lines": 0}}}',
     "Job rejected", "output_config.srt_overrides.max_lines must be a positive integer"),
])
async def test_create_rejects_bad_configs_with_the_spec_strings(http: httpx.AsyncClient, config: bytes, error: str,
                                                                detail: str) -> None:
    body = multipart([("config", config, None), ("data_file", wav_bytes(0.5), "a.wav")])
    response = await http.post("/v2/jobs", content=body, headers={**AUTH, **MULTIPART})
    assert_error(response, 400, error, detail)


async def test_create_other_refusals(server: LocalServer, http: httpx.AsyncClient) -> None:
    assert_error(await http.post("/v2/jobs", content=multipart([("config", json.dumps(CONFIG).encode(), None)]),
                                 headers=MULTIPART), 401, "Permission Denied")
    assert_error(await http.post("/v2/jobs", json=CONFIG, headers=AUTH), 400, "Malformed request",
                 "The request must be multipart/form-data")
    assert_error(await http.post("/v2/jobs", content=multipart([("data_file", wav_bytes(), "a.wav")]),
                                 headers={**AUTH, **MULTIPART}), 400, "Job rejected", "The config field is required")
    assert_error(await create(http), 400, "Missing data_file", "Send a data_file or set fetch_data in the config")
    both = {**CONFIG, "fetch_data": {"url": "http://127.0.0.1:9/a.wav"}}
    assert_error(await create(http, both, wav_bytes()), 400, "Job rejected",
                 "Send either a data_file or fetch_data, not both")
    ftp = {**CONFIG, "fetch_data": {"url": "ftp://example.com/a.wav"}}
    assert_error(await create(http, ftp), 400, "Job rejected", "fetch_data.url must be an http or https URL")
    broken = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"config\"\r\n\r\n{{}}".encode()
    response = await http.post("/v2/jobs", content=broken, headers={**AUTH, **MULTIPART})
    assert response.status_code == 400 and response.json()["error"] == "Malformed request"
    assert jobs_of(server).jobs == {}
    assert [p.name for p in server.data_dir.iterdir()] == []  # refused uploads leave nothing behind


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Waits for a condition the server reaches on its own (checked every 10 ms, failing after ``timeout``)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
async def test_a_client_that_hangs_up_mid_upload_is_one_log_line_and_leaves_no_job_and_no_file(
        server: LocalServer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, reset: bool) -> None:
    caplog.set_level(logging.INFO)
    body = multipart([("config", json.dumps(CONFIG).encode(), None), ("data_file", wav_bytes(5.0), "cut.wav")])
    head = (f"POST /v2/jobs HTTP/1.1\r\nHost: {server.host}\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n")
    _reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head.encode() + body[:len(body) // 2])
    await writer.drain()
    await until(lambda: any(server.data_dir.iterdir()))  # the server is storing the upload
    caplog.clear()
    if reset:  # the process died: the kernel resets the connection
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    await until(lambda: any("hung up" in r.getMessage() for r in caplog.records))
    await until(lambda: not any(server.data_dir.iterdir()))
    said = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert len(said) == 1 and said[0][:2] == ("studio.local.batch", logging.INFO), said
    assert "the client hung up after" in said[0][2]
    assert not any(r.exc_info or r.exc_text for r in caplog.records)  # no traceback
    assert jobs_of(server).jobs == {}
    listed = await http.get("/v2/jobs", headers=AUTH)
    assert listed.status_code == 200 and listed.json() == {"jobs": []}


async def test_a_fetch_job_that_cannot_fetch_is_rejected_like_saas(server: LocalServer,
                                                                  http: httpx.AsyncClient) -> None:
    config = {**CONFIG, "fetch_data": {"url": f"{server.base_url}/missing.mp3"}}
    response = await create(http, config)
    assert response.status_code == 201
    job_id = response.json()["id"]
    await done(server, job_id)
    job = (await http.get(f"/v2/jobs/{job_id}", headers=AUTH)).json()["job"]
    assert job["status"] == "rejected" and job["data_name"] == "" and job["duration"] == 0
    assert job["config"] == config
    [entry] = job["errors"]
    assert entry["message"] == "unable to fetch audio: http status code 404"
    assert TIMESTAMP.fullmatch(entry["timestamp"])
    assert_error(await http.get(f"/v2/jobs/{job_id}/transcript", headers=AUTH), 404, "Job not found",
                 "There is no transcript: the job was rejected (unable to fetch audio: http status code 404)")


# -- GET /v2/jobs and /v2/jobs/{id} -----------------------------------------------------------------

async def test_list_and_get_shapes(server: LocalServer, http: httpx.AsyncClient) -> None:
    ids = [(await create(http, media=wav_bytes(1.0))).json()["id"] for _ in range(3)]
    for job_id in ids:
        await done(server, job_id)
    listed = await http.get("/v2/jobs", headers=AUTH)
    assert listed.status_code == 200
    jobs = listed.json()["jobs"]
    assert [j["id"] for j in jobs] == ids[::-1]
    for job in jobs:
        assert list(job) == ["config", "created_at", "data_name", "duration", "id", "status"]
        assert TIMESTAMP.fullmatch(job["created_at"]) and job["status"] == "done" and job["duration"] == 1
    assert [j["id"] for j in (await http.get("/v2/jobs?limit=1", headers=AUTH)).json()["jobs"]] == [ids[2]]
    cursor = jobs[0]["created_at"].replace("Z", "999999Z")  # nanosecond precision is accepted
    before = (await http.get("/v2/jobs", params={"created_before": cursor}, headers=AUTH)).json()["jobs"]
    assert len(before) == 3
    future = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert (await http.get("/v2/jobs", params={"created_before": future}, headers=AUTH)).json() == {"jobs": []}
    single = await http.get(f"/v2/jobs/{ids[0]}", headers=AUTH)
    assert single.status_code == 200 and single.json() == {"job": jobs[2]}
    assert_error(await http.get("/v2/jobs/abcdefghij", headers=AUTH), 404, "Job not found")
    assert_error(await http.get("/v2/jobs"), 401, "Permission Denied")
    assert_error(await http.get(f"/v2/jobs/{ids[0]}", headers={"Authorization": "Bearer wrong"}), 401,
                 "Permission Denied")


@pytest.mark.parametrize(("query", "message"), [
    ("limit=abc", "limit in query must be of type int64"),
    ("limit=0", "limit in query should be greater than or equal to 1"),
    ("limit=101", "limit in query should be less than or equal to 100"),
    ("include_deleted=perhaps", "include_deleted in query must be of type bool"),
    ("created_before=yesterday", "created_before in query must be of type date-time"),
])
async def test_list_parameters_are_validated_with_422(http: httpx.AsyncClient, query: str, message: str) -> None:
    response = await http.get(f"/v2/jobs?{query}", headers=AUTH)
    assert response.status_code == 422 and response.json() == {"code": 422, "error": message}


# -- DELETE -----------------------------------------------------------------------------------------

async def test_delete_is_locked_while_running_unless_forced(server: LocalServer, http: httpx.AsyncClient) -> None:
    server.config.min_job_seconds = 30
    job_id = (await create(http, media=wav_bytes())).json()["id"]
    assert_error(await http.get(f"/v2/jobs/{job_id}/transcript", headers=AUTH), 404, "Job not found",
                 "The transcript is not ready: the job is still running")
    assert_error(await http.delete(f"/v2/jobs/{job_id}", headers=AUTH), 423, "Resource Locked")
    assert_error(await http.delete(f"/v2/jobs/{job_id}?force=false", headers=AUTH), 423, "Resource Locked")
    response = await http.delete(f"/v2/jobs/{job_id}?force=true", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["job"]["status"] == "deleted" and response.json()["job"]["id"] == job_id
    stored = jobs_of(server).get(job_id)
    assert stored is not None and stored.media is not None and not stored.media.exists()
    assert (await http.get("/v2/jobs", headers=AUTH)).json() == {"jobs": []}
    with_deleted = (await http.get("/v2/jobs?include_deleted=true", headers=AUTH)).json()["jobs"]
    assert [(j["id"], j["status"]) for j in with_deleted] == [(job_id, "deleted")]
    for path in ("transcript", "data"):
        assert_error(await http.get(f"/v2/jobs/{job_id}/{path}", headers=AUTH), 410, "File Expired",
                     "File deleted from the storage")
    assert_error(await http.get(f"/v2/jobs/{job_id}/log", headers=AUTH), 404, "Log file not available",
                 "Could not read log file")
    assert_error(await http.delete("/v2/jobs/abcdefghij", headers=AUTH), 404, "Job not found")
    assert (await http.delete(f"/v2/jobs/{job_id}?force=maybe", headers=AUTH)).status_code == 422


async def test_delete_a_finished_job_needs_no_force(server: LocalServer, http: httpx.AsyncClient) -> None:
    job_id = (await create(http, media=wav_bytes())).json()["id"]
    await done(server, job_id)
    response = await http.delete(f"/v2/jobs/{job_id}", headers=AUTH)
    assert response.status_code == 200 and response.json()["job"]["status"] == "deleted"
    jobs_of(server).expire(job_id)
    assert_error(await http.delete(f"/v2/jobs/{job_id}", headers=AUTH), 410, "Job Expired")
    assert (await http.get(f"/v2/jobs/{job_id}", headers=AUTH)).json()["job"]["status"] == "expired"


# -- transcripts, log, data -------------------------------------------------------------------------

async def test_transcript_formats(server: LocalServer, http: httpx.AsyncClient) -> None:
    config = {**CONFIG, "output_config": {"srt_overrides": {"max_line_length": 15, "max_lines": 2}},
              "tracking": {"title": "Raw test"}}
    job_id = (await create(http, config, wav_bytes(6.0), "six.wav")).json()["id"]
    await done(server, job_id)
    response = await http.get(f"/v2/jobs/{job_id}/transcript", headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert list(document)[:4] == ["format", "job", "metadata", "results"] and document["format"] == "2.9"
    assert document["job"] == {"created_at": document["job"]["created_at"], "data_name": "six.wav", "duration": 6,
                               "id": job_id, "tracking": {"title": "Raw test"}}
    metadata = document["metadata"]
    assert metadata["type"] == "transcription" and metadata["transcription_config"] == config["transcription_config"]
    assert metadata["output_config"] == config["output_config"]
    assert metadata["orchestrator_version"].startswith("studio-local-")
    assert {"adapted", "itn", "language_description", "word_delimiter", "writing_direction"} <= set(
        metadata["language_pack_info"])
    for result in document["results"]:
        assert result["type"] in ("word", "punctuation") and result["start_time"] <= result["end_time"]
        assert {"content", "confidence", "language", "speaker"} <= set(result["alternatives"][0])
    explicit = await http.get(f"/v2/jobs/{job_id}/transcript?format=json-v2", headers=AUTH)
    assert explicit.json() == document

    txt = await http.get(f"/v2/jobs/{job_id}/transcript?format=txt", headers=AUTH)
    assert txt.status_code == 200 and txt.headers["content-type"].startswith("text/plain")
    assert txt.text == ("SPEAKER: S1\nWelcome to the studio.\n\n"
                        "SPEAKER: S2\nThis session is scripted, so every run is the same.\n")

    srt = await http.get(f"/v2/jobs/{job_id}/transcript", params={"format": "srt"}, headers=AUTH)
    assert srt.status_code == 200 and srt.headers["content-type"].startswith("text/plain")
    cues = srt.text.split("\n\n")
    assert cues[-1] == "" and srt.text.endswith("\n\n")
    previous_end = "00:00:00,000"
    for number, cue in enumerate(cues[:-1], 1):
        index, timing, *lines = cue.split("\n")
        assert index == str(number)
        start, end = timing.split(" --> ")
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3}", start) and previous_end <= start <= end
        previous_end = end
        assert 1 <= len(lines) <= 2 and all(len(line) <= 15 for line in lines)
    assert cues[0] == "1\n00:00:00,500 --> 00:00:02,050\nWelcome to the\nstudio."
    assert_error(await http.get(f"/v2/jobs/{job_id}/transcript?format=docx", headers=AUTH), 422,
                 "format in query should be one of [json-v2 txt srt]")

    log = await http.get(f"/v2/jobs/{job_id}/log", headers=AUTH)
    assert log.status_code == 200 and log.headers["content-type"].startswith("text/plain")
    lines = log.text.splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|ERROR) +studio\.local\.batch ", ln)
               for ln in lines)
    assert "Loading model 'en'" in log.text and lines[-1].endswith("Job done")

    data = await http.get(f"/v2/jobs/{job_id}/data", headers=AUTH)
    assert data.status_code == 200 and data.content == wav_bytes(6.0)
    assert data.headers["content-type"] == "application/octet-stream"


async def test_txt_and_srt_rendering_rules() -> None:
    def word(content: str, start: float, speaker: str = "UU", kind: str = "word", **extra: Any) -> dict[str, Any]:
        return {"type": kind, "start_time": start, "end_time": start + 0.3, **extra,
                "alternatives": [{"content": content, "confidence": 1.0, "language": "en", "speaker": speaker}]}

    plain = {"metadata": {"language_pack_info": {"word_delimiter": " "}}, "results": [
        word("Hello", 0.0), word("world", 0.4), word(".", 0.7, kind="punctuation", attaches_to="previous",
                                                          is_eos=True)]}
    assert render_txt(plain) == "Hello world.\n"
    assert render_txt({"results": []}) == ""
    assert render_srt(plain) == "1\n00:00:00,000 --> 00:00:01,000\nHello world.\n\n"
    long_word = {"results": [word("Supercalifragilistic", 0.0), word("yes", 1.0)]}
    assert render_srt(long_word, {"max_line_length": 5, "max_lines": 1}) == (
        "1\n00:00:00,000 --> 00:00:00,300\nSupercalifragilistic\n\n2\n00:00:01,000 --> 00:00:01,300\nyes\n\n")


# -- usage ------------------------------------------------------------------------------------------

async def test_usage_shape_and_validation(server: LocalServer, http: httpx.AsyncClient) -> None:
    server.usage.extend([UsageRecord("batch", "sv", "standard", 4 * 1200.0, "2021-10-01"),
                         UsageRecord("batch", "sv", "standard", 3600.0, "2021-10-02"),
                         UsageRecord("realtime", "en", "enhanced", 360.0, "2021-10-02"),
                         UsageRecord("batch", "en", "enhanced", 360.0, "2021-11-02")])
    response = await http.get("/v2/usage?since=2021-10-01&until=2021-10-31", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "since": "2021-10-01T00:00:00Z", "until": "2021-10-31T23:59:59Z",
        "summary": [{"mode": "batch", "type": "transcription", "count": 2, "duration_hrs": 2.3333},
                    {"mode": "realtime", "type": "transcription", "count": 1, "duration_hrs": 0.1}],
        "details": [{"mode": "batch", "type": "transcription", "language": "sv", "operating_point": "standard",
                     "count": 2, "duration_hrs": 2.3333},
                    {"mode": "realtime", "type": "transcription", "language": "en", "operating_point": "enhanced",
                     "count": 1, "duration_hrs": 0.1}]}
    default = (await http.get("/v2/usage", headers=AUTH)).json()
    assert default["summary"] == [] and default["since"].endswith("-01T00:00:00Z")
    assert_error(await http.get("/v2/usage?until=31/10/2021", headers=AUTH), 422, "until in query must be of type date")
    assert_error(await http.get("/v2/usage"), 401, "Permission Denied")


async def test_a_finished_job_is_counted_in_usage(server: LocalServer, http: httpx.AsyncClient) -> None:
    config = {"type": "transcription", "transcription_config": {"language": "en", "model": "enhanced"}}
    job_id = (await create(http, config, wav_bytes(3.0))).json()["id"]
    await done(server, job_id)
    [record] = server.usage
    assert (record.mode, record.language, record.operating_point, record.seconds) == ("batch", "en", "enhanced", 3.0)
    assert record.day == datetime.now(UTC).date().isoformat()


async def test_temporary_batch_keys_are_accepted_and_other_kinds_are_not(server: LocalServer,
                                                                         http: httpx.AsyncClient) -> None:
    async def temporary(kind: str) -> str:
        response = await http.post("/v1/api_keys", params={"type": kind}, json={"ttl": 60}, headers=AUTH)
        assert response.status_code == 201
        return str(response.json()["key_value"])

    batch_key, rt_key = await temporary("batch"), await temporary("rt")
    assert (await http.get("/v2/jobs", headers={"Authorization": f"Bearer {batch_key}"})).status_code == 200
    assert_error(await http.get("/v2/jobs", headers={"Authorization": f"Bearer {rt_key}"}), 401, "Permission Denied")
    tts_key = await temporary("tts")
    spoken = await http.post("/generate/sarah", json={"text": "Hi"}, headers={"Authorization": f"Bearer {tts_key}"})
    assert spoken.status_code == 200


# -- TTS --------------------------------------------------------------------------------------------

async def test_tts_streams_a_wav_by_default_and_pcm_on_request(http: httpx.AsyncClient) -> None:
    text = "Hello from the raw test"
    response = await http.post("/generate/sarah", json={"text": text}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["transfer-encoding"] == "chunked" and "content-length" not in response.headers
    assert response.headers["content-type"] == "audio/wav"
    audio = response.content
    riff, riff_size, wave_id, fmt_id, fmt_size, pcm, channels, rate, byte_rate, align, bits, data_id, data_size = (
        struct.unpack("<4sI4s4sIHHIIHH4sI", audio[:44]))
    assert (riff, wave_id, fmt_id, data_id) == (b"RIFF", b"WAVE", b"fmt ", b"data")
    assert (fmt_size, pcm, channels, rate, byte_rate, align, bits) == (16, 1, 1, 16000, 32000, 2, 16)
    samples = int(len(text) * 0.06 * 16000)
    assert (riff_size, data_size) == (36 + 2 * samples, 2 * samples)  # the real sizes: a valid file as it is
    assert len(audio) == 44 + 2 * samples
    raw = await http.post("/generate/theo", params={"output_format": "pcm_16000"}, json={"text": text}, headers=AUTH)
    assert raw.status_code == 200 and len(raw.content) == 2 * samples and raw.content[:4] != b"RIFF"
    explicit = await http.post("/generate/sarah?output_format=wav_16000", json={"text": text}, headers=AUTH)
    assert explicit.content == audio


async def test_tts_errors(http: httpx.AsyncClient) -> None:
    assert_error(await http.post("/generate/sarah", json={"text": "Hi"}), 401, "Permission Denied")
    assert_error(await http.post("/generate/james", json={"text": "Hi"}, headers=AUTH), 422, "Unprocessable Entity",
                 "Unknown voice 'james'; the voices are sarah, theo, megan, jack")
    assert_error(await http.post("/generate/sarah?output_format=mp3", json={"text": "Hi"}, headers=AUTH), 422,
                 "Unprocessable Entity", "Unknown output_format 'mp3'; use wav_16000 or pcm_16000")
    for body in ({"text": ""}, {"text": "   "}, {"words": "Hi"}, {"text": 5}):
        assert_error(await http.post("/generate/sarah", json=body, headers=AUTH), 422, "Unprocessable Entity",
                     "text must be a non-empty string")
    for content in (b"not json", b'["Hi"]'):
        assert_error(await http.post("/generate/sarah", content=content, headers=AUTH), 400, "Bad Request",
                     "The body must be a JSON object with a text field")
    assert (await http.get("/generate/sarah", headers=AUTH)).status_code == 405
