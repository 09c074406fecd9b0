from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from studio.api.errors import (
    ApiError,
    AuthenticationError,
    GoneError,
    HttpError,
    LockedError,
    NetworkError,
    NotFoundError,
    QuotaExceededError,
    RateLimitedError,
    RealtimeError,
    SessionLimitError,
    close_code_error,
    http_error,
    parse_retry_after,
    realtime_error,
)


def test_realtime_errors_speak_plainly() -> None:
    rejected = realtime_error("not_authorised", "bad key")
    assert isinstance(rejected, AuthenticationError)
    assert str(rejected).startswith("Your API key was rejected")
    quota = realtime_error("quota_exceeded", "Concurrent Quota Exceeded")
    assert isinstance(quota, QuotaExceededError) and quota.retryable
    assert str(quota).startswith("Concurrent session quota reached — close other sessions or wait")
    idle = realtime_error("idle_timeout", "no audio")
    assert isinstance(idle, SessionLimitError) and not idle.retryable
    odd = realtime_error("brand_new_type", "something")
    assert isinstance(odd, RealtimeError) and odd.type == "brand_new_type"


@pytest.mark.parametrize(("code", "kind", "retryable"), [
    (4001, AuthenticationError, False), (4005, QuotaExceededError, True), (1008, SessionLimitError, False),
    (4013, RealtimeError, True), (1011, RealtimeError, True), (1006, NetworkError, True),
])
def test_close_codes(code: int, kind: type[ApiError], retryable: bool) -> None:
    error = close_code_error(code)
    assert isinstance(error, kind)
    assert error.retryable is retryable


def test_http_errors_from_spec_bodies() -> None:
    locked = http_error(423, {"code": 423, "error": "Resource Locked"})
    assert isinstance(locked, LockedError) and locked.error == "Resource Locked" and not locked.retryable
    gone = http_error(410, {"code": 410, "error": "File Expired", "detail": "File deleted from the storage"})
    assert isinstance(gone, GoneError) and str(gone) == "File Expired — File deleted from the storage"
    assert isinstance(http_error(404, {"code": 404, "error": "Job not found"}), NotFoundError)
    html = http_error(401, "<html><title>401 Authorization Required</title></html>")
    assert isinstance(html, AuthenticationError) and str(html) == "Your API key was rejected"
    forbidden = http_error(403, {"code": 403, "detail": "Entitlement check failed", "error": "Forbidden"})
    assert isinstance(forbidden, AuthenticationError) and "Entitlement check failed" in str(forbidden)
    server = http_error(503, None)
    assert isinstance(server, HttpError) and server.retryable and "try again" in str(server)


def test_rate_limit_reads_retry_after() -> None:
    error = http_error(429, {"code": 429, "error": "Max concurrent running jobs exceeded"}, {"retry-after": "7"})
    assert isinstance(error, RateLimitedError) and error.retry_after == 7.0 and error.retryable
    bare = http_error(429, None, {})
    assert isinstance(bare, RateLimitedError) and bare.retry_after is None


def test_retry_after_forms() -> None:
    assert parse_retry_after("3.5") == 3.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None and 25 <= seconds <= 31
