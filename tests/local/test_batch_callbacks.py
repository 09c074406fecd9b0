"""Batch notification callbacks, ``wait=`` on the batch endpoints, ``created_after``, channel-labelled text and
no server path in a rejection — the local server driven with plain httpx, callbacks received by a real
aiohttp listener on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from studio.local.batch import jobs_of
from studio.local.server import LocalServer, ServerConfig
from tests.fakes.server import SERVER_KEY
from tests.local.test_batch_server_raw import AUTH, CONFIG, create, done, wav_bytes


@dataclass
class Callback:
    method: str
    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    body: bytes
    parts: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)  # name -> (filename, content)


class Listener:
    """A web service of the user's that receives callbacks; ``fail_first`` answers 500 that many times."""

    def __init__(self) -> None:
        self.calls: list[Callback] = []
        self.fail_first = 0
        self.arrived = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        call = Callback(request.method, dict(request.query), dict(request.headers), request.content_type, body)
        if request.content_type.startswith("multipart/"):
            call.parts = _parts(request.headers["Content-Type"], body)
        self.calls.append(call)
        self.arrived.set()
        if self.fail_first:
            self.fail_first -= 1
            return web.Response(status=500)
        return web.Response(status=200)

    async def next_call(self, count: int) -> list[Callback]:
        async with asyncio.timeout(15):
            while len(self.calls) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.calls


