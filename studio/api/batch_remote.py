"""A batch client whose requests run in the batch worker process (``studio.api.batch_worker``): the calls the
batch runner makes (submit, get_job, transcript, list_jobs, delete_job), with the same arguments, results
and exceptions as ``BatchClient``'s, but none of the HTTP work on this process's interpreter.

    client = WorkerBatchClient(auth, url=url, timeout=300, connect_timeout=30)   # the worker starts on first use
    job_id = await client.submit(path, config, progress=on_progress, filename=name)
    await client.aclose()                                                       # the worker stops

The worker makes one attempt per call (the caller retries, as the runner does). Cancelling a call cancels its
request in the worker. If the worker stops unexpectedly, the calls in flight fail with ``NetworkError``
(retryable: the runner waits and tries again, and an upload whose answer was lost is found by its reference
before it is sent again) and the next call starts a new worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from os import PathLike
from typing import Any, Protocol

from studio.api.auth import Auth
from studio.api.batch import JobDetails, Progress, config_body, format_timestamp
from studio.api.batch_pipe import decode_error, pack, read_message
from studio.api.batch_worker import command
from studio.api.config import JobConfig
from studio.api.errors import NetworkError, ProtocolError

log = logging.getLogger(__name__)
STOP_SECONDS = 2.0  # how long aclose waits for the worker to end before killing it


class BatchJobs(Protocol):
    """What the batch runner asks of a client: ``BatchClient`` and ``WorkerBatchClient`` both are one."""

    async def submit(self, media: str | PathLike[str] | None, config: JobConfig | Mapping[str, Any], *,
                     progress: Progress | None = None, filename: str | None = None) -> str: ...

    async def get_job(self, job_id: str) -> JobDetails: ...

    async def transcript(self, job_id: str) -> dict[str, Any]: ...

    async def list_jobs(self, *, limit: int | None = None, created_before: datetime | str | None = None,
                        include_deleted: bool = False) -> list[JobDetails]: ...

    async def delete_job(self, job_id: str, *, force: bool = False) -> JobDetails: ...

    async def aclose(self) -> None: ...


class WorkerBatchClient:
    def __init__(self, auth: Auth, *, url: str, timeout: float = 300.0, connect_timeout: float = 30.0,
                 worker: Sequence[str] | None = None) -> None:
        self._auth = auth
        self._url = url
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._command = list(worker or command())
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        #: The calls awaiting an answer: their future, progress callback and the worker they went to.
        self._pending: dict[int, tuple[asyncio.Future[Any], Progress | None, asyncio.subprocess.Process]] = {}
        self._next_id = 0
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs."""
        return self._process.pid if self._process is not None and self._process.returncode is None else None

    # -- the calls ------------------------------------------------------------------------------------
    async def submit(self, media: str | PathLike[str] | None, config: JobConfig | Mapping[str, Any], *,
                     progress: Progress | None = None, filename: str | None = None) -> str:
        params = {"media": None if media is None else str(media), "config": config_body(config), "filename": filename}
        return str(await self._call("submit", params, progress))

    async def get_job(self, job_id: str) -> JobDetails:
        return JobDetails.from_json(await self._call("get_job", {"job_id": job_id}))

    async def delete_job(self, job_id: str, *, force: bool = False) -> JobDetails:
        return JobDetails.from_json(await self._call("delete_job", {"job_id": job_id, "force": force}))

    async def list_jobs(self, *, limit: int | None = None, created_before: datetime | str | None = None,
                        include_deleted: bool = False) -> list[JobDetails]:
        before = format_timestamp(created_before) if isinstance(created_before, datetime) else created_before
        jobs = await self._call("list_jobs", {"limit": limit, "created_before": before,
                                              "include_deleted": include_deleted})
        return [JobDetails.from_json(job) for job in jobs]

    async def transcript(self, job_id: str) -> dict[str, Any]:
        document = await self._call("transcript", {"job_id": job_id})
        if not isinstance(document, dict):
            raise ProtocolError("The batch worker sent a transcript that is not an object")
        return document

    async def aclose(self) -> None:
        """Stops the worker (its requests in flight end with it)."""
        self._closed = True
        process, reader = self._process, self._reader
        self._process = self._reader = None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            log.warning("the batch worker did not stop in %g s: killed", STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if reader is not None:
            await reader

    # -- the pipe ---------------------------------------------------------------------------------------
    async def _call(self, method: str, params: dict[str, Any], progress: Progress | None = None) -> Any:
        process = await self._started()
        self._next_id += 1
        call_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = (future, progress, process)
        assert process.stdin is not None
        try:
            process.stdin.write(pack(["call", call_id, method, params]))
            return await future
        except asyncio.CancelledError:
            if call_id in self._pending and process.returncode is None and process.stdin is not None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    process.stdin.write(pack(["cancel", call_id]))
            raise
        finally:
            self._pending.pop(call_id, None)

    async def _started(self) -> asyncio.subprocess.Process:
        async with self._starting:
            if self._closed:
                raise NetworkError("The batch worker was closed")
            if self._process is not None and self._process.returncode is None:
                return self._process
            try:
                process = await asyncio.create_subprocess_exec(
                    *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            except OSError as exc:
                raise NetworkError(f"The batch worker could not be started ({exc.strerror or exc})") from None
            assert process.stdin is not None and process.stdout is not None
            key = await self._auth.token("batch")
            process.stdin.write(pack(["hello", {"url": self._url, "key": key, "timeout": self._timeout,
                                                "connect_timeout": self._connect_timeout}]))
            self._process = process
            self._reader = asyncio.get_running_loop().create_task(self._read(process), name="batch-worker-reader")
            log.info("batch worker started (pid %d)", process.pid)
            return process

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while (message := await read_message(process.stdout)) is not None:
                self._deliver(message)
        except (ProtocolError, ValueError) as exc:
            log.error("the batch worker's pipe broke: %s", exc)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        status = await process.wait()
        if self._process is process:
            self._process = None
        if not self._closed:
            log.warning("the batch worker stopped (exit status %s)", status)
        error = NetworkError(f"The batch worker stopped (exit status {status})")
        for future, _progress, sent_to in list(self._pending.values()):
            if sent_to is process and not future.done():
                future.set_exception(error)

    def _deliver(self, message: Any) -> None:
        kind, call_id = message[0], message[1]
        entry = self._pending.get(call_id)
        if entry is None:
            return  # a call cancelled meanwhile
        future, progress, _process = entry
        if kind == "progress":
            if progress is not None:
                progress(int(message[2]), int(message[3]))
            return
        if future.done():
            return
        if kind == "ok":
            future.set_result(message[2])
        else:
            future.set_exception(decode_error(message[2]))

