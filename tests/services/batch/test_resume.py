"""Resuming what a killed studio left in the queue: re-attach by job id, restart half-sent uploads (finding the
job if the service already made it), and send the built-in engine's running jobs again, visibly."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from studio.api.batch import BatchClient
from studio.core.jobs import Job, JobSettings, JobState
from studio.local.server import LocalServer, ServerConfig
from studio.services.batch.options import job_config
from studio.services.batch.reconcile import reference_of
from studio.services.batch.runner import RESTARTED, RESUBMITTED, UPLOAD_RESTARTED
from studio.storage.jobs_store import JobStore
from tests.services.batch.conftest import Harness, media, target_of

Make = Callable[..., Harness]


def left_behind(path: Path, job: Job) -> None:
    """What a studio killed at this point would have written."""
    store = JobStore(path)
    store.insert([job])
    store.close()


def queued_job(media_path: Path) -> Job:
    stat = media_path.stat()
    return Job.new(str(media_path), media_path.name, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                   settings=JobSettings(), position=0, created_at=1000.0, duration=9.9)


async def references(client: BatchClient) -> list[str | None]:
    return [reference_of(job) for job in await client.list_jobs(limit=100)]


async def test_a_job_the_service_has_is_re_attached_by_its_id(make_harness: Make, server: LocalServer,
                                                              tmp_path: Path, client: BatchClient) -> None:
    job = queued_job(media(tmp_path, "talk.wav"))
    remote = await client.submit(job.path, job_config(job))
    left_behind(tmp_path / "queue.sqlite3", job.to(JobState.UPLOADING, started_at=1001.0).to(
        JobState.PROCESSING, remote_id=remote, engine="Test server", engine_url=server.urls.batch, submissions=1))
    harness = make_harness()
    harness.service.start()
    (done,) = await harness.finished()
    assert done.state is JobState.DONE and done.remote_id == remote and done.submissions == 1
    assert harness.states(job.id) == [JobState.DONE]  # polled and collected, never sent again
    assert await references(client) == [job.reference]


async def test_a_half_sent_upload_starts_again(make_harness: Make, tmp_path: Path, client: BatchClient) -> None:
    job = queued_job(media(tmp_path, "talk.wav"))
    left_behind(tmp_path / "queue.sqlite3", job.to(JobState.UPLOADING, started_at=os.path.getmtime(job.path),
                                                   uploaded=job.size // 2))
    harness = make_harness()
    harness.service.start()
    (done,) = await harness.finished()
    assert harness.states(job.id) == [JobState.QUEUED, JobState.UPLOADING, JobState.PROCESSING, JobState.DONE]
    assert done.note == UPLOAD_RESTARTED
    assert await references(client) == [job.reference]


async def test_an_upload_whose_answer_was_lost_is_found_not_sent_twice(make_harness: Make, server: LocalServer,
                                                                       tmp_path: Path, client: BatchClient) -> None:
    # Killed after the service created the job and before the studio wrote its id down.
    job = queued_job(media(tmp_path, "talk.wav"))
    remote = await client.submit(job.path, job_config(job))
    left_behind(tmp_path / "queue.sqlite3", job.to(JobState.UPLOADING, started_at=os.path.getmtime(job.path),
                                                   uploaded=job.size, engine_url=server.urls.batch))
    harness = make_harness()
    harness.service.start()
    (done,) = await harness.finished()
    assert done.state is JobState.DONE and done.remote_id == remote
    assert await references(client) == [job.reference]


async def test_the_builtin_engines_running_job_is_submitted_again_and_says_so(make_harness: Make,
                                                                               server: LocalServer, tmp_path: Path,
                                                                               client: BatchClient) -> None:
    job = queued_job(media(tmp_path, "talk.wav"))
    left_behind(tmp_path / "queue.sqlite3", job.to(JobState.UPLOADING, started_at=1001.0).to(
        JobState.PROCESSING, remote_id="died-with-app", engine="Built-in engine", engine_local=True,
        engine_url="http://127.0.0.1:1/v2", submissions=1))
    harness = make_harness(target=lambda: target_of(server, local=True, label="Built-in engine"))
    harness.service.start()
    (done,) = await harness.finished()
    assert harness.states(job.id) == [JobState.QUEUED, JobState.UPLOADING, JobState.PROCESSING, JobState.DONE]
    assert done.note == RESUBMITTED and done.submissions == 2
    assert await references(client) == [job.reference]


async def test_a_builtin_engine_restart_mid_job_sends_it_again(make_harness: Make, server: LocalServer,
                                                               tmp_path: Path) -> None:
    server.config.min_job_seconds = 60.0
    current = [target_of(server, local=True)]
    harness = make_harness(target=lambda: current[0])
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "talk.wav")])
    await harness.queue.wait_for(lambda q: q.jobs()[0].state is JobState.PROCESSING, 30)
    async with LocalServer(config=ServerConfig(require_auth=False)) as restarted:
        current[0] = target_of(restarted, local=True)
        harness.service.engine_changed()
        (done,) = await harness.finished()
        assert done.state is JobState.DONE and done.note == RESTARTED
        assert done.engine_url == restarted.urls.batch and done.submissions == 2
