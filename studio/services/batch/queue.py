"""The queue: jobs in order, every change written to the store when it happens, observers told in batches.

    queue = JobQueue(store)                    # loads the jobs; on the event loop's thread from then on
    queue.add(jobs)
    job = queue.transition(job_id, JobState.UPLOADING, started_at=now)   # checked, written, told
    queue.change(job_id, duration=12.5)        # written and told
    queue.progress(job_id, uploaded=4096)      # told only (progress is not a state change)
    queue.move(ids, index); queue.remove(ids); queue.set_paused(True)
    queue.updates.subscribe(callback)          # lists of QueueUpdate, at most every ``interval`` seconds
    queue.transitions.subscribe(callback)      # each state change at once (logs, tests)
    await queue.wait_for(lambda q: ..., timeout=30)   # tests and the runner: a condition on the queue

The queue is a plain collection (no Qt); the Qt table model mirrors it from its updates. Observers get
changes coalesced (one ``changed`` entry per job per batch, ``interval`` apart), so an upload's progress
costs the GUI a repaint per frame at most, not a call per chunk. Structural changes (added, removed,
reordered) keep their order relative to the changes around them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.jobs import Job, JobState
from studio.core.observable import Observable
from studio.storage.jobs_store import JobStore

DEFAULT_INTERVAL = 0.05  # seconds between batches of updates (a GUI frame or three)


@dataclass(frozen=True)
class QueueUpdate:
    added: tuple[Job, ...] = ()  # appended at the end, in this order
    changed: tuple[Job, ...] = ()
    removed: tuple[str, ...] = ()
    order: tuple[str, ...] | None = None  # every job's id in the new order (after a move)
    paused: bool | None = None
    reset: tuple[Job, ...] | None = None  # the whole queue (first update an observer gets)
    problem: str | None = None  # why nothing can be sent now ("" once that is over)


class JobQueue:
    def __init__(self, store: JobStore, *, interval: float = DEFAULT_INTERVAL) -> None:
        self.store = store
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        for job in store.load():
            self._jobs[job.id] = job
            self._order.append(job.id)
        self._paused = store.get_flag("paused")
        self._problem = ""
        self.updates: Observable[list[QueueUpdate]] = Observable()
        #: Every state change, as it is written (not coalesced): for logs, tests and the kill benchmark.
        self.transitions: Observable[Job] = Observable()
        self._interval = interval
        self._pending: list[QueueUpdate] = []
        self._dirty: dict[str, Job] = {}
        self._flush_handle: asyncio.Handle | None = None
        self._waiters: list[asyncio.Event] = []

    # -- reading ------------------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        return [self._jobs[job_id] for job_id in self._order]

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def __getitem__(self, job_id: str) -> Job:
        return self._jobs[job_id]

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def problem(self) -> str:
        return self._problem

    def snapshot(self) -> QueueUpdate:
        return QueueUpdate(reset=tuple(self.jobs()), paused=self._paused, problem=self._problem)

    def next_position(self) -> int:
        return max((job.position for job in self._jobs.values()), default=-1) + 1

    # -- changing -----------------------------------------------------------------------------------------
    def add(self, jobs: Sequence[Job]) -> None:
        if not jobs:
            return
        self.store.insert(jobs)
        for job in jobs:
            self._jobs[job.id] = job
            self._order.append(job.id)
        self._structural(QueueUpdate(added=tuple(jobs)))

    def transition(self, job_id: str, state: JobState, **changes: Any) -> Job:
        """Moves a job to ``state`` (``IllegalTransition`` if it may not), writes it, tells observers."""
        job = self._store(self._jobs[job_id].to(state, **changes))
        self.transitions.emit(job)
        return job

    def change(self, job_id: str, **changes: Any) -> Job:
        """Other data of a job (same state), written and told."""
        return self._store(self._jobs[job_id].with_changes(**changes))

    def change_many(self, jobs: Sequence[Job]) -> None:
        """Several jobs changed at once (one transaction): same states, other data."""
        for job in jobs:
            current = self._jobs[job.id]
            if job.state is not current.state:
                raise ValueError("change_many keeps states; use transition()")
        self.store.save_many(jobs)
        for job in jobs:
            self._jobs[job.id] = job
            self._changed(job)

    def progress(self, job_id: str, **changes: Any) -> Job | None:
        """Progress of a job: told, not written (the next state change writes it)."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        job = job.with_changes(**changes)
        self._jobs[job_id] = job
        self._changed(job)
        return job

    def _store(self, job: Job) -> Job:
        self.store.save(job)
        self._jobs[job.id] = job
        self._changed(job)
        return job

    def remove(self, job_ids: Iterable[str]) -> list[str]:
        gone = [job_id for job_id in dict.fromkeys(job_ids) if job_id in self._jobs]
        if not gone:
            return []
        self.store.delete(gone)
        for job_id in gone:
            del self._jobs[job_id]
            self._dirty.pop(job_id, None)
        removed = set(gone)
        self._order = [job_id for job_id in self._order if job_id not in removed]
        self._structural(QueueUpdate(removed=tuple(gone)))
        return gone

    def move(self, job_ids: Sequence[str], index: int) -> None:
        """Puts ``job_ids`` (in their current relative order) before the job now at ``index`` of the others
        (``index`` may be ``len``: the end)."""
        moving = set(job_ids) & set(self._jobs)
        if not moving:
            return
        block = [job_id for job_id in self._order if job_id in moving]
        others = [job_id for job_id in self._order if job_id not in moving]
        index = max(0, min(index, len(others)))
        order = others[:index] + block + others[index:]
        if order == self._order:
            return
        self._order = order
        renumbered = [self._jobs[job_id].with_changes(position=position) for position, job_id in enumerate(order)]
        self.store.save_positions(renumbered)
        for job in renumbered:
            self._jobs[job.id] = job
        self._structural(QueueUpdate(order=tuple(order)))

    def set_paused(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self.store.set_flag("paused", paused)
        self._paused = paused
        self._structural(QueueUpdate(paused=paused))

    def set_problem(self, problem: str) -> None:
        """Why no job can be sent now (the engine cannot be reached, no API key), or "" (told, not stored)."""
        if problem != self._problem:
            self._problem = problem
            self._structural(QueueUpdate(problem=problem))

    # -- telling ------------------------------------------------------------------------------------------
    def _changed(self, job: Job) -> None:
        self._dirty[job.id] = job
        self._schedule()

    def _structural(self, update: QueueUpdate) -> None:
        if self._dirty:
            self._pending.append(QueueUpdate(changed=tuple(self._dirty.values())))
            self._dirty.clear()
        self._pending.append(update)
        self._schedule()

    def _schedule(self) -> None:
        for waiter in self._waiters:
            waiter.set()
        if self._flush_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): tell at once
            self.flush()
            return
        self._flush_handle = loop.call_later(self._interval, self.flush)

    def flush(self) -> None:
        """Tells observers everything that changed since the last batch (now)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._dirty:
            self._pending.append(QueueUpdate(changed=tuple(self._dirty.values())))
            self._dirty.clear()
        if self._pending:
            batch, self._pending = self._pending, []
            self.updates.emit(batch)

    async def wait_for(self, predicate: Callable[[JobQueue], bool], timeout: float) -> None:
        """Returns once ``predicate(queue)`` is true (checked after every change); TimeoutError after
        ``timeout`` seconds."""
        waiter = asyncio.Event()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self):
                    waiter.clear()
                    await waiter.wait()
        finally:
            self._waiters.remove(waiter)

    def close(self) -> None:
        self.flush()
        self.store.close()
