"""The HTTP side shared by the batch, TTS and temporary-key clients: one client factory, one retry
policy (exponential backoff with jitter on 429, 5xx and timeouts, honouring ``Retry-After``), and one
mapping of error responses to the exception tree. Authorization headers never reach a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from studio import __version__
from studio.api.errors import ApiError, ApiTimeoutError, NetworkError, ProtocolError, RateLimitedError, http_error

log = logging.getLogger(__name__)

SDK_ID = f"studio-python-v{__version__}"
USER_AGENT = f"transcription-studio/{__version__}"

T = TypeVar("T")


def make_client(*, connect_timeout: float = 30.0, read_timeout: float = 300.0,
                transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An httpx client with the studio's identification; ``transport`` lets tests inject one."""
    timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
    return httpx.AsyncClient(timeout=timeout, transport=transport, headers={"User-Agent": USER_AGENT},
                             params={"sm-sdk": SDK_ID}, follow_redirects=False)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # including the first
    base_delay: float = 0.5
    max_delay: float = 20.0
    jitter: float = 0.5  # each delay is scaled by a random factor in [1 - jitter, 1 + jitter]

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay * 3)
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return backoff * random.uniform(1 - self.jitter, 1 + self.jitter)


NO_RETRY = RetryPolicy(attempts=1)


def parse_body(response: httpx.Response) -> Any:
    """The response's JSON, or its text if it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def raise_for_status(response: httpx.Response, service: str) -> None:
    if response.status_code >= 400:
        raise http_error(response.status_code, parse_body(response), response.headers, service)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, ApiError) and error.retryable


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy, what: str,
                       sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> T:
    """Runs ``call`` until it succeeds, fails for good, or the attempts are used up."""
    attempt = 1
    while True:
        try:
            return await call()
        except ApiError as error:
            if not error.retryable or attempt >= policy.attempts:
                raise
            retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
            delay = policy.delay(attempt, retry_after)
            log.info("%s failed (%s); retry %d of %d in %.1f s", what, error, attempt, policy.attempts - 1, delay)
            await sleep(delay)
            attempt += 1


@contextmanager
def httpx_errors(service: str) -> Iterator[None]:
    """Turns any httpx exception raised inside into the studio's typed errors."""
    try:
        yield
    except httpx.TimeoutException:
        raise ApiTimeoutError(f"{service} did not answer in time") from None
    except httpx.TransportError as exc:
        raise NetworkError(f"{service} could not be reached, or the connection broke ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise ProtocolError(f"{service} sent an answer that could not be read ({type(exc).__name__})") from None


async def send(client: httpx.AsyncClient, method: str, url: str, *, service: str,
               headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    """One request, fully read; httpx failures and error statuses become the typed errors."""
    with httpx_errors(service):
        response = await client.request(method, url, headers=dict(headers or {}), **kwargs)
    raise_for_status(response, service)
    return response


async def open_stream(client: httpx.AsyncClient, request: httpx.Request, service: str) -> httpx.Response:
    """Sends ``request`` and returns the response with its body unread; an error status raises (body read)."""
    with httpx_errors(service):
        response = await client.send(request, stream=True)
        if response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await response.aclose()
    raise_for_status(response, service)
    return response


async def iter_body(response: httpx.Response, service: str) -> AsyncIterator[bytes]:
    """The body of a streamed response, chunk by chunk as it arrives, with httpx failures typed."""
    with httpx_errors(service):
        async for chunk in response.aiter_raw():
            if chunk:
                yield chunk


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
