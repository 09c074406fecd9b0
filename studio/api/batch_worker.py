"""The batch worker: a ``BatchClient`` in a process of its own, driven over its standard input and output
(``studio.api.batch_pipe``) by ``studio.api.batch_remote.WorkerBatchClient``.

Why a process: hundreds of jobs mean thousands of HTTP requests, and the HTTP stack is Python from top to
bottom (~2 ms of interpreter time a request). On the studio's event-loop thread that time is taken from the
window — the GUI thread waits for the interpreter lock on every callback it makes while painting. Here it is
the worker's own interpreter. The uploads read their files here too.

The worker dies with the studio: on Linux the kernel kills it when its parent goes (``PR_SET_PDEATHSIG``),
and everywhere it stops when its standard input ends — so a killed studio never leaves an upload running
that would make a job the next start does not know of.

    python -m studio --batch-worker     (the bundle: ``transcription-studio --batch-worker``)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from studio.api.auth import StaticKey
from studio.api.batch import BatchClient
from studio.api.batch_pipe import encode_error, pack, read_message
from studio.api.http import NO_RETRY

FLAG = "--batch-worker"

log = logging.getLogger(__name__)


def command() -> list[str]:
    """How to start the worker: the bundle's own executable, or this Python with the studio package."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FLAG]
    return [sys.executable, "-m", "studio", FLAG]


def main() -> int:
    _die_with_parent()
    # The pipe is a private copy of standard output; anything printed by accident goes to standard error.
    out = os.dup(1)
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="batch worker: %(levelname)s %(message)s")
    # Ctrl+C in a terminal reaches the whole process group: the studio closes cleanly and ends the worker then.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_Worker(out).serve())
    return 0


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent went before the line above
        os._exit(1)


class _Worker:
    def __init__(self, out: int) -> None:
        self._out_fd = out
        self._writer: asyncio.StreamWriter | None = None
        self._client: BatchClient | None = None
        self._calls: dict[int, asyncio.Task[None]] = {}

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0))
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(self._out_fd, "wb", buffering=0))
        self._writer = asyncio.StreamWriter(transport, protocol, None, loop)
        try:
            while (message := await read_message(reader)) is not None:
                self._handle(message)
        finally:  # the studio closed the pipe (or went): stop at once
            for task in self._calls.values():
                task.cancel()
            await asyncio.gather(*self._calls.values(), return_exceptions=True)
            if self._client is not None:
                await self._client.aclose()

    def _handle(self, message: Any) -> None:
        kind = message[0]
        if kind == "hello":
            options = message[1]
            self._client = BatchClient(StaticKey(options["key"]), url=options["url"], retry=NO_RETRY,
                                       timeout=float(options["timeout"]),
                                       connect_timeout=float(options["connect_timeout"]))
        elif kind == "call":
            _kind, call_id, method, params = message
            task = asyncio.get_running_loop().create_task(self._call(call_id, method, params))
            self._calls[call_id] = task
        elif kind == "cancel" and (running := self._calls.get(message[1])) is not None:
            running.cancel()

    def _send(self, message: Any) -> None:
        assert self._writer is not None
        self._writer.write(pack(message))

    async def _call(self, call_id: int, method: str, params: dict[str, Any]) -> None:
        try:
            if self._client is None:
                raise RuntimeError("a call came before the hello")
            value = await self._run(self._client, call_id, method, params)
        except asyncio.CancelledError:
            pass  # the studio stopped waiting for it: it expects no answer
        except Exception as exc:  # every failure goes back to the caller
            self._send(["error", call_id, encode_error(exc)])
        else:
            self._send(["ok", call_id, value])
        finally:
            self._calls.pop(call_id, None)
        if self._writer is not None:
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()

    async def _run(self, client: BatchClient, call_id: int, method: str, params: dict[str, Any]) -> Any:
        if method == "submit":
            def progress(sent: int, total: int) -> None:  # once per chunk read (a megabyte), as in this process
                self._send(["progress", call_id, sent, total])

            return await client.submit(params["media"], params["config"], progress=progress,
                                       filename=params.get("filename"))
        if method == "get_job":
            return dict((await client.get_job(params["job_id"])).raw)
        if method == "delete_job":
            return dict((await client.delete_job(params["job_id"], force=bool(params.get("force")))).raw)
        if method == "list_jobs":
            jobs = await client.list_jobs(limit=params.get("limit"), created_before=params.get("created_before"),
                                          include_deleted=bool(params.get("include_deleted")))
            return [dict(job.raw) for job in jobs]
        if method == "transcript":
            return await client.transcript(params["job_id"])
        raise RuntimeError(f"no such call: {method}")
