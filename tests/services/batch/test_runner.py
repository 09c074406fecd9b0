"""The runner against the real local server: jobs through to their transcripts, bounded uploads, progress,
faults (429 with and without Retry-After, 500, slow answers, no network), cancel, retry, pause, reorder."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.api.batch import BatchClient
from studio.core.jobs import Job, JobSettings, JobState
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from studio.services.batch.inputs import Limits
from studio.services.batch.reconcile import reference_of
from studio.services.batch.runner import RunnerPolicy, Target
from studio.services.connections import Connection
from tests.fakes.server import SERVER_KEY
from tests.services.batch.conftest import FAST, Harness, by_name, media, target_of

Make = Callable[..., Harness]


async def server_references(client: BatchClient) -> list[str | None]:
    return [reference_of(job) for job in await client.list_jobs(limit=100, include_deleted=True)]


def big_wav(path: Path, seconds: float) -> Path:
    rng = np.random.default_rng(7)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((rng.standard_normal(int(seconds * 16000)) * 2000).astype("<i2").tobytes())
    return path


async def test_files_become_transcripts_each_sent_once(make_harness: Make, tmp_path: Path,
                                                       client: BatchClient) -> None:
    harness = make_harness()
    folder = tmp_path / "talks"
    for index in range(3):
        media(folder / "sub" if index == 2 else folder, f"talk-{index}.wav")
    harness.service.start()
    report = await harness.service.add_paths([folder])
    assert report.added == 3 and report.describe() == ""
    jobs = await harness.finished()
    assert [job.state for job in jobs] == [JobState.DONE] * 3
    for job in jobs:
        document = harness.service.result(job.id)
        assert document is not None and document["results"], job.name
        assert job.has_result and job.remote_id and job.submissions == 1 and job.duration is not None
        assert harness.states(job.id) == [JobState.UPLOADING, JobState.PROCESSING, JobState.DONE]
    assert sorted(r for r in await server_references(client) if r) == sorted(job.reference for job in jobs)


async def test_uploads_are_bounded_and_report_progress(make_harness: Make, server: LocalServer,
                                                       tmp_path: Path) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", delay=0.2, pass_through=True, times=100))
    harness = make_harness(RunnerPolicy(**{**FAST.__dict__, "concurrency": 2}))
    uploading: set[str] = set()
    most = 0

    def count(job: Job) -> None:
        nonlocal most
        if job.state in (JobState.UPLOADING, JobState.WAITING) and job.remote_id is None:
            uploading.add(job.id)
        else:
            uploading.discard(job.id)
        most = max(most, len(uploading))

    harness.queue.transitions.subscribe(count)
    sent: list[int] = []
    harness.queue.updates.subscribe(lambda batch: sent.extend(
        job.uploaded for update in batch for job in update.changed if job.name == "long.wav"
        and job.state is JobState.UPLOADING))
    (tmp_path / "in").mkdir()
    long = big_wav(tmp_path / "in" / "long.wav", 300.0)
    for index in range(5):
        media(tmp_path / "in", f"short-{index}.wav")
    harness.service.start()
    await harness.service.add_paths([tmp_path / "in"])
    jobs = await harness.finished()
    assert all(job.state is JobState.DONE for job in jobs)
    assert most == 2  # two at a time, never more
    assert sent and max(sent) <= long.stat().st_size
    assert any(0 < value < long.stat().st_size for value in sent)  # part way, not only 0 and the end
    assert sent == sorted(sent)


async def test_rate_limits_wait_as_told_then_send_once(make_harness: Make, server: LocalServer, tmp_path: Path,
                                                       client: BatchClient) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=429, retry_after="1", times=1))
    harness = make_harness()
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "a.wav")])
    (job,) = await harness.finished()
    waits = [seen for seen in harness.seen if seen.state is JobState.WAITING]
    assert len(waits) == 1 and "rate limited" in waits[0].wait_reason and waits[0].retry_at is not None
    assert 1.0 in harness.sleeps.delays  # Retry-After: 1
    assert job.state is JobState.DONE and await server_references(client) == [job.reference]


async def test_rate_limits_without_retry_after_back_off(make_harness: Make, server: LocalServer, tmp_path: Path,
                                                        client: BatchClient) -> None:
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=429, times=3))
    harness = make_harness()
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "a.wav")])
    (job,) = await harness.finished()
    waits = [seen for seen in harness.seen if seen.state is JobState.WAITING]
    assert [w.attempts for w in waits] == [1, 2, 3]
    backoff = [d for d in harness.sleeps.delays if d > FAST.poll_max]
    assert len(backoff) == 3
    for attempt, delay in enumerate(backoff):  # doubling, with up to 20 % jitter
        assert 0.8 * FAST.retry_base * 2 ** attempt <= delay <= 1.2 * FAST.retry_base * 2 ** attempt
    assert job.state is JobState.DONE and await server_references(client) == [job.reference]


async def test_server_errors_on_submit_and_poll_are_retried(make_harness: Make, server: LocalServer,
                                                            tmp_path: Path, client: BatchClient) -> None:
    server.config.min_job_seconds = 0.3
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=500, times=1))
    harness = make_harness()
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "a.wav")])
    await harness.queue.wait_for(lambda q: q.jobs()[0].state is JobState.PROCESSING, 30)
    server.faults.http.append(HttpFault("/v2/jobs/", method="GET", status=503, times=2))
    (job,) = await harness.finished()
    reasons = [seen.wait_reason for seen in harness.seen if seen.state is JobState.WAITING]
    assert reasons[0] == "service error (HTTP 500)"
    assert "service error (HTTP 503)" in reasons[1:]
    waiting_polls = [seen for seen in harness.seen if seen.state is JobState.WAITING and seen.remote_id]
    assert waiting_polls and all(w.remote_id == job.remote_id for w in waiting_polls)  # the same job, polled again
    assert job.state is JobState.DONE and await server_references(client) == [job.reference]


async def test_a_job_that_keeps_failing_fails_alone(make_harness: Make, server: LocalServer, tmp_path: Path) -> None:
    harness = make_harness(RunnerPolicy(**{**FAST.__dict__, "concurrency": 1, "server_error_attempts": 3}))
    first = media(tmp_path, "first.wav")
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", status=500, times=3))
    harness.service.start()
    await harness.service.add_paths([first, media(tmp_path, "second.wav")])
    jobs = by_name(await harness.finished())
    assert jobs["first.wav"].state is JobState.FAILED
    assert jobs["first.wav"].error.startswith("The batch service had a problem (HTTP 500)")
    assert jobs["second.wav"].state is JobState.DONE  # the queue went on


async def test_a_slow_answer_times_out_and_the_job_is_found_not_sent_twice(make_harness: Make, server: LocalServer,
                                                                            tmp_path: Path,
                                                                            client: BatchClient) -> None:
    # The service takes the file but answers after the client stopped waiting: the outcome is unknown, so
    # the runner looks the job up by its reference before sending the file again.
    server.faults.http.append(HttpFault("/v2/jobs", method="POST", delay=1.5, pass_through=True, times=1))
    harness = make_harness(RunnerPolicy(**{**FAST.__dict__, "request_timeout": 0.5}))
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "a.wav")])
    (job,) = await harness.finished()
    reasons = [seen.wait_reason for seen in harness.seen if seen.state is JobState.WAITING]
    assert reasons[:1] == ["no answer in time"]
    assert job.state is JobState.DONE
    assert await server_references(client) == [job.reference]


async def test_offline_jobs_wait_and_go_on_once_the_service_is_back(make_harness: Make, server: LocalServer,
                                                                    tmp_path: Path) -> None:
    closed = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    offline = Target(Connection(server.urls.__class__(realtime="", batch=f"http://127.0.0.1:{port}/v2", tts="",
                                                      management=""), api_key=SERVER_KEY), "Nowhere", False,
                     Limits("Nowhere"))
    current = [offline]
    harness = make_harness(target=lambda: current[0])
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "a.wav")])
    await harness.queue.wait_for(lambda q: q.jobs()[0].state is JobState.WAITING, 30)
    assert harness.queue.jobs()[0].wait_reason == "the service cannot be reached (offline?)"
    current[0] = target_of(server)
    harness.service.engine_changed()
    (job,) = await harness.finished()
    assert job.state is JobState.DONE and job.engine == "Test server"


async def test_cancel_a_queued_and_a_running_job(make_harness: Make, server: LocalServer, tmp_path: Path,
                                                 client: BatchClient) -> None:
    server.config.min_job_seconds = 30.0
    harness = make_harness(RunnerPolicy(**{**FAST.__dict__, "concurrency": 1}))
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "running.wav"), media(tmp_path, "queued.wav")])
    await harness.queue.wait_for(lambda q: by_name(q.jobs())["running.wav"].state is JobState.PROCESSING, 30)
    ids = [job.id for job in harness.queue.jobs()]
    await harness.service.cancel(ids)
    jobs = by_name(harness.queue.jobs())
    assert {job.state for job in jobs.values()} == {JobState.CANCELLED}
    remote = await client.get_job(str(jobs["running.wav"].remote_id))
    assert remote.status == "deleted"  # the service stopped working on it too
    assert not harness.service.runner.running(ids[0])


async def test_retry_sends_a_failed_job_again(make_harness: Make, tmp_path: Path, client: BatchClient) -> None:
    harness = make_harness()
    bad = tmp_path / "fixed-later.wav"
    bad.write_text("not audio yet")
    harness.service.start()
    await harness.service.add_paths([bad])
    (job,) = await harness.finished()
    assert job.state is JobState.FAILED and job.error == "Not an audio or video file the studio can read."
    media(tmp_path, "fixed-later.wav")
    assert harness.service.retry([job.id]) == 1
    (job,) = await harness.finished()
    assert job.state is JobState.DONE and job.run == 1 and job.error == ""
    assert await server_references(client) == [job.reference]


async def test_a_paused_queue_sends_nothing_until_resumed(make_harness: Make, tmp_path: Path) -> None:
    harness = make_harness()
    harness.service.start()
    harness.service.set_paused(True)
    await harness.service.add_paths([media(tmp_path, "a.wav"), media(tmp_path, "b.wav")])
    await harness.queue.wait_for(lambda q: all(job.duration is not None for job in q.jobs()), 30)
    await asyncio.sleep(0)  # the scheduler has had its turn
    assert harness.seen == [] and harness.service.runner.uploads == 0
    assert harness.queue.paused and harness.queue.store.get_flag("paused")
    harness.service.set_paused(False)
    assert [job.state for job in await harness.finished()] == [JobState.DONE, JobState.DONE]


async def test_reordering_decides_what_is_sent_first(make_harness: Make, tmp_path: Path) -> None:
    harness = make_harness(RunnerPolicy(**{**FAST.__dict__, "concurrency": 1}))
    harness.service.start()
    harness.service.set_paused(True)
    await harness.service.add_paths([media(tmp_path, f"{name}.wav") for name in ("a", "b", "c")])
    last = harness.queue.jobs()[-1]
    harness.service.move([last.id], 0)
    assert [job.name for job in harness.queue.jobs()] == ["c.wav", "a.wav", "b.wav"]
    assert [job.name for job in harness.queue.store.load()] == ["c.wav", "a.wav", "b.wav"]
    harness.service.set_paused(False)
    await harness.finished()
    uploads = [seen.name for seen in harness.seen if seen.state is JobState.UPLOADING]
    assert uploads == ["c.wav", "a.wav", "b.wav"]


async def test_files_changed_or_deleted_after_queuing_fail_with_a_reason(make_harness: Make,
                                                                          tmp_path: Path) -> None:
    harness = make_harness()
    harness.service.start()
    harness.service.set_paused(True)
    changed, deleted = media(tmp_path, "changed.wav"), media(tmp_path, "deleted.wav")
    await harness.service.add_paths([changed, deleted])
    await harness.queue.wait_for(lambda q: all(job.duration is not None for job in q.jobs()), 30)
    with changed.open("ab") as out:
        out.write(b"\0" * 64)
    deleted.unlink()
    harness.service.set_paused(False)
    jobs = by_name(await harness.finished())
    assert jobs["changed.wav"].error.startswith("The file changed after it was added to the queue")
    assert jobs["deleted.wav"].error == "The file was deleted or moved after it was added to the queue."


async def test_a_file_over_the_engines_limit_is_refused_before_sending(make_harness: Make, server: LocalServer,
                                                                       tmp_path: Path, client: BatchClient) -> None:
    harness = make_harness(target=lambda: target_of(server, limits=Limits("the test engine", max_bytes=10_000)))
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "big.wav")])
    (job,) = await harness.finished()
    assert job.state is JobState.FAILED
    assert job.error == "The file is 325 kB, more than the 10 kB the test engine accepts in one job."
    assert await server_references(client) == []


async def test_a_job_the_service_rejects_fails_with_its_reason(make_harness: Make, tmp_path: Path) -> None:
    harness = make_harness()
    harness.service.start()
    await harness.service.add_paths([media(tmp_path, "french.wav")], JobSettings(language="fr"))
    (job,) = await harness.finished()
    assert job.state is JobState.FAILED
    assert job.error == ("The service could not transcribe the file: invalid_language: the scripted engine speaks "
                         "only English, not 'fr'.")


async def test_status_checks_and_downloads_are_bounded(make_harness: Make, server: LocalServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Many jobs processing at once check their status (and fetch their transcripts) a few at a time, not all
    together: the rest wait for a slot, not in the HTTP pool."""
    server.faults.http.append(HttpFault("/v2/jobs/", method="GET", delay=0.1, pass_through=True, times=10**6))
    in_flight = 0
    most = 0

    def counted(request: Callable[..., Any]) -> Callable[..., Any]:
        async def call(self: BatchClient, *args: Any, **kwargs: Any) -> Any:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            try:
                return await request(self, *args, **kwargs)
            finally:
                in_flight -= 1
        return call

    monkeypatch.setattr(BatchClient, "get_job", counted(BatchClient.get_job))
    monkeypatch.setattr(BatchClient, "transcript", counted(BatchClient.transcript))
    harness = make_harness(RunnerPolicy(**{**FAST.__dict__, "concurrency": 8, "requests_at_once": 2}))
    (tmp_path / "in").mkdir()
    for index in range(8):
        media(tmp_path / "in", f"short-{index}.wav")
    harness.service.start()
    await harness.service.add_paths([tmp_path / "in"])
    jobs = await harness.finished()
    assert [job.state for job in jobs] == [JobState.DONE] * 8
    assert most == 2
