"""The local server for the kill-and-resume test and benchmark, in a process of its own so that it outlives
the studio it serves: scripted recognition, jobs that stay ``running`` a while, and uploads that the server
takes its time to accept (so a kill finds some mid-upload).

Run: python -m tests.qt.batch.slow_server KEY [--job-seconds S] [--accept-delay S] [--hold-second-upload] [--nice N]
(``--hold-second-upload``: the second job upload is never answered, so its sender stays mid-upload until it goes
away; the server then drops it unserved, as a service that never got the whole body would.)
Prints ``batch <url>``, then serves until its standard input closes (or SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

from studio.local.faults import Faults, HttpFault
from studio.local.server import LocalServer, ServerConfig


async def serve(key: str, job_seconds: float, accept_delay: float, hold_second: bool = False) -> None:
    accept = [HttpFault("/v2/jobs", method="POST", delay=accept_delay, pass_through=True, times=10**9)]
    if hold_second:
        accept = [HttpFault("/v2/jobs", method="POST", delay=accept_delay, pass_through=True, times=1),
                  HttpFault("/v2/jobs", method="POST", hold=True, times=1), *accept]
    faults = Faults(http=accept)
    server = LocalServer(config=ServerConfig(api_keys=frozenset({key}), min_job_seconds=job_seconds), faults=faults)
    urls = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 1) else None)
    print(f"batch {urls.batch}", flush=True)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(sys.stdin.fileno())
        await server.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("key")
    parser.add_argument("--job-seconds", type=float, default=2.0)
    parser.add_argument("--accept-delay", type=float, default=1.0)
    parser.add_argument("--hold-second-upload", action="store_true")
    parser.add_argument("--nice", type=int, default=0, help="lower this process's scheduling priority by N")
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)
    asyncio.run(serve(args.key, args.job_seconds, args.accept_delay, args.hold_second_upload))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
