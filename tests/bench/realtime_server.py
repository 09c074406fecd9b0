"""A local server in its own process for the realtime benchmark: prints its realtime URL, serves until stdin closes.

Run: .venv/bin/python -m tests.bench.realtime_server
"""

from __future__ import annotations

import asyncio
import sys

from studio.local.server import LocalServer, ServerConfig


async def serve() -> None:
    server = LocalServer(config=ServerConfig(require_auth=False))
    urls = await server.start()
    print(urls.realtime, flush=True)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, sys.stdin.read)  # the benchmark closes our stdin when it is done
    finally:
        await server.stop()


def main() -> int:
    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
