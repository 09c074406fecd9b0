"""The batch client in a worker process (``WorkerBatchClient`` driving ``studio --batch-worker``) against the
real local server: the same answers and the same exceptions as the client in this process, calls cancelled in
the worker, a worker that dies is replaced, and a worker never outlives the studio that started it."""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from studio.api.auth import StaticKey
from studio.api.batch_pipe import decode_error, encode_error
from studio.api.batch_remote import WorkerBatchClient
from studio.api.config import JobConfig, TranscriptionConfig
from studio.api.errors import (
    ApiError,
    ConfigurationError,
    HttpError,
    JobFailedError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
)
from studio.local.batch import jobs_of
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from tests.api.test_batch_client import write_wav
from tests.fakes.server import SERVER_KEY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def worker(server: LocalServer) -> AsyncIterator[WorkerBatchClient]:
    client = WorkerBatchClient(StaticKey(SERVER_KEY), url=server.urls.batch, timeout=30, connect_timeout=10)
    yield client
    await client.aclose()


def config(reference: str = "") -> JobConfig:
    return JobConfig(TranscriptionConfig(language="en"), tracking={"reference": reference} if reference else None)


def wait_for_exit(pid: int, seconds: float) -> bool:
    """True once process ``pid`` has ended (it need not be our child), False if it still runs after ``seconds``."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([handle], [], [], seconds)[0])
    finally:
        os.close(handle)


async def test_a_job_goes_through_the_worker_as_through_the_client(worker: WorkerBatchClient, server: LocalServer,
                                                                    tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "talk.wav", 2.0)
    seen: list[tuple[int, int]] = []
    job_id = await worker.submit(audio, config("ref-1"), progress=lambda sent, total: seen.append((sent, total)),
                                 filename="talk.wav")
    assert worker.pid is not None and worker.pid != os.getpid()
    assert seen and seen[-1][0] == seen[-1][1] == audio.stat().st_size
    remote = jobs_of(server).get(job_id)
    assert remote is not None
    await asyncio.wait_for(remote.finished.wait(), 20)
    details = await worker.get_job(job_id)
    assert (details.id, details.status, details.data_name) == (job_id, "done", "talk.wav")
    listed = await worker.list_jobs(limit=10)
    assert [job.id for job in listed] == [job_id]
    assert listed[0].config["tracking"]["reference"] == "ref-1"
    document = await worker.transcript(job_id)
    assert document["job"]["id"] == job_id and isinstance(document["results"], list)
    deleted = await worker.delete_job(job_id)
    assert deleted.status == "deleted"


async def test_errors_come_back_as_the_same_exceptions(worker: WorkerBatchClient, server: LocalServer,
                                                       tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as missing:
        await worker.get_job("nosuchjob")
    assert missing.value.status == 404 and not missing.value.retryable
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=429, retry_after="7"))
    with pytest.raises(RateLimitedError) as limited:
        await worker.list_jobs()
    assert limited.value.retry_after == 7 and limited.value.retryable
    server.faults.http.append(HttpFault("/v2/jobs", method="GET", status=503))
    with pytest.raises(HttpError) as failing:
        await worker.list_jobs()
    assert failing.value.status == 503 and failing.value.retryable
    with pytest.raises(ConfigurationError, match="not a file"):
        await worker.submit(tmp_path / "missing.wav", config())
    assert await worker.list_jobs() == []  # the worker is still there after every one


def test_every_api_error_crosses_the_pipe_whole() -> None:
    cases: list[ApiError] = [
        RateLimitedError("Slow down", retry_after=2.5), HttpError("Broken", status=502, error="Bad Gateway"),
        JobFailedError("Rejected", job_id="j1", status="rejected", errors=["bad audio"]), NetworkError("Offline"),
    ]
    for error in cases:
        back = decode_error(json.loads(json.dumps(encode_error(error))))
        assert type(back) is type(error) and str(back) == str(error)
        assert vars(back) == vars(error)
    bug = decode_error(encode_error(KeyError("job")))
    assert isinstance(bug, RuntimeError) and "KeyError" in str(bug)


async def test_a_cancelled_call_stops_in_the_worker(worker: WorkerBatchClient, server: LocalServer,
                                                   tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "talk.wav", 1.0)
    await worker.list_jobs()  # the worker is up
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", hold=True))
    upload = asyncio.ensure_future(worker.submit(audio, config()))
    done, _pending = await asyncio.wait([upload], timeout=0.5)
    assert not done  # held by the server
    upload.cancel()
    with pytest.raises(asyncio.CancelledError):
        await upload
    job_id = await worker.submit(audio, config())  # the same worker goes on
    assert list(jobs_of(server).jobs) == [job_id]


async def test_a_worker_that_dies_fails_its_calls_and_the_next_call_starts_another(
        worker: WorkerBatchClient, server: LocalServer, tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "talk.wav", 1.0)
    await worker.list_jobs()
    first = worker.pid
    assert first is not None
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", hold=True))
    upload = asyncio.ensure_future(worker.submit(audio, config()))
    await asyncio.wait([upload], timeout=0.3)
    os.kill(first, signal.SIGKILL)
    with pytest.raises(NetworkError, match="stopped") as stopped:
        await asyncio.wait_for(upload, 10)
    assert stopped.value.retryable
    assert await worker.list_jobs() == []
    assert worker.pid not in (None, first)


async def test_the_worker_dies_with_the_studio(server: LocalServer) -> None:
    """A process that started a worker is killed: its worker goes too, at once."""
    script = textwrap.dedent(f"""
        import asyncio
        from studio.api.auth import StaticKey
        from studio.api.batch_remote import WorkerBatchClient

        async def main():
            client = WorkerBatchClient(StaticKey({SERVER_KEY!r}), url={server.urls.batch!r})
            await client.list_jobs()
            print(client.pid, flush=True)
            await asyncio.Event().wait()

        asyncio.run(main())
    """)
    parent = await asyncio.create_subprocess_exec(sys.executable, "-c", script, cwd=ROOT,
                                                  stdout=asyncio.subprocess.PIPE)
    try:
        assert parent.stdout is not None
        worker_pid = int(await asyncio.wait_for(parent.stdout.readline(), 30))
        assert not await asyncio.to_thread(wait_for_exit, worker_pid, 0.2)  # running while its studio does
    finally:
        parent.kill()
        await parent.wait()
    assert await asyncio.to_thread(wait_for_exit, worker_pid, 5)


async def test_ctrl_c_in_a_terminal_leaves_the_worker_to_the_studio(worker: WorkerBatchClient) -> None:
    """SIGINT reaches the whole process group; the studio closes cleanly and ends its worker then."""
    await worker.list_jobs()
    pid = worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    assert not await asyncio.to_thread(wait_for_exit, pid, 0.5)
    assert await worker.list_jobs() == [] and worker.pid == pid
