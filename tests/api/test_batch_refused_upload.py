"""A large upload over a slow link that the server refuses (an injected 429 with or without ``Retry-After``, a
503, a wrong key): the studio's BatchClient gets the server's answer, never a broken connection.

The upload lasts longer than aiohttp goes on reading a request's body after the handler answered (10 s): a server
that answered without reading the upload would then close the connection with the upload unread, the kernel
would reset it, and the client — still sending — would lose the answer and see a NetworkError.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from studio.api.auth import StaticKey
from studio.api.batch import BatchClient
from studio.api.config import JobConfig, TranscriptionConfig
from studio.api.errors import ApiError, AuthenticationError, HttpError, NetworkError, RateLimitedError
from studio.api.http import NO_RETRY, make_client
from studio.local.batch import jobs_of
from studio.local.faults import HttpFault
from studio.local.server import LocalServer, ServerConfig
from tests.fakes.server import SERVER_KEY

AIOHTTP_LINGERING = 10.0  # seconds aiohttp reads an unread body after answering, before it closes the connection
UPLOAD_SECONDS = 12.0  # how long the slow link takes to carry the file: longer than that
SIZE = 12 * 1024 * 1024
PIECE = 64 * 1024


class _Paced(httpx.AsyncByteStream):
    """A request body sent at most ``rate`` bytes a second."""

    def __init__(self, body: httpx.AsyncByteStream, rate: float) -> None:
        self._body = body
        self._rate = rate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        began, sent = loop.time(), 0
        async for chunk in self._body:
            for at in range(0, len(chunk), PIECE):
                piece = chunk[at:at + PIECE]
                yield piece
                sent += len(piece)
                ahead = began + sent / self._rate - loop.time()
                if ahead > 0:  # the link's pace, not a wait for something to happen
                    await asyncio.sleep(ahead)


class SlowLink(httpx.AsyncBaseTransport):
    """A real HTTP transport whose uploads go out at ``rate`` bytes a second."""

    def __init__(self, rate: float) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._rate = rate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if isinstance(request.stream, httpx.AsyncByteStream):
            request.stream = _Paced(request.stream, self._rate)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def refused_upload(media: Path, fault: HttpFault | None, key: str) -> tuple[ApiError, int, float, int]:
    """Uploads ``media`` over a slow link to a server of its own; returns the error the client raised, the bytes
    of the file it sent, how long that took and how many jobs the server has afterwards."""
    async with LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY}))) as server:
        if fault is not None:
            server.faults.http.append(fault)
        sent = [0]
        loop = asyncio.get_running_loop()
        began = loop.time()

        def progress(done: int, _total: int) -> None:
            sent[0] = done

        async with make_client(transport=SlowLink(SIZE / UPLOAD_SECONDS)) as http, \
                BatchClient(StaticKey(key), url=server.urls.batch, client=http, retry=NO_RETRY) as batch:
            with pytest.raises(ApiError) as caught:
                await batch.submit(media, JobConfig(TranscriptionConfig(language="en")), progress=progress)
        return caught.value, sent[0], loop.time() - began, len(jobs_of(server).jobs)


async def test_a_refused_large_upload_gets_the_servers_answer_not_a_broken_connection(tmp_path: Path) -> None:
    media = tmp_path / "large.wav"
    media.write_bytes(os.urandom(SIZE))  # never decoded: every upload here is refused
    cases = {
        "429 with Retry-After": (HttpFault("/v2/jobs", method="POST", status=429, retry_after="7"), SERVER_KEY),
        "429 without Retry-After": (HttpFault("/v2/jobs", method="POST", status=429), SERVER_KEY),
        "503": (HttpFault("/v2/jobs", method="POST", status=503), SERVER_KEY),
        "a wrong key": (None, "not-the-server-key"),
    }
    outcomes = dict(zip(cases, await asyncio.gather(*(refused_upload(media, *case) for case in cases.values())),
                        strict=True))
    for name, (error, sent, seconds, jobs) in outcomes.items():
        assert not isinstance(error, NetworkError), f"{name}: {error!r}"
        assert sent == SIZE, name  # the whole file went out before the answer was read
        assert seconds > AIOHTTP_LINGERING, name  # the case this is about: an upload outlasting the lingering
        assert jobs == 0, name
    with_header = outcomes["429 with Retry-After"][0]
    assert isinstance(with_header, RateLimitedError) and with_header.retry_after == 7.0
    without = outcomes["429 without Retry-After"][0]
    assert isinstance(without, RateLimitedError) and without.retry_after is None
    unavailable = outcomes["503"][0]
    assert isinstance(unavailable, HttpError) and unavailable.status == 503 and unavailable.retryable
    assert isinstance(outcomes["a wrong key"][0], AuthenticationError)
