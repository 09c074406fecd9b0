"""The local server for ``bench_upload``, in a process of its own so the client's memory is measured alone.

Run: .venv/bin/python -m tests.bench.upload_server KEY
Prints ``batch <url>`` and ``data <dir>`` lines, then serves until SIGTERM/SIGINT or until
stdin closes. The recognizer answers at once, so a job's time is the upload and the server's media probe.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.local.server import LocalServer, ServerConfig


class InstantRecognizer:
    async def transcribe(self, media: Path, config: Mapping[str, Any]) -> dict[str, Any]:
        return {"format": "2.9", "metadata": {"type": "transcription"}, "results": []}


async def serve(key: str) -> None:
    server = LocalServer(config=ServerConfig(api_keys=frozenset({key})), batch_recognizer=InstantRecognizer())
    urls = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 1) else None)
    print(f"batch {urls.batch}", flush=True)
    print(f"data {server.data_dir}", flush=True)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(sys.stdin.fileno())
        await server.stop()


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m tests.bench.upload_server API_KEY", file=sys.stderr)
        return 2
    asyncio.run(serve(sys.argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
