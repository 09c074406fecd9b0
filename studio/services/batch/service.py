"""The batch service: the queue, its store, the runner, the watch folder and the exports behind one object.

Every method runs on the studio's event loop (the GUI reaches it through the bridge); observers of
``service.queue.updates`` hear every change, coalesced (``studio.services.batch.queue``).

    service = BatchService.open(paths.data / "batch.sqlite3", connect, RunnerPolicy(concurrency=4))
    service.start()                                   # resumes what a previous run left
    report = await service.add_paths([folder, file])  # -> AddReport: rows at once, each file checked after
    await service.cancel(ids); service.retry(ids); await service.remove(ids); service.move(ids, index)
    service.set_paused(True); service.update_settings(ids, settings)
    document = service.result(job_id); await service.save_result(job_id, document)   # edits
    report = await service.export(ids, request)       # export many
    service.configure(defaults=..., limits=..., concurrency=..., auto_export=request | None)
    await service.watch(folder | None)
    await service.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.jobs import ACTIVE, FINISHED, Job, JobSettings, JobState
from studio.services.batch.export import ExportReport, ExportRequest, export_job, export_many
from studio.services.batch.inputs import Limits, discover, inspect
from studio.services.batch.queue import JobQueue
from studio.services.batch.runner import BatchRunner, Connect, MakeClient, RunnerPolicy, client_here
from studio.services.batch.watch import FolderWatch
from studio.storage.jobs_store import JobStore

log = logging.getLogger(__name__)


@dataclass
class AddReport:
    added: int = 0
    refused: int = 0  # added as failed rows (a file that cannot be transcribed)
    duplicates: list[str] = field(default_factory=list)  # names already in the queue
    empty_folders: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    missing: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        """Sentences for the message bar ("" when everything dropped was added)."""
        parts = []
        if self.duplicates:
            names = ", ".join(self.duplicates[:3]) + (f" and {len(self.duplicates) - 3} more"
                                                      if len(self.duplicates) > 3 else "")
            one = len(self.duplicates) == 1
            parts.append(f"{names} {'is' if one else 'are'} already in the queue, so {'it was' if one else 'they were'}"
                         " not added again.")
        for folder in self.empty_folders:
            parts.append(f"“{folder.name or folder}” holds no audio or video files.")
        for folder, reason in self.unreadable:
            parts.append(f"“{folder.name or folder}” could not be read ({reason}).")
        for path in self.missing:
            parts.append(f"“{path.name}” no longer exists.")
        return " ".join(parts)


class BatchService:
    def __init__(self, queue: JobQueue, connect: Connect, policy: RunnerPolicy | None = None, *,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 make_client: MakeClient = client_here) -> None:
        self.queue = queue
        self._clock = clock
        self.defaults = JobSettings()
        self.limits: Limits | None = None
        self.auto_export: ExportRequest | None = None
        self.runner = BatchRunner(queue, connect, policy, after_done=self._after_done, clock=clock, sleep=sleep,
                                  make_client=make_client)
        self._to_check: list[str] = [job.id for job in queue.jobs()
                                     if job.state is JobState.QUEUED and job.duration is None]
        self._check_wakeup = asyncio.Event()
        self._checker: asyncio.Task[None] | None = None
        self._watch: tuple[FolderWatch, asyncio.Task[None]] | None = None

    @classmethod
    def open(cls, path: Path, connect: Connect, policy: RunnerPolicy | None = None, **kwargs: Any) -> BatchService:
        """The service over the queue stored at ``path`` (``JobStoreError`` if it cannot be used)."""
        return cls(JobQueue(JobStore(path)), connect, policy, **kwargs)

    def start(self) -> None:
        self.runner.start()
        if self._checker is None:
            self._checker = asyncio.get_running_loop().create_task(self._check_files(), name="batch-checker")
            self._check_wakeup.set()
        self.runner.kick()

    def configure(self, *, defaults: JobSettings | None = None, limits: Limits | None = None,
                  concurrency: int | None = None, auto_export: ExportRequest | bool | None = False) -> None:
        """Queue-wide choices (``auto_export=None`` turns auto-export off; False leaves it as it is)."""
        if defaults is not None:
            self.defaults = defaults
        if limits is not None:
            self.limits = limits
        if concurrency is not None:
            self.runner.set_concurrency(concurrency)
        if auto_export is not False:
            self.auto_export = auto_export if isinstance(auto_export, ExportRequest) else None

    def engine_changed(self) -> None:
        self.runner.engine_changed()

    async def close(self) -> None:
        await self.watch(None)
        if self._checker is not None:
            self._checker.cancel()
            await asyncio.gather(self._checker, return_exceptions=True)
            self._checker = None
        await self.runner.close()
        self.queue.close()

    # -- adding -------------------------------------------------------------------------------------------
    async def add_paths(self, paths: Sequence[Path], settings: JobSettings | None = None) -> AddReport:
        """Files and folders (walked recursively) into the queue; each row shows at once and its file is
        checked afterwards (duration, or why it cannot be transcribed)."""
        found = await asyncio.to_thread(discover, paths)
        report = AddReport(empty_folders=found.empty_folders, unreadable=found.unreadable, missing=found.missing)
        known = {job.path for job in self.queue.jobs()}
        stats = await asyncio.to_thread(_stat_all, [p for p in found.files if str(p) not in known])
        settings = settings or self.defaults
        position = self.queue.next_position()
        now = self._clock()
        jobs: list[Job] = []
        for path in found.files:
            if str(path) in known:
                report.duplicates.append(path.name)
                continue
            size, mtime, error = stats[path]
            jobs.append(Job.new(str(path), path.name, size=size, mtime_ns=mtime, settings=settings,
                                position=position, created_at=now, state=JobState.FAILED if error else JobState.QUEUED,
                                error=error))
            position += 1
        self.queue.add(jobs)
        report.added = len(jobs)
        report.refused = sum(1 for job in jobs if job.state is JobState.FAILED)
        self._to_check.extend(job.id for job in jobs if job.state is JobState.QUEUED)
        self._check_wakeup.set()
        self.runner.kick()
        return report

    async def _check_files(self) -> None:
        """Checks each new job's file in turn, in a worker thread (the table shows the duration or the error)."""
        while True:
            await self._check_wakeup.wait()
            self._check_wakeup.clear()
            while self._to_check:
                job_id = self._to_check.pop(0)
                job = self.queue.get(job_id)
                if job is None or job.state is not JobState.QUEUED:
                    continue
                result = await asyncio.to_thread(inspect, Path(job.path), self.limits)
                job = self.queue.get(job_id)
                if job is None or job.state is not JobState.QUEUED or self.runner.running(job_id):
                    continue  # it started (the runner checks it itself), or was cancelled, meanwhile
                if result.error:
                    self.queue.transition(job_id, JobState.FAILED, error=result.error, finished_at=self._clock())
                elif result.duration != job.duration:
                    self.queue.change(job_id, duration=result.duration)

    # -- the user's commands ------------------------------------------------------------------------------
    async def cancel(self, job_ids: Iterable[str]) -> None:
        await self.runner.cancel(job_ids)

    def retry(self, job_ids: Iterable[str], settings: JobSettings | None = None) -> int:
        """Queues finished jobs again (failed, cancelled, or done: transcribe again); returns how many."""
        count = 0
        for job_id in job_ids:
            job = self.queue.get(job_id)
            if job is None or job.state not in FINISHED or self.runner.running(job_id):
                continue
            stat = _stat_one(Path(job.path))
            self.queue.transition(job_id, JobState.QUEUED, settings=settings or job.settings, error="", note="",
                                  remote_id=None, uploaded=0, attempts=0, started_at=None, finished_at=None,
                                  processing_since=None, size=stat[0], mtime_ns=stat[1], duration=None,
                                  run=job.run + 1, has_result=False, outputs=())
            self._to_check.append(job_id)
            count += 1
        self._check_wakeup.set()
        self.runner.kick()
        return count

    async def remove(self, job_ids: Iterable[str]) -> None:
        ids = list(job_ids)
        live = ACTIVE | {JobState.QUEUED}
        await self.runner.cancel([i for i in ids if (job := self.queue.get(i)) is not None and job.state in live])
        self.queue.remove(ids)

    def move(self, job_ids: Sequence[str], index: int) -> None:
        self.queue.move(job_ids, index)

    def set_paused(self, paused: bool) -> None:
        self.queue.set_paused(paused)
        self.runner.kick()

    def update_settings(self, job_ids: Iterable[str], settings: JobSettings) -> int:
        """New settings for jobs not yet sent (queued ones); returns how many took them."""
        changed = [job.with_changes(settings=settings) for job_id in job_ids
                   if (job := self.queue.get(job_id)) is not None and job.state is JobState.QUEUED
                   and not self.runner.running(job_id)]
        if changed:
            self.queue.change_many(changed)
        return len(changed)

    # -- results ------------------------------------------------------------------------------------------
    def result(self, job_id: str) -> dict[str, Any] | None:
        return self.queue.store.result(job_id)

    async def save_result(self, job_id: str, document: dict[str, Any]) -> None:
        """The transcript after the user's edits: stored, and the auto-exported files written again."""
        self.queue.store.save_result(job_id, document)
        job = self.queue.get(job_id)
        if job is not None and job.outputs and self.auto_export is not None:
            await self._after_done(job, document)

    async def _after_done(self, job: Job, document: dict[str, Any]) -> None:
        request = self.auto_export
        if request is None:
            return
        written = await asyncio.to_thread(export_job, job, document, request)
        if job.id in self.queue:
            self.queue.change(job.id, outputs=tuple(str(p) for p in written))

    async def export(self, job_ids: Sequence[str], request: ExportRequest) -> ExportReport:
        items = [(job, self.result(job.id)) for job_id in job_ids if (job := self.queue.get(job_id)) is not None]
        return await asyncio.to_thread(export_many, items, request)

    # -- the watch folder ---------------------------------------------------------------------------------
    async def watch(self, folder: Path | None, *, interval: float = 3.0) -> None:
        """Adds new media files that appear in ``folder`` (None: stop watching)."""
        if self._watch is not None:
            if folder is not None and self._watch[0].folder == folder:
                return
            watcher, task = self._watch
            self._watch = None
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self.queue.store.set_value(f"watch-since:{watcher.folder}", repr(watcher.since))
        if folder is None:
            return
        key = f"watch-since:{folder}"
        since: float | None = None
        with contextlib.suppress(ValueError):
            since = float(self.queue.store.get_value(key)) if self.queue.store.get_value(key) else None

        async def found(paths: list[Path]) -> None:
            await self.add_paths(paths)
            self.queue.store.set_value(key, repr(watcher.since))

        watcher = FolderWatch(folder, found, since=since, clock=self._clock, interval=interval)
        if since is None:
            self.queue.store.set_value(key, repr(watcher.since))
        self._watch = (watcher, asyncio.get_running_loop().create_task(watcher.run(), name="batch-watch"))


def _stat_one(path: Path) -> tuple[int, int, str]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0, 0, "The file no longer exists."
    except OSError as exc:
        return 0, 0, f"The file cannot be read ({exc.strerror or type(exc).__name__})."
    return stat.st_size, stat.st_mtime_ns, ""


def _stat_all(paths: Sequence[Path]) -> dict[Path, tuple[int, int, str]]:
    return {path: _stat_one(path) for path in paths}
