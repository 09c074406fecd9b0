"""The GUI thread's copy of the queue: the jobs in order, kept up to date from the queue's updates (no Qt).

    board = JobBoard()
    board.changes.subscribe(model.on_board_change)   # BoardChange: reset, inserted, removed, moved (before
                                                     # and after), changed, paused, problem
    board.apply(updates)                             # a batch of QueueUpdate, as the queue sent them

The queue itself lives on the event loop's thread; its updates come here through the bridge, in order,
and each batch is applied in one go (one insertion of 500 rows, one ``changed`` covering every row whose
progress moved). The table model is a thin adapter over this list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from studio.core.jobs import Job, JobState
from studio.core.observable import Observable
from studio.services.batch.queue import QueueUpdate


@dataclass(frozen=True)
class BoardChange:
    """Structural changes come twice, ``before`` and ``after`` the list changes (Qt's begin/end calls);
    ``changed``, ``paused`` and ``problem`` come once, after."""

    kind: str  # "reset" | "inserted" | "removed" | "moved" | "changed" | "paused" | "problem"
    before: bool = False
    first: int = 0  # inserted: the first new row; removed: the first row going
    count: int = 0  # inserted / removed: how many rows
    rows: tuple[int, ...] = ()  # changed: the rows that changed


class JobBoard:
    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self._rows: dict[str, int] = {}
        #: How many jobs are in each state (kept as the jobs change: summaries need not count 500 rows).
        self.counts: Counter[JobState] = Counter()
        self.paused = False
        self.problem = ""
        self.changes: Observable[BoardChange] = Observable()

    def __len__(self) -> int:
        return len(self.jobs)

    def row_of(self, job_id: str) -> int | None:
        return self._rows.get(job_id)

    def get(self, job_id: str) -> Job | None:
        row = self._rows.get(job_id)
        return self.jobs[row] if row is not None else None

    def count(self, states: Iterable[JobState]) -> int:
        return sum(self.counts[state] for state in states)

    def _reindex(self) -> None:
        self._rows = {job.id: row for row, job in enumerate(self.jobs)}

    def _both(self, kind: str, first: int = 0, count: int = 0) -> None:
        self.changes.emit(BoardChange(kind, True, first, count))

    def apply(self, updates: Sequence[QueueUpdate]) -> None:
        for update in updates:
            if update.reset is not None:
                self._both("reset")
                self.jobs = list(update.reset)
                self.counts = Counter(job.state for job in self.jobs)
                self._reindex()
                self.changes.emit(BoardChange("reset"))
            if update.added:
                first = len(self.jobs)
                self._both("inserted", first, len(update.added))
                self.jobs.extend(update.added)
                self.counts.update(job.state for job in update.added)
                for row, job in enumerate(update.added, first):
                    self._rows[job.id] = row
                self.changes.emit(BoardChange("inserted", first=first, count=len(update.added)))
            if update.removed:
                self._remove(update.removed)
            if update.order is not None:
                self._both("moved")
                known = {job.id: job for job in self.jobs}
                self.jobs = [known[job_id] for job_id in update.order if job_id in known]
                self._reindex()
                self.changes.emit(BoardChange("moved"))
            if update.changed:
                rows = []
                for job in update.changed:
                    found = self._rows.get(job.id)
                    if found is not None:
                        self.counts[self.jobs[found].state] -= 1
                        self.counts[job.state] += 1
                        self.jobs[found] = job
                        rows.append(found)
                if rows:
                    self.changes.emit(BoardChange("changed", rows=tuple(sorted(rows))))
            if update.paused is not None and update.paused != self.paused:
                self.paused = update.paused
                self.changes.emit(BoardChange("paused"))
            if update.problem is not None and update.problem != self.problem:
                self.problem = update.problem
                self.changes.emit(BoardChange("problem"))

    def _remove(self, job_ids: Sequence[str]) -> None:
        # Contiguous runs from the bottom up, so each removal's row numbers stay right.
        rows = sorted((row for job_id in job_ids if (row := self._rows.get(job_id)) is not None), reverse=True)
        while rows:
            last = first = rows.pop(0)
            while rows and rows[0] == first - 1:
                first = rows.pop(0)
            self._both("removed", first, last - first + 1)
            self.counts.subtract(job.state for job in self.jobs[first:last + 1])
            del self.jobs[first:last + 1]
            self._reindex()
            self.changes.emit(BoardChange("removed", first=first, count=last - first + 1))
