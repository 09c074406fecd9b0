"""The batch runner: sends queued jobs (a bounded number of uploads at a time), polls them with a backoff, fetches
their transcripts, and retries what failed for a reason that passes — all on one asyncio loop, no Qt.

    runner = BatchRunner(queue, connect, RunnerPolicy(concurrency=4), after_done=export_hook)
    runner.start()            # resumes what a previous run left (see ``recover``) and starts the scheduler
    runner.kick()             # something changed: start what may start
    await runner.cancel(ids); runner.engine_changed(); await runner.close()

``connect()`` gives the ``Target`` to send to (its connection, label, whether it is the built-in engine,
its limits); the runner asks for it when it needs it and again after ``engine_changed()``. ``make_client``
makes the client for a target: ``client_here`` (the default; its requests run on this loop) or
``client_in_worker`` (they run in the batch worker process — the window's choice, see
``studio.api.batch_worker``).

The life of a job (``studio.core.jobs``): QUEUED → UPLOADING → PROCESSING → DONE. A 429, a 5xx, a timeout or
no network puts it in WAITING, with the reason and the time of the next try, and the same step is tried
again then, with exponential backoff (``Retry-After`` when the service sends one); an upload waiting to
retry keeps its slot so that a rate-limited service is not sent more. Requests are sent without the HTTP
client's own retries so that every wait shows in the table. Other failures end the job (FAILED) with one
sentence for the user (``studio.services.advice.explain``); they never stop the queue.

Exactly once: every submission carries ``tracking.reference``; before a file is sent again after an
attempt whose outcome is unknown (a crash, a timeout, a broken connection), the service's job list is
searched for that reference and the job found is re-attached instead (``studio.services.batch.reconcile``).
On start, ``recover`` turns what a killed studio left into that: uploads that were in flight are queued
again (reconciled before they are re-sent), jobs the service had are polled again by their id, and jobs
of the built-in engine — whose jobs die with the studio — are submitted again, with a note saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from studio.api.batch import BatchClient, JobDetails
from studio.api.batch_remote import BatchJobs, WorkerBatchClient
from studio.api.errors import (
    ApiError,
    ApiTimeoutError,
    ConfigurationError,
    HttpError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
)
from studio.api.http import NO_RETRY
from studio.audio.decode import DecodeError, probe
from studio.core.jobs import ACTIVE, FINISHED, Job, JobState
from studio.services.advice import explain
from studio.services.batch.inputs import Limits, changed_since_queued, inspect
from studio.services.batch.options import job_config
from studio.services.batch.queue import JobQueue
from studio.services.batch.reconcile import find_by_reference
from studio.services.connections import Connection

log = logging.getLogger(__name__)
T = TypeVar("T")

RESUBMITTED = ("Submitted again: the built-in engine's jobs stop with the studio, and this one was running "
               "when the studio closed.")
RESTARTED = "Submitted again: the built-in engine restarted while this job was running."
GONE = "The service no longer has this job (it keeps jobs for 7 days); choose Retry to send it again."
UPLOAD_RESTARTED = "The upload was interrupted when the studio closed; it started again."


@dataclass(frozen=True)
class Target:
    """Where jobs go now: the engine's clients, its label, and what it accepts."""

    connection: Connection
    label: str
    local: bool
    limits: Limits

    @property
    def url(self) -> str:
        return self.connection.endpoints.batch


