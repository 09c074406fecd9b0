"""The batch service against the real local server: media files made by the tests, a service per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from studio.api.auth import StaticKey
from studio.api.batch import BatchClient
from studio.core.jobs import Job, JobState
from studio.local.server import LocalServer
from studio.services.batch.inputs import SPEECHMATICS_LIMITS, Limits
from studio.services.batch.queue import JobQueue
from studio.services.batch.runner import RunnerPolicy, Target
from studio.services.batch.service import BatchService
from studio.services.connections import Connection
from tests.conftest import SHARED_AUDIO
from tests.fakes.server import SERVER_KEY, Sleeps

# Waits go through the ``sleeps`` recorder (at most 5 ms each), so backoffs are checked, not waited out;
# polls are far shorter than any backoff, so the two are told apart in ``sleeps.delays``.
FAST = RunnerPolicy(concurrency=4, poll_first=0.02, poll_factor=1.5, poll_max=0.1, retry_base=0.5, retry_max=5.0,
                    request_timeout=30.0)
SPEECH = SHARED_AUDIO / "audio_04_16kHz.wav"


def target_of(server: LocalServer, *, local: bool = False, limits: Limits = SPEECHMATICS_LIMITS,
              label: str = "Test server") -> Target:
    return Target(Connection(server.urls, api_key=SERVER_KEY), label, local, limits)


class Harness:
    """A service over a queue in ``tmp_path``; ``seen`` is every state change, in order."""

    def __init__(self, path: Path, target: Callable[[], Target], policy: RunnerPolicy, sleeps: Sleeps) -> None:
        self.path = path
        self.target = target
        self.sleeps = sleeps

        async def connect() -> Target:
            return self.target()

        self.service = BatchService.open(path, connect, policy, sleep=sleeps)
        self.seen: list[Job] = []
        self.service.queue.transitions.subscribe(self.seen.append)

    @property
    def queue(self) -> JobQueue:
        return self.service.queue

    async def finished(self, timeout: float = 60.0) -> list[Job]:
        await self.queue.wait_for(lambda q: all(not job.unfinished for job in q.jobs()), timeout)
        return self.queue.jobs()

    def states(self, job_id: str) -> list[JobState]:
        return [job.state for job in self.seen if job.id == job_id]


@pytest.fixture
async def make_harness(tmp_path: Path, server: LocalServer, sleeps: Sleeps) -> AsyncIterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(policy: RunnerPolicy = FAST, target: Callable[[], Target] | None = None,
             name: str = "queue.sqlite3") -> Harness:
        harness = Harness(tmp_path / name, target or (lambda: target_of(server)), policy, sleeps)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.service.close()


@pytest.fixture
async def client(server: LocalServer) -> AsyncIterator[BatchClient]:
    async with BatchClient(StaticKey(SERVER_KEY), url=server.urls.batch) as batch:
        yield batch


def media(folder: Path, name: str, source: Path = SPEECH) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(source.read_bytes())
    return path


def by_name(jobs: list[Job]) -> dict[str, Job]:
    return {job.name: job for job in jobs}
