"""One exception tree for everything that talks to a Speechmatics service (or the built-in engine).

    ApiError                          base; ``str(e)`` is one line a person understands
    ├── ConfigurationError            bad URL, missing key, invalid options — nothing was sent
    ├── NetworkError                  could not connect, or the connection broke
    │   └── ApiTimeoutError           no answer in time
    ├── ProtocolError                 the peer broke the protocol (malformed or out-of-order messages)
    ├── AuthenticationError           key rejected (401/403, realtime not_authorised / close 4001)
    ├── ServiceError                  the service refused or failed, with ``retryable``
    │   ├── RealtimeError             an in-band realtime Error message or error close code; ``type``
    │   │   ├── QuotaExceededError    quota_exceeded / 4005 (retry after 5 to 10 s)
    │   │   └── SessionLimitError     idle_timeout / session_timeout / policy close 1008
    │   └── HttpError                 a batch/TTS/key HTTP error; ``status``, ``error``, ``detail``
    │       ├── RateLimitedError      429 (``retry_after`` from the header, if sent)
    │       ├── NotFoundError         404
    │       ├── GoneError             410 (job or file expired)
    │       └── LockedError           423 (running job deleted without force)
    └── JobFailedError                a batch job ended rejected, deleted or expired

Messages never contain API keys or tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """Base of every error raised by ``studio.api``."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(ApiError):
    """The request could not be made as asked; nothing was sent."""


class NetworkError(ApiError):
    """The service could not be reached, or the connection broke."""

    retryable = True


class ApiTimeoutError(NetworkError):
    """No answer within the time allowed."""


class ProtocolError(ApiError):
    """The peer sent something the protocol does not allow."""


class AuthenticationError(ApiError):
    """The API key (or temporary key) was rejected."""


class ServiceError(ApiError):
    """The service answered with an error."""


class RealtimeError(ServiceError):
    """An ``Error`` message from a realtime session, or a close code that means one."""

    def __init__(self, message: str, *, error_type: str, reason: str = "", code: int | None = None) -> None:
        super().__init__(message)
        self.type = error_type
        self.reason = reason
        self.code = code


class QuotaExceededError(RealtimeError):
    retryable = True


class SessionLimitError(RealtimeError):
    """The session ran into an idle or duration limit and was ended by the server."""


class HttpError(ServiceError):
    def __init__(self, message: str, *, status: int, error: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.detail = detail
        self.retryable = status >= 500 or status == 429


class RateLimitedError(HttpError):
    def __init__(self, message: str, *, status: int = 429, error: str = "", detail: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status, error=error, detail=detail)
        self.retry_after = retry_after


class NotFoundError(HttpError):
    pass


class GoneError(HttpError):
    pass


class LockedError(HttpError):
    pass


class JobFailedError(ApiError):
    def __init__(self, message: str, *, job_id: str, status: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.status = status
        self.errors = errors or []


# -- realtime ---------------------------------------------------------------------------------------

#: Close codes of the realtime service and the error type each carries.
CLOSE_CODES: Mapping[int, str] = {
    1003: "protocol_error", 1008: "policy_violation", 1011: "internal_error", 4001: "not_authorised",
    4003: "not_allowed", 4004: "invalid_model", 4005: "quota_exceeded", 4006: "timelimit_exceeded",
    4013: "job_error",
}

#: The close code a server uses after an ``Error`` of each type.
ERROR_CLOSE_CODES: Mapping[str, int] = {
    "protocol_error": 1003, "invalid_message": 1003, "idle_timeout": 1008, "session_timeout": 1008,
    "not_authorised": 4001, "not_allowed": 4003, "invalid_model": 4004, "invalid_language": 4004,
    "quota_exceeded": 4005, "timelimit_exceeded": 4006, "job_error": 4013, "unknown_error": 1011,
    "invalid_config": 1003, "invalid_audio_type": 1003, "invalid_output_format": 1003,
}

_REALTIME_MESSAGES: Mapping[str, str] = {
    "not_authorised": "Your API key was rejected",
    "not_allowed": "Your account is not allowed to do this",
    "invalid_model": "That model or language is not available to your account",
    "invalid_language": "That language is not supported",
    "invalid_config": "The transcription settings were not accepted",
    "invalid_audio_type": "The audio format was not accepted",
    "invalid_output_format": "The output format was not accepted",
    "invalid_message": "The service did not understand a message from the studio",
    "protocol_error": "The service reported a protocol error",
    "quota_exceeded": "Concurrent session quota reached — close other sessions or wait",
    "timelimit_exceeded": "Your usage quota is used up",
    "idle_timeout": "The session was closed because no audio arrived for too long",
    "session_timeout": "The session reached its maximum length and was closed",
    "job_error": "The service could not process the session; try again shortly",
    "policy_violation": "The service closed the session (no audio or keepalive for too long)",
    "internal_error": "The service had an internal error; try again shortly",
    "unknown_error": "The service reported an unknown error",
}


def realtime_error(error_type: str, reason: str = "", code: int | None = None) -> ApiError:
    """The exception for a realtime ``Error`` message or close code."""
    headline = _REALTIME_MESSAGES.get(error_type, f"The service reported an error ({error_type})")
    message = f"{headline}: {reason}" if reason and reason.lower() not in headline.lower() else headline
    if error_type == "not_authorised":
        return AuthenticationError(message)
    cls: type[RealtimeError] = RealtimeError
    if error_type == "quota_exceeded":
        cls = QuotaExceededError
    elif error_type in ("idle_timeout", "session_timeout", "policy_violation"):
        cls = SessionLimitError
    error = cls(message, error_type=error_type, reason=reason, code=code)
    if error_type in ("job_error", "internal_error"):
        error.retryable = True
    return error


def close_code_error(code: int, reason: str = "") -> ApiError:
    """The exception for a realtime connection closed with ``code`` (and no Error message before it)."""
    error_type = CLOSE_CODES.get(code)
    if error_type is None:
        return NetworkError(f"The connection closed unexpectedly (code {code}{': ' + reason if reason else ''})")
    return realtime_error(error_type, reason if reason != error_type else "", code)


# -- HTTP -------------------------------------------------------------------------------------------

def http_error(status: int, body: Any, headers: Mapping[str, str] | None = None,
               service: str = "The service") -> ApiError:
    """The exception for an HTTP error response; ``body`` is the parsed JSON body, text, or None."""
    error = detail = ""
    if isinstance(body, Mapping):
        error = str(body.get("error") or body.get("message") or "")
        detail = str(body.get("detail") or "")
    elif isinstance(body, str) and body.strip() and not body.lstrip().startswith("<"):
        detail = body.strip().splitlines()[0][:200]
    said = f"{error}{' — ' + detail if detail else ''}"
    if status == 401:
        return AuthenticationError("Your API key was rejected")
    if status == 403:
        return AuthenticationError(f"Your API key is not allowed to do this{': ' + said if said else ''}")
    if status == 429:
        return RateLimitedError(f"{service} is busy (rate limited){': ' + said if said else ''}; retry later",
                                error=error, detail=detail,
                                retry_after=parse_retry_after((headers or {}).get("retry-after")))
    cls: type[HttpError] = {404: NotFoundError, 410: GoneError, 423: LockedError}.get(status, HttpError)
    if status >= 500:
        message = f"{service} had a problem (HTTP {status}){': ' + said if said else ''}; try again shortly"
    else:
        message = said or f"{service} refused the request (HTTP {status})"
    return cls(message, status=status, error=error, detail=detail)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
