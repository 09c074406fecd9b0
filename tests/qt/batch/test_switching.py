"""The shorter thread switch interval is the batch queue's only while it works, and the previous one after."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator

import pytest

from studio.core.jobs import Job, JobSettings, JobState
from studio.qt.batch.switching import BUSY_INTERVAL, WhileBusy
from studio.services.batch.board import JobBoard
from studio.services.batch.queue import QueueUpdate


@pytest.fixture
def default_interval() -> Iterator[float]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield 0.005
    sys.setswitchinterval(before)


def job(name: str, state: JobState, position: int) -> Job:
    made = Job.new(f"/media/{name}", name, size=1000, mtime_ns=1, settings=JobSettings(), position=position,
                   created_at=1.0)
    return dataclasses.replace(made, state=state)


def test_the_interval_is_short_while_jobs_are_sent_or_polled_and_restored_when_none_are(
        default_interval: float) -> None:
    board = JobBoard()
    done = job("done.wav", JobState.DONE, 0)
    board.apply([QueueUpdate(reset=(done,))])
    busy = WhileBusy(board)
    assert not busy.active and sys.getswitchinterval() == pytest.approx(default_interval)

    queued = job("new.wav", JobState.QUEUED, 1)
    board.apply([QueueUpdate(added=(queued,))])
    assert busy.active and sys.getswitchinterval() == pytest.approx(BUSY_INTERVAL)
    for state in (JobState.UPLOADING, JobState.PROCESSING):
        queued = dataclasses.replace(queued, state=state)
        board.apply([QueueUpdate(changed=(queued,))])
        assert sys.getswitchinterval() == pytest.approx(BUSY_INTERVAL)

    # Waiting out a rate limit is no work: the default comes back; and it goes again when polling resumes.
    board.apply([QueueUpdate(changed=(dataclasses.replace(queued, state=JobState.WAITING),))])
    assert not busy.active and sys.getswitchinterval() == pytest.approx(default_interval)
    board.apply([QueueUpdate(changed=(queued,))])
    assert busy.active

    board.apply([QueueUpdate(changed=(dataclasses.replace(queued, state=JobState.DONE),))])
    assert not busy.active and sys.getswitchinterval() == pytest.approx(default_interval)


def test_a_paused_queue_and_a_closed_follower_keep_the_default(default_interval: float) -> None:
    board = JobBoard()
    board.apply([QueueUpdate(reset=(job("a.wav", JobState.QUEUED, 0),), paused=True)])
    busy = WhileBusy(board)
    assert not busy.active and sys.getswitchinterval() == pytest.approx(default_interval)
    board.apply([QueueUpdate(paused=False)])
    assert sys.getswitchinterval() == pytest.approx(BUSY_INTERVAL)
    busy.close()
    assert sys.getswitchinterval() == pytest.approx(default_interval)
    board.apply([QueueUpdate(paused=True)])
    board.apply([QueueUpdate(paused=False)])
    assert sys.getswitchinterval() == pytest.approx(default_interval)  # no longer followed


def test_an_interval_someone_else_set_meanwhile_is_left_alone(default_interval: float) -> None:
    board = JobBoard()
    board.apply([QueueUpdate(reset=(job("a.wav", JobState.UPLOADING, 0),))])
    busy = WhileBusy(board)
    assert sys.getswitchinterval() == pytest.approx(BUSY_INTERVAL)
    sys.setswitchinterval(0.002)
    busy.close()
    assert sys.getswitchinterval() == pytest.approx(0.002)
