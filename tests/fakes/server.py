"""The local server as the tests' Speechmatics: one key it accepts, limits a test may shrink, and a
recorder of the waits a client asks for (so retry tests check delays without waiting them out)."""

from __future__ import annotations

import asyncio

SERVER_KEY = "test-server-key-0123456789"


class Sleeps:
    """Records every wait the client asks for and waits at most a few milliseconds of it."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(min(delay, 0.005))