def _parts(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The named parts of a multipart body (parsed with the standard library's email parser)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    out: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        out[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return out


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    made = Listener()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", made.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    made.url = f"http://127.0.0.1:{port}/callback"
    yield made
    await runner.cleanup()


@pytest.fixture
async def quick_server() -> AsyncIterator[LocalServer]:
    config = ServerConfig(api_keys=frozenset({SERVER_KEY}), notification_retry_delays=(0.01, 0.01))
    async with LocalServer(config=config) as running:
        yield running


@pytest.fixture
async def http(quick_server: LocalServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=quick_server.base_url, timeout=30) as client:
        yield client


def with_notification(**entry: Any) -> dict[str, Any]:
    return {**CONFIG, "notification_config": [entry]}


async def test_the_default_callback_attaches_the_transcript_as_data_file(http: httpx.AsyncClient,
                                                                          listener: Listener) -> None:
    created = await create(http, with_notification(url=listener.url), wav_bytes(3))
    job_id = created.json()["id"]
    (call,) = await listener.next_call(1)
    assert call.method == "POST" and call.query == {"id": job_id, "status": "success"}
    assert call.headers["User-Agent"] == "Speechmatics-API/2.0"
    filename, content = call.parts["data_file"]
    assert filename == "data_file"
    transcript = json.loads(content)
    assert transcript["job"]["id"] == job_id and transcript["results"]


@pytest.mark.parametrize(("contents", "content_type", "check"), [
    ([], "application/octet-stream", lambda body: body == b""),
    (["jobinfo"], "application/json", lambda body: json.loads(body)["status"] == "done"),
    (["transcript"], "application/json", lambda body: json.loads(body)["format"] == "2.9"),
    (["transcript.txt"], "text/plain", lambda body: body.decode().startswith("SPEAKER: S1\n")),
    (["transcript.srt"], "text/plain", lambda body: body.decode().startswith("1\n00:00:")),
    (["data"], "application/octet-stream", lambda body: body[:4] == b"RIFF"),
])
async def test_one_item_is_the_body(http: httpx.AsyncClient, listener: Listener, contents: list[str],
                                    content_type: str, check: Any) -> None:
    await create(http, with_notification(url=listener.url, contents=contents), wav_bytes(3))
    (call,) = await listener.next_call(1)
    assert call.content_type == content_type
    assert check(call.body), call.body[:200]


async def test_several_items_are_named_parts_sent_with_the_method_and_headers_asked_for(
        http: httpx.AsyncClient, listener: Listener) -> None:
    entry = {"url": listener.url, "contents": ["jobinfo", "transcript.txt", "data"], "method": "put",
             "auth_headers": ["Authorization: Bearer callback-secret", "X-Tenant: acme"]}
    created = await create(http, with_notification(**entry), wav_bytes(3))
    (call,) = await listener.next_call(1)
    assert call.method == "PUT" and call.query["id"] == created.json()["id"]
    assert call.headers["Authorization"] == "Bearer callback-secret" and call.headers["X-Tenant"] == "acme"
    assert call.content_type == "multipart/form-data"
    assert sorted(call.parts) == ["data", "jobinfo", "transcript.txt"]
    assert json.loads(call.parts["jobinfo"][1])["id"] == created.json()["id"]
    assert call.parts["data"][1] == wav_bytes(3)


async def test_a_failing_callback_is_retried_and_the_failures_are_listed(http: httpx.AsyncClient,
                                                                         listener: Listener) -> None:
    listener.fail_first = 2
    created = await create(http, with_notification(url=listener.url, contents=["jobinfo"]), wav_bytes(2))
    calls = await listener.next_call(3)
    assert [c.query["status"] for c in calls] == ["success"] * 3
    job = (await http.get(f"/v2/jobs/{created.json()['id']}", headers=AUTH)).json()["job"]
    assert job["status"] == "done"
    assert [e["message"] for e in job["errors"]] == [
        "Error in sending notification: unable to send notification: Response status: 500, retrying"] * 2


async def test_a_callback_that_keeps_failing_is_retried_then_given_up(quick_server: LocalServer,
                                                                      http: httpx.AsyncClient,
                                                                      listener: Listener) -> None:
    import socket

    listener.fail_first = 99
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}/callback"
    config = {**CONFIG, "notification_config": [{"url": listener.url, "contents": ["jobinfo"]}, {"url": refused}]}
    job_id = (await create(http, config, wav_bytes(2))).json()["id"]
    task = jobs_of(quick_server).jobs[job_id].task
    assert task is not None
    await asyncio.wait_for(task, 15)  # the job's task ends once every notification got its answer or gave up
    attempts = 1 + len(quick_server.config.notification_retry_delays)  # the first try and one per delay
    job = (await http.get(f"/v2/jobs/{job_id}", headers=AUTH)).json()["job"]
    assert len(listener.calls) == attempts and job["status"] == "done"
    errors = [e["message"] for e in job["errors"]]
    served = [e for e in errors if "Response status: 500" in e]
    unreachable = [e for e in errors if "Response status" not in e]
    assert served == ["Error in sending notification: unable to send notification: Response status: 500, retrying"] \
        * (attempts - 1) + ["Error in sending notification: unable to send notification: Response status: 500"]
    assert len(unreachable) == attempts and [e.endswith(", retrying") for e in unreachable] == \
        [True] * (attempts - 1) + [False]
    assert all(e.startswith("Error in sending notification: unable to send notification: ") for e in unreachable)


async def test_a_rejected_job_is_notified_with_status_error(http: httpx.AsyncClient, listener: Listener) -> None:
    await create(http, with_notification(url=listener.url, contents=["jobinfo", "transcript"]), b"not audio" * 50)
    (call,) = await listener.next_call(1)
    assert call.query["status"] == "error"
    assert sorted(call.parts) == ["jobinfo"]  # a rejected job has no transcript to attach


async def test_bad_notification_configs_are_refused(http: httpx.AsyncClient) -> None:
    for entry in ({"url": "ftp://x"}, {"url": "http://x", "contents": ["everything"]},
                  {"url": "http://x", "method": "get"}, {"url": "http://x", "auth_headers": "A: b"}):
        response = await create(http, with_notification(**entry), wav_bytes(1))
        assert response.status_code == 400 and response.json()["error"] == "Job rejected", entry


# -- wait ----------------------------------------------------------------------------------------------------

async def submit(http: httpx.AsyncClient, query: str, config: Any = CONFIG, media: bytes | None = None
                 ) -> httpx.Response:
    from tests.local.test_batch_server_raw import MULTIPART, multipart

    fields = [("config", json.dumps(config).encode(), None), ("data_file", media or wav_bytes(3), "talk.wav")]
    return await http.post(f"/v2/jobs?{query}", content=multipart(fields), headers={**AUTH, **MULTIPART})


@pytest.mark.parametrize("fmt", ["json-v2", "txt", "srt"])
async def test_submitting_with_wait_returns_the_transcript(http: httpx.AsyncClient, fmt: str) -> None:
    response = await submit(http, f"wait=30&format={fmt}")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "done" and len(body["id"]) == 10
    if fmt == "json-v2":
        assert body["json-v2"]["job"]["id"] == body["id"] and body["json-v2"]["results"]
    else:
        assert isinstance(body[fmt], str) and "Welcome" in body[fmt]


async def test_a_wait_that_runs_out_says_created(quick_server: LocalServer, http: httpx.AsyncClient) -> None:
    quick_server.config.min_job_seconds = 30
    response = await submit(http, "wait=0")
    assert response.status_code == 201 and response.json() == {"id": response.json()["id"], "status": "created"}
    quick_server.config.min_job_seconds = 0
    rejected = await submit(http, "wait=10", media=b"not audio" * 50)
    assert rejected.json()["status"] == "rejected" and "json-v2" not in rejected.json()
    assert (await submit(http, "wait=soon")).status_code == 422


async def test_get_with_wait_returns_once_the_job_ends(quick_server: LocalServer, http: httpx.AsyncClient) -> None:
    quick_server.config.min_job_seconds = 0.3
    job_id = (await create(http, CONFIG, wav_bytes(2))).json()["id"]
    assert (await http.get(f"/v2/jobs/{job_id}", headers=AUTH)).json()["job"]["status"] == "running"
    assert (await http.get(f"/v2/jobs/{job_id}?wait=30", headers=AUTH)).json()["job"]["status"] == "done"
    other = (await create(http, CONFIG, wav_bytes(2))).json()["id"]
    transcript = await http.get(f"/v2/jobs/{other}/transcript?format=txt&wait=30", headers=AUTH)
    assert transcript.status_code == 200 and "Welcome" in transcript.text


# -- listing, channels, paths ---------------------------------------------------------------------------------

async def test_list_jobs_created_after(quick_server: LocalServer, http: httpx.AsyncClient) -> None:
    first = (await create(http, CONFIG, wav_bytes(1))).json()["id"]
    await done(quick_server, first)
    await asyncio.sleep(0.002)  # a later millisecond: created_at has millisecond precision
    middle = datetime.now(UTC)
    await asyncio.sleep(0.002)
    second = (await create(http, CONFIG, wav_bytes(1))).json()["id"]
    stamp = middle.isoformat().replace("+00:00", "Z")
    after = (await http.get("/v2/jobs", params={"created_after": stamp}, headers=AUTH)).json()["jobs"]
    before = (await http.get("/v2/jobs", params={"created_before": stamp}, headers=AUTH)).json()["jobs"]
    assert [j["id"] for j in after] == [second] and [j["id"] for j in before] == [first]
    window = {"created_after": (middle - timedelta(hours=1)).isoformat(), "created_before": stamp}
    assert [j["id"] for j in (await http.get("/v2/jobs", params=window, headers=AUTH)).json()["jobs"]] == [first]
    bad = await http.get("/v2/jobs", params={"created_after": "yesterday"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["error"] == "created_after in query must be of type date-time"


def test_channel_diarized_text_reads_per_channel() -> None:
    from studio.local.batch import render_srt, render_txt

    def word(content: str, start: float, channel: str, **extra: Any) -> dict[str, Any]:
        return {"type": "word", "start_time": start, "end_time": start + 0.3, "channel": channel,
                "alternatives": [{"content": content, "confidence": 1, "language": "en", "speaker": "UU"}], **extra}

    def stop(at: float, channel: str) -> dict[str, Any]:
        return {**word(".", at, channel), "type": "punctuation", "start_time": at, "end_time": at,
                "attaches_to": "previous", "is_eos": True}

    document = {"results": [word("Hello", 0.0, "Left"), word("Hi", 0.2, "Right"), word("there", 0.4, "Left"),
                            stop(0.7, "Left"), word("you", 0.6, "Right"), stop(0.9, "Right")]}
    assert render_txt(document) == ("CHANNEL: Left\nHello\n\nCHANNEL: Right\nHi\n\nCHANNEL: Left\nthere.\n\n"
                                    "CHANNEL: Right\nyou.\n")
    cues = render_srt(document).split("\n\n")
    assert all("Hello" not in cue or "Hi" not in cue for cue in cues)  # a cue never mixes channels


async def test_a_bad_upload_is_rejected_without_a_server_path(quick_server: LocalServer,
                                                              http: httpx.AsyncClient) -> None:
    job_id = (await create(http, CONFIG, b"these are notes, not audio" * 100, filename="notes.wav")).json()["id"]
    await done(quick_server, job_id)
    job = (await http.get(f"/v2/jobs/{job_id}", headers=AUTH)).json()["job"]
    assert job["status"] == "rejected"
    text = json.dumps(job) + (await http.get(f"/v2/jobs/{job_id}/transcript", headers=AUTH)).text
    data_dir = str(quick_server.data_dir)
    assert data_dir not in text and Path(data_dir).name not in text and ".media" not in text, text
    assert "could not be read" in job["errors"][0]["message"]
