"""A benchmark's server in a process of its own, so that each side's CPU and memory are measured apart."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def server_process(*module_args: str, startup_timeout: float = 30.0
                         ) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """Runs ``python -m MODULE ARGS`` and yields it with the first line it prints (its URLs). The server
    stops when its standard input closes; it is killed if it has not stopped 10 s later."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", *module_args,
                                                   stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None and process.stdin is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), startup_timeout)).decode().strip()
        yield process, line
    finally:
        with contextlib.suppress(Exception):
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
