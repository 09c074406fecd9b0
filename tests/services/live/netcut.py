"""A TCP proxy in front of the local server whose network can be cut: ``cut()`` makes it a black hole — bytes
in either direction are swallowed, new connections are accepted and then never answered, as when a Wi-Fi
link goes — and ``restore()`` drops what was open then (as the peers' TCP stacks eventually would) and
forwards again. The client's keepalive (WebSocket ping) is what notices. ``cut(reset=True)`` is the other
kind of outage: every connection is reset at once and new ones are refused until ``restore()`` (a router
that restarts, a VPN that drops)."""

from __future__ import annotations

import asyncio
import contextlib


class CutProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._cut = False
        self._reset = False
        self._open: set[asyncio.StreamWriter] = set()
        self._stale: set[asyncio.StreamWriter] = set()  # connections open during (or cut by) the outage
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def url(self, path: str = "/v2") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def cut(self, *, reset: bool = False) -> None:
        self._cut = True
        self._reset = reset
        if reset:
            for writer in list(self._open):
                writer.transport.abort()

    def restore(self) -> None:
        self._cut = False
        self._reset = False
        for writer in list(self._stale):
            writer.transport.abort()
        self._stale.clear()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._cut and self._reset:
            writer.transport.abort()
            return
        if self._cut:
            self._stale.add(writer)
            await self._swallow(reader)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self._open.update(pair)
        there = asyncio.create_task(self._pipe(reader, up_writer, pair))
        back = asyncio.create_task(self._pipe(up_reader, writer, pair))
        self._tasks.update((there, back))
        for task in (there, back):
            task.add_done_callback(self._tasks.discard)

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while await reader.read(65536):
                pass

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        try:
            while data := await reader.read(65536):
                if self._cut:
                    self._stale.update(pair)
                    continue  # into the black hole
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for each in pair:
                self._open.discard(each)
                if not self._cut or each not in self._stale:
                    each.transport.abort()
