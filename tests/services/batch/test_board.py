"""The GUI thread's copy of the queue keeps its count of jobs per state through every kind of update."""

from __future__ import annotations

import dataclasses
from collections import Counter

from studio.core.jobs import Job, JobSettings, JobState
from studio.services.batch.board import JobBoard
from studio.services.batch.queue import QueueUpdate


def job(name: str, state: JobState, position: int) -> Job:
    made = Job.new(f"/media/{name}", name, size=1000, mtime_ns=1, settings=JobSettings(), position=position,
                   created_at=1.0)
    return dataclasses.replace(made, state=state)


def recount(board: JobBoard) -> Counter[JobState]:
    return Counter(job.state for job in board.jobs)


def test_the_counts_follow_resets_additions_changes_moves_and_removals() -> None:
    board = JobBoard()
    jobs = [job(f"{index}.wav", state, index) for index, state in
            enumerate([JobState.DONE, JobState.QUEUED, JobState.QUEUED, JobState.FAILED])]
    board.apply([QueueUpdate(reset=tuple(jobs[:2]))])
    assert +board.counts == recount(board) == Counter({JobState.DONE: 1, JobState.QUEUED: 1})
    board.apply([QueueUpdate(added=tuple(jobs[2:]))])
    assert +board.counts == recount(board)
    sent = dataclasses.replace(jobs[1], state=JobState.UPLOADING)
    board.apply([QueueUpdate(changed=(sent, dataclasses.replace(sent, state=JobState.PROCESSING)))])
    assert +board.counts == recount(board) and board.counts[JobState.PROCESSING] == 1
    assert board.count({JobState.UPLOADING, JobState.PROCESSING}) == 1
    board.apply([QueueUpdate(order=tuple(job.id for job in reversed(board.jobs)))])
    assert +board.counts == recount(board)
    board.apply([QueueUpdate(removed=(jobs[0].id, jobs[3].id, "not-a-job"))])
    assert +board.counts == recount(board) == Counter({JobState.PROCESSING: 1, JobState.QUEUED: 1})
    board.apply([QueueUpdate(changed=(dataclasses.replace(jobs[0], state=JobState.QUEUED),))])  # removed: ignored
    assert +board.counts == recount(board)
