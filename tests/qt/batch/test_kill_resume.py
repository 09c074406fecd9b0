"""Kill and resume: a studio with jobs queued, mid-upload and mid-processing is SIGKILLed; the next one resumes
by itself at start-up and finishes every job exactly once — the server's own job list proves it."""

from __future__ import annotations

from pathlib import Path

from studio.core.jobs import JobState
from tests.conftest import SHARED_AUDIO
from tests.qt.batch.killing import (
    Seen,
    audit,
    events,
    kill,
    prepare,
    server_jobs,
    start_server,
    start_studio,
    stop,
    stored,
)

SPEECH = SHARED_AUDIO / "audio_04_16kHz.wav"


def test_a_killed_studio_finishes_every_job_exactly_once_next_time(tmp_path: Path) -> None:
    # The second upload is held unanswered: from the moment the first job is processing until that job is done
    # (job_seconds later) the queue holds queued, uploading and processing jobs, however loaded the machine.
    server, batch_url = start_server(job_seconds=4.0, accept_delay=0.3, hold_second_upload=True)
    try:
        media = []
        for index in range(6):
            path = tmp_path / "media" / f"talk-{index}.wav"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(SPEECH.read_bytes())
            media.append(path)
        home = tmp_path / "home"
        jobs = prepare(home, media, concurrency=2)

        first = start_studio(home, batch_url)
        seen = Seen()
        try:
            for line in events(first, timeout=60):
                seen.take(line)
                # One processing, one being sent, the rest still queued: the moment to pull the plug. Decided on
                # the queue's store, not on the lines alone: on a loaded machine the lines read may lag the store.
                if seen.count("processing") >= 1 and {JobState.QUEUED, JobState.UPLOADING, JobState.PROCESSING} <= {
                        job.state for job in stored(home)}:
                    break
            else:
                raise AssertionError("the studio never got to a mixed queue")
        finally:
            kill(first)
        at_kill = {job.id: job.state for job in stored(home)}
        assert JobState.QUEUED in at_kill.values()
        assert JobState.UPLOADING in at_kill.values()  # half-sent: the server had not taken these yet
        assert JobState.PROCESSING in at_kill.values()  # the server has these: re-attached by their id
        before = len(server_jobs(batch_url))

        second = start_studio(home, batch_url)
        resumed = Seen()
        try:
            for line in events(second, timeout=90):
                resumed.take(line)
                if resumed.finished:
                    break
            assert resumed.finished
            second.wait(30)
        finally:
            if second.poll() is None:
                kill(second)
        assert second.returncode == 0
        result = audit(home, batch_url)
        assert (result.lost, result.duplicated, result.strays) == (0, 0, 0)
        assert len(server_jobs(batch_url)) == len(jobs)
        assert before < len(jobs)  # some were sent by the second studio, after the kill
        done = stored(home)
        assert all(job.submissions <= 1 for job in done)  # nothing sent twice (0: found again by its reference)
        reattached = [job for job in done if at_kill[job.id] is JobState.PROCESSING]
        assert reattached and all(resumed.states.get(job.id) == "done" for job in reattached)
    finally:
        stop(server)
