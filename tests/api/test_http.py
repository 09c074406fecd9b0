from __future__ import annotations

import pytest

from studio.api.errors import AuthenticationError, HttpError, RateLimitedError
from studio.api.http import RetryPolicy, with_retries


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.5)
    for attempt, nominal in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (6, 8.0)):
        delays = {policy.delay(attempt) for _ in range(20)}
        assert all(nominal * 0.5 <= d <= nominal * 1.5 for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(1, retry_after=12.0) == 12.0


async def test_retries_retryable_errors_then_succeeds() -> None:
    slept: list[float] = []
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RateLimitedError("busy", retry_after=2.0)
        if calls == 2:
            raise HttpError("down", status=503)
        return "ok"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    assert await with_retries(flaky, RetryPolicy(attempts=4, base_delay=0.1, jitter=0.0), "test", sleep) == "ok"
    assert slept == [2.0, 0.2]


async def test_gives_up_after_the_attempts_and_never_retries_a_rejection() -> None:
    calls = 0

    async def down() -> None:
        nonlocal calls
        calls += 1
        raise HttpError("down", status=500)

    async def no_sleep(_: float) -> None:
        return None

    with pytest.raises(HttpError):
        await with_retries(down, RetryPolicy(attempts=3), "test", no_sleep)
    assert calls == 3

    async def rejected() -> None:
        nonlocal calls
        calls += 1
        raise AuthenticationError("no")

    calls = 0
    with pytest.raises(AuthenticationError):
        await with_retries(rejected, RetryPolicy(attempts=3), "test", no_sleep)
    assert calls == 1