Connect = Callable[[], Awaitable[Target]]
AfterDone = Callable[[Job, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class RunnerPolicy:
    concurrency: int = 4  # uploads at a time
    # Status checks and transcript downloads in flight at a time. Hundreds of jobs processing at once would
    # otherwise each hold a request (and a connection) open: the HTTP pool then scans all of them for every
    # request it places, and the service sees a burst it may rate-limit. The rest wait their turn here.
    requests_at_once: int = 8
    poll_first: float = 1.0  # seconds before the first status check
    poll_factor: float = 1.5
    poll_max: float = 20.0
    retry_base: float = 2.0  # first wait after a failure that passes (doubles each time)
    retry_max: float = 300.0
    server_error_attempts: int = 8  # 5xx answers in a row before a job fails
    request_timeout: float = 300.0  # seconds to wait for an answer
    connect_timeout: float = 30.0
    problem_retry: float = 30.0  # when the engine cannot be reached at all (no key, failed to start)


MakeClient = Callable[[Target, RunnerPolicy], BatchJobs]


def client_here(target: Target, policy: RunnerPolicy) -> BatchJobs:
    """A client whose requests run on the runner's own event loop (the command line's choice)."""
    return BatchClient(target.connection.auth("batch"), url=target.url, retry=NO_RETRY,
                       timeout=policy.request_timeout, connect_timeout=policy.connect_timeout)


def client_in_worker(target: Target, policy: RunnerPolicy) -> BatchJobs:
    """A client whose requests run in a worker process (``studio.api.batch_worker``): the window's choice, so
    that the HTTP work of hundreds of jobs never competes with the GUI thread for the interpreter."""
    return WorkerBatchClient(target.connection.auth("batch"), url=target.url, timeout=policy.request_timeout,
                             connect_timeout=policy.connect_timeout)


class _Stop(Exception):  # noqa: N818 - control flow inside a job's task
    """The job left the runner's hands (failed, re-queued): its task ends."""


class BatchRunner:
    def __init__(self, queue: JobQueue, connect: Connect, policy: RunnerPolicy | None = None, *,
                 after_done: AfterDone | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, make_client: MakeClient = client_here
                 ) -> None:
        self.queue = queue
        self._make_client = make_client
        self.policy = policy or RunnerPolicy()
        self._connect = connect
        self._after_done = after_done
        self._clock = clock
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._slots: set[str] = set()  # jobs holding an upload slot
        self._kick = asyncio.Event()
        self._scheduler: asyncio.Task[None] | None = None
        self._target: Target | None = None
        self._client: BatchJobs | None = None
        self._retired: list[BatchJobs] = []
        self._target_lock = asyncio.Lock()
        self._requests = asyncio.Semaphore(max(1, self.policy.requests_at_once))
        self._generation = 0  # bumped by engine_changed(): a target being connected is then stale
        self.problem = ""  # why nothing can be sent (no key, the engine did not start), or ""

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._scheduler is None:
            self.recover()
            self._scheduler = asyncio.get_running_loop().create_task(self._schedule(), name="batch-scheduler")

    def kick(self) -> None:
        self._kick.set()

    def set_concurrency(self, concurrency: int) -> None:
        from dataclasses import replace

        self.policy = replace(self.policy, concurrency=max(1, concurrency))
        self.kick()

    @property
    def uploads(self) -> int:
        return len(self._slots)

    def running(self, job_id: str) -> bool:
        return job_id in self._tasks

    async def close(self) -> None:
        """Stops every task, leaving each job's state as it is: the next start resumes from there."""
        tasks = [t for t in [self._scheduler, *self._tasks.values()] if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._scheduler = None
        await self._drop_client()

    def engine_changed(self) -> None:
        """The user chose another engine: the next request connects again (jobs already sent stay with the
        engine they were sent to; the built-in engine's are sent again)."""
        self._generation += 1
        self._target = None
        if self._client is not None:  # requests still in flight on it finish; it is closed with the runner
            self._retired.append(self._client)
            self._client = None
        self.kick()

    async def _drop_client(self) -> None:
        clients = [c for c in (self._client, *self._retired) if c is not None]
        self._client, self._retired = None, []
        for client in clients:
            await client.aclose()

    # -- recovery -----------------------------------------------------------------------------------------
    def recover(self) -> None:
        """What a previous run left unfinished, made ready to go on (see the module documentation)."""
        for job in self.queue.jobs():
            if job.state in (JobState.UPLOADING, JobState.WAITING) and job.remote_id is None:
                self.queue.transition(job.id, JobState.QUEUED, uploaded=0, note=UPLOAD_RESTARTED)
            elif job.state in (JobState.PROCESSING, JobState.WAITING):
                if job.engine_local:
                    self._resubmit(job.id, RESUBMITTED)
                else:
                    self._spawn(job.id)

    def _resubmit(self, job_id: str, note: str) -> None:
        self.queue.transition(job_id, JobState.QUEUED, remote_id=None, uploaded=0, processing_since=None,
                              attempts=0, note=note, started_at=None)
        self.kick()

    # -- scheduling ---------------------------------------------------------------------------------------
    async def _schedule(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            if self.queue.paused:
                continue
            for job in self.queue.jobs():
                if len(self._slots) >= self.policy.concurrency:
                    break
                if job.state is JobState.QUEUED and job.id not in self._tasks:
                    self._slots.add(job.id)
                    self._spawn(job.id)

    def _spawn(self, job_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._drive(job_id), name=f"batch-job-{job_id[:8]}")
        self._tasks[job_id] = task

    async def _drive(self, job_id: str) -> None:
        try:
            if self.queue[job_id].remote_id is None:
                await self._upload(job_id)
                self._release(job_id)
            await self._poll(job_id)
        except _Stop:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must end one job, never the queue
            log.exception("batch job %s failed unexpectedly", job_id)
            if job_id in self.queue and self.queue[job_id].state in ACTIVE | {JobState.QUEUED}:
                with contextlib.suppress(_Stop):
                    self._fail(job_id, explain(exc))
        finally:
            self._release(job_id)
            if self._tasks.get(job_id) is asyncio.current_task():
                del self._tasks[job_id]
            self.kick()

    def _release(self, job_id: str) -> None:
        if job_id in self._slots:
            self._slots.discard(job_id)
            self.kick()

    # -- the engine ---------------------------------------------------------------------------------------
    async def _ready(self, job_id: str) -> tuple[Target, BatchJobs]:
        """The engine to talk to; while it cannot be reached at all the job waits, saying why."""
        while True:
            generation = self._generation
            try:
                async with self._target_lock:
                    if self._target is None or self._client is None:
                        target = await self._connect()
                        if generation != self._generation:
                            continue
                        self._client = self._make_client(target, self.policy)
                        self._target = target
                    self._set_problem("")
                    return self._target, self._client
            except ApiError as exc:
                self._set_problem(explain(exc))
                await self._wait(job_id, self.problem, self.policy.problem_retry, count=False)

    def _set_problem(self, text: str) -> None:
        if text != self.problem:
            self.problem = text
            self.queue.set_problem(text)

    # -- uploading ----------------------------------------------------------------------------------------
    async def _upload(self, job_id: str) -> None:
        while True:
            target, client = await self._ready(job_id)
            job = await self._checked(job_id, target.limits)
            if job.started_at is not None and not (job.engine_local and target.local and job.engine_url != target.url):
                found = await self._attempt(job_id, target, find_by_reference(client, job.reference, job.started_at),
                                            settle=False)
                if found is not None:
                    self._attached(job_id, target, found.id)
                    return
            channels = await self._channels(job)
            self.queue.transition(job_id, JobState.UPLOADING, engine=target.label, engine_url=target.url,
                                  engine_local=target.local, uploaded=0, error="",
                                  started_at=job.started_at if job.started_at is not None else self._clock())

            def uploaded(sent: int, _total: int) -> None:
                self.queue.progress(job_id, uploaded=sent)

            remote_id = await self._attempt(job_id, target, client.submit(
                job.path, job_config(job, channels), progress=uploaded, filename=job.name))
            if remote_id is not None:
                self._attached(job_id, target, remote_id, submitted=True)
                return

    async def _checked(self, job_id: str, limits: Limits) -> Job:
        """The job, its file checked again just before it is sent (it may have changed since it was queued)."""
        job = self.queue[job_id]
        problem = await asyncio.to_thread(changed_since_queued, job)
        report = None if problem else await asyncio.to_thread(inspect, Path(job.path), limits)
        job = self.queue[job_id]
        if job.state in FINISHED:  # failed by the file check, or cancelled, meanwhile
            raise _Stop
        problem = problem or (report.error if report is not None else "")
        if problem:
            self._fail(job_id, problem)
        if report is not None and report.duration != job.duration:
            job = self.queue.change(job_id, duration=report.duration)
        return job

    async def _channels(self, job: Job) -> int:
        if job.settings.diarization != "channel":
            return 1
        try:
            return max(1, (await asyncio.to_thread(probe, job.path)).channels)
        except DecodeError as exc:
            self._fail(job.id, f"{exc.message.rstrip('.')}.")
            raise _Stop from None

    def _attached(self, job_id: str, target: Target, remote_id: str, *, submitted: bool = False) -> None:
        job = self.queue[job_id]
        if job.state is JobState.QUEUED:  # found by its reference before a new upload began
            job = self.queue.transition(job_id, JobState.UPLOADING, engine=target.label, engine_url=target.url,
                                        engine_local=target.local)
        self.queue.transition(job_id, JobState.PROCESSING, remote_id=remote_id, processing_since=self._clock(),
                              attempts=0, uploaded=job.size, submissions=job.submissions + (1 if submitted else 0))

    # -- polling ------------------------------------------------------------------------------------------
    async def _poll(self, job_id: str) -> None:
        delay = self.policy.poll_first
        first = True
        while True:
            target, client = await self._ready(job_id)
            job = self.queue[job_id]
            assert job.remote_id is not None
            if job.engine_local and (not target.local or target.url != job.engine_url):
                self._resubmit(job_id, RESTARTED)
                raise _Stop
            if not job.engine_local and target.url != job.engine_url:
                await self._wait(job_id, f"it was sent to {job.engine}; it is collected when that engine is in "
                                         "use again", self.policy.problem_retry, count=False)
                continue
            if first and job.state is JobState.PROCESSING:
                await self._sleep(delay)  # the service has only just got it
                first = False
                continue
            first = False
            details = await self._attempt(job_id, target, self._in_turn(client.get_job, job.remote_id),
                                          not_found_resubmits=True)
            if details is None:
                continue
            if details.status == "done":
                await self._finish(job_id, target, client)
                return
            if details.failed:
                self._fail(job_id, failure_text(details))
            await self._sleep(delay)
            delay = min(self.policy.poll_max, delay * self.policy.poll_factor)

    async def _finish(self, job_id: str, target: Target, client: BatchJobs) -> None:
        while True:
            remote_id = self.queue[job_id].remote_id
            assert remote_id is not None
            document = await self._attempt(job_id, target, self._in_turn(client.transcript, remote_id),
                                           not_found_resubmits=True)
            if document is not None:
                break
        self.queue.store.save_result(job_id, document)
        job = self.queue.transition(job_id, JobState.DONE, finished_at=self._clock(), has_result=True, attempts=0)
        if self._after_done is not None:
            try:
                await self._after_done(job, document)
            except Exception as exc:  # auto-export failed: the job is done all the same; say why
                log.warning("after a batch job finished: %s", exc)
                self.queue.change(job_id, note=explain(exc))

    async def _in_turn(self, request: Callable[[str], Awaitable[T]], remote_id: str) -> T:
        """``await request(remote_id)`` once one of the ``requests_at_once`` slots is free (held for the request
        only, never for a wait after it failed)."""
        async with self._requests:
            return await request(remote_id)

    # -- failures -----------------------------------------------------------------------------------------
    async def _attempt(self, job_id: str, target: Target, call: Awaitable[Any], not_found_resubmits: bool = False,
                       *, settle: bool = True) -> Any:
        """``await call``; None after a failure that passes (the job waited), ``_Stop`` after one that does not.
        After a success, a waiting job is back at work and its count of failures starts again (``settle``;
        a look-up before the real step leaves both to that step)."""
        try:
            result = await call
        except RateLimitedError as exc:
            await self._retry_later(job_id, "rate limited (HTTP 429)", exc.retry_after)
            return None
        except ApiTimeoutError as exc:
            log.info("batch job %s: %s", job_id, exc)
            await self._retry_later(job_id, "no answer in time")
            return None
        except NetworkError as exc:
            log.info("batch job %s: %s (%s)", job_id, exc, target.url)
            await self._retry_later(job_id, "the service cannot be reached (offline?)")
            return None
        except NotFoundError as exc:
            job = self.queue[job_id]
            if not_found_resubmits and job.engine_local:
                self._resubmit(job_id, RESTARTED)
                raise _Stop from None
            self._fail(job_id, explain(exc, local=target.local) if not not_found_resubmits else GONE)
        except HttpError as exc:
            if exc.retryable and self.queue[job_id].attempts + 1 < self.policy.server_error_attempts:
                await self._retry_later(job_id, f"service error (HTTP {exc.status})")
                return None
            self._fail(job_id, explain(exc, local=target.local))
        except ConfigurationError as exc:
            self._fail(job_id, explain(exc, local=target.local))
        except ApiError as exc:
            self._fail(job_id, explain(exc, local=target.local))
        job = self.queue[job_id]
        if not settle:
            return result
        if job.state is JobState.WAITING:  # the try after a wait worked
            self.queue.transition(job_id, JobState.PROCESSING if job.remote_id else JobState.UPLOADING, attempts=0)
        elif job.attempts:
            self.queue.change(job_id, attempts=0)
        return result

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(0.0, retry_after), self.policy.retry_max)
        delay = min(self.policy.retry_max, self.policy.retry_base * 2.0 ** max(0, attempts - 1))
        return delay * random.uniform(0.8, 1.2)

    async def _retry_later(self, job_id: str, reason: str, retry_after: float | None = None) -> None:
        attempts = self.queue[job_id].attempts + 1
        await self._wait(job_id, reason, self._backoff(attempts, retry_after), attempts=attempts)

    async def _wait(self, job_id: str, reason: str, delay: float, *, count: bool = True,
                    attempts: int | None = None) -> None:
        job = self.queue[job_id]
        changes: dict[str, Any] = {"wait_reason": reason, "retry_at": self._clock() + delay}
        if count:
            changes["attempts"] = attempts if attempts is not None else job.attempts + 1
        if job.state is JobState.QUEUED:  # not sent yet: it waits as an upload
            job = self.queue.transition(job_id, JobState.UPLOADING, uploaded=0)
        self.queue.transition(job_id, JobState.WAITING, **changes)
        await self._sleep(delay)

    def _fail(self, job_id: str, error: str) -> None:
        self.queue.transition(job_id, JobState.FAILED, error=error, finished_at=self._clock())
        raise _Stop

    # -- the user's commands ------------------------------------------------------------------------------
    async def cancel(self, job_ids: Iterable[str]) -> None:
        """Stops these jobs (a job the service has is deleted there too)."""
        stopping: list[asyncio.Task[None]] = []
        remote: list[tuple[str, bool]] = []
        for job_id in job_ids:
            job = self.queue.get(job_id)
            if job is None or job.state not in ACTIVE | {JobState.QUEUED}:
                continue
            task = self._tasks.pop(job_id, None)
            if task is not None:
                task.cancel()
                stopping.append(task)
            self._slots.discard(job_id)
            job = self.queue[job_id]
            self.queue.transition(job_id, JobState.CANCELLED, finished_at=self._clock())
            if job.remote_id is not None:
                remote.append((job.remote_id, job.engine_url == (self._target.url if self._target else None)))
        if stopping:
            await asyncio.gather(*stopping, return_exceptions=True)
        client = self._client
        for remote_id, here in remote:
            if here and client is not None:
                with contextlib.suppress(ApiError):
                    await client.delete_job(remote_id, force=True)
        self.kick()


def failure_text(details: JobDetails) -> str:
    """Why the service gave up on a job, for the row."""
    messages = details.error_messages
    if details.status == "rejected":
        reason = messages[-1] if messages else "no reason was given"
        return f"The service could not transcribe the file: {reason}."
    if details.status == "deleted":
        return "The job was deleted at the service before it finished."
    return "The job expired at the service before its transcript was collected (jobs are kept for 7 days)."
