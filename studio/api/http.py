"""The HTTP side shared by the batch, TTS and temporary-key clients: one client factory, one retry
policy (exponential backoff with jitter on 429, 5xx and timeouts, honouring ``Retry-After``), and one
mapping of error responses to the exception tree. Authorization headers never reach a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from studio import __version__
from studio.api.errors import ApiError, ApiTimeoutError, NetworkError, RateLimitedError, http_error

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


async def send(client: httpx.AsyncClient, method: str, url: str, *, service: str,
               headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    """One request; transport failures become ``NetworkError``/``ApiTimeoutError``, error statuses the
    matching ``HttpError``. The response is fully read."""
    try:
        response = await client.request(method, url, headers=dict(headers or {}), **kwargs)
    except httpx.TimeoutException:
        raise ApiTimeoutError(f"{service} did not answer in time") from None
    except httpx.TransportError as exc:
        raise NetworkError(f"{service} could not be reached ({type(exc).__name__})") from None
    raise_for_status(response, service)
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
