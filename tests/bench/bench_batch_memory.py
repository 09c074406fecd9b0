"""Memory while the batch service uploads four files of 1 GB at once: the peak RSS growth of the process that
runs the queue (the same service the studio runs on its bridge loop) together with its batch worker process,
which makes the requests as in the window (``--in-process``: the requests on the queue's own loop, as the
command line does), against a local server in another process (tests.bench.upload_server), which stores the
uploads in its own data directory. The worker did not exist at the baseline: all of its memory counts as growth.

Run: .venv/bin/python -m tests.bench.bench_batch_memory   [--size-mb 1000] [--files 4] [--in-process]
Target: peak RSS growth < 100 MB. The files are made in a temporary directory and deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from studio.api.endpoints import Endpoints
from studio.core.jobs import JobState
from studio.services.batch.inputs import SPEECHMATICS_LIMITS
from studio.services.batch.runner import RunnerPolicy, Target, client_here, client_in_worker
from studio.services.batch.service import BatchService
from studio.services.connections import Connection
from tests.bench.bench_upload import KEY, MB, Peak, make_media, start_server


class PeakWithWorker(Peak):
    """This process's RSS and its batch worker's."""

    def rss(self) -> int:
        total = super().rss()
        for child in self.process.children():
            try:
                if "--batch-worker" in child.cmdline():
                    total += int(child.memory_info().rss)
            except psutil.Error:  # it ended meanwhile
                continue
        return total


async def run(folder: Path, files: int, size: int, in_process: bool) -> None:
    server, url, data_dir = start_server()
    try:
        endpoints = Endpoints(realtime="", batch=url, tts="", management="")

        async def connect() -> Target:
            return Target(Connection(endpoints, api_key=KEY), "Upload server", False, SPEECHMATICS_LIMITS)

        peak = PeakWithWorker()
        sampler = asyncio.create_task(peak.run())
        service = BatchService.open(folder / "queue.sqlite3", connect,
                                    RunnerPolicy(concurrency=files, poll_first=0.2, poll_max=1.0),
                                    make_client=client_here if in_process else client_in_worker)
        service.start()
        started = time.perf_counter()
        concurrent = 0

        def count(_job: object) -> None:
            nonlocal concurrent
            concurrent = max(concurrent, sum(1 for j in service.queue.jobs() if j.state is JobState.UPLOADING))

        service.queue.transitions.subscribe(count)
        await service.add_paths([folder / f"big-{index}.wav" for index in range(files)])
        await service.queue.wait_for(lambda q: all(not job.unfinished for job in q.jobs()), 1800)
        elapsed = time.perf_counter() - started
        states = [job.state.value for job in service.queue.jobs()]
        await service.close()
        sampler.cancel()
        growth = (peak.peak - peak.baseline) / MB
        print(f"files uploaded at once:  {files} x {size / MB:.0f} MB ({concurrent} uploading together)")
        print(f"outcome:                 {states.count('done')} done of {files} in {elapsed:.1f} s "
              f"({files * size / MB / elapsed:.0f} MB/s in all)")
        print(f"requests made:           {'on the queue loop' if in_process else 'in the batch worker process'}")
        print(f"peak RSS growth:         {growth:.1f} MB (target < 100 MB: {'met' if growth < 100 else 'NOT met'})")
    finally:
        if server.stdin is not None:
            server.stdin.close()  # the upload server stops when its standard input closes
        server.wait(30)
        del data_dir


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--in-process", action="store_true", help="make the requests on the queue's own loop")
    args = parser.parse_args()
    size = args.size_mb * MB
    with tempfile.TemporaryDirectory(prefix="bench-batch-memory-") as tmp:
        folder = Path(tmp)
        for index in range(args.files):
            make_media(folder / f"big-{index}.wav", size)
        asyncio.run(run(folder, args.files, size, args.in_process))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
