"""Helpers for killing a studio mid-queue and starting the next one: the server and studio processes, their
event lines, and the checks that nothing was lost or duplicated (used by the test and the benchmark)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api.auth import StaticKey
from studio.api.batch import BatchClient, JobDetails
from studio.core.jobs import Job, JobSettings, JobState
from studio.services.batch.reconcile import reference_of
from studio.storage.jobs_store import JobStore
from studio.storage.paths import default_paths
from tests.conftest import REPO

KEY = "kill-test-key-0123456789"


class Lines:
    """A child's standard output, read line by line with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        assert process.stdout is not None
        self._stream = process.stdout
        self._buffer = ""

    def next(self, timeout: float) -> str | None:
        """The next line, or None at the end of the output; TimeoutError when none came in time."""
        deadline = time.monotonic() + timeout
        while "\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the child printed nothing in time")
            ready, _, _ = select.select([self._stream], [], [], left)
            if ready:
                chunk = os.read(self._stream.fileno(), 65536).decode()
                if not chunk:
                    if self._buffer:
                        line, self._buffer = self._buffer, ""
                        return line
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition("\n")
        return line


def start_server(job_seconds: float = 2.0, accept_delay: float = 1.0, hold_second_upload: bool = False,
                 nice: int = 0) -> tuple[subprocess.Popen[str], str]:
    """The slow server in a process of its own; ``nice``: its scheduling priority (a benchmark runs it low, as
    the stand-in for a service on another machine)."""
    hold = ["--hold-second-upload"] if hold_second_upload else []
    server = subprocess.Popen([sys.executable, "-m", "tests.qt.batch.slow_server", KEY, "--job-seconds",
                               str(job_seconds), "--accept-delay", str(accept_delay), "--nice", str(nice), *hold],
                              cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              # A studio killed mid-upload leaves the server a broken connection, which aiohttp
                              # logs with a traceback (the server's own affair): kept out of the output.
                              stderr=subprocess.DEVNULL)
    line = Lines(server).next(60)
    assert line is not None and line.startswith("batch "), line
    return server, line.split()[1]


def stop(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def prepare(home: Path, media: list[Path], concurrency: int = 2) -> list[Job]:
    """What a user who dropped ``media`` and closed the studio leaves: queued jobs, and the batch settings."""
    paths = default_paths({"STUDIO_HOME": str(home)})
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"version": 1, "batch": {"concurrency": concurrency}}))
    jobs = []
    for position, path in enumerate(media):
        stat = path.stat()
        jobs.append(Job.new(str(path), path.name, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                            settings=JobSettings(), position=position, created_at=time.time()))
    store = JobStore(paths.data / "batch-queue.sqlite3")
    store.insert(jobs)
    store.close()
    return jobs


def start_studio(home: Path, batch_url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(home), SPEECHMATICS_API_KEY=KEY,
               SPEECHMATICS_BATCH_URL=batch_url, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "tests.qt.batch.studio_child"], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


@dataclass
class Seen:
    """The states of the jobs as the studio's lines told them."""

    states: dict[str, str] = field(default_factory=dict)
    uploaded: dict[str, int] = field(default_factory=dict)
    finished: bool = False

    def take(self, line: str) -> None:
        if line == "all-finished":
            self.finished = True
        elif line.startswith("{"):
            event: dict[str, Any] = json.loads(line)
            self.states[event["job"]] = event["state"]

    def count(self, state: str) -> int:
        return sum(1 for value in self.states.values() if value == state)


def events(process: subprocess.Popen[str], timeout: float) -> Iterator[str]:
    lines = Lines(process)
    while True:
        line = lines.next(timeout)
        if line is None:
            return
        yield line


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def stored(home: Path) -> list[Job]:
    store = JobStore(default_paths({"STUDIO_HOME": str(home)}).data / "batch-queue.sqlite3")
    try:
        return store.load()
    finally:
        store.close()


def server_jobs(batch_url: str) -> list[JobDetails]:
    async def fetch() -> list[JobDetails]:
        async with BatchClient(StaticKey(KEY), url=batch_url) as client:
            return await client.list_jobs(limit=100, include_deleted=True)

    return asyncio.run(fetch())


@dataclass(frozen=True)
class Audit:
    lost: int  # jobs not done, or done without a transcript
    duplicated: int  # extra jobs at the server for the same file and run
    strays: int  # jobs at the server that belong to no job of the queue


def audit(home: Path, batch_url: str) -> Audit:
    jobs = stored(home)
    store = JobStore(default_paths({"STUDIO_HOME": str(home)}).data / "batch-queue.sqlite3")
    try:
        lost = sum(1 for job in jobs if job.state is not JobState.DONE or not store.result(job.id))
    finally:
        store.close()
    references = [reference_of(job) for job in server_jobs(batch_url)]
    ours = {job.reference for job in jobs}
    duplicated = sum(max(0, references.count(reference) - 1) for reference in ours)
    strays = sum(1 for reference in references if reference not in ours)
    return Audit(lost + sum(1 for reference in ours if reference not in references), duplicated, strays)
