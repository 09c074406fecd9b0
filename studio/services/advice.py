"""What the studio tells a person when something fails: the service's words, then what to do, in ours.

``explain(error, local=...)`` gives one or two plain sentences for any exception a workspace or command
meets — never a traceback, never a server path. The protocol errors (``studio.api.errors``) already read
well; this adds the studio's advice (where to change the setting, whether waiting helps), which depends on
whether the built-in engine or Speechmatics answered.
"""

from __future__ import annotations

from studio.api.errors import (
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    HttpError,
    JobFailedError,
    NetworkError,
    QuotaExceededError,
    RateLimitedError,
    RealtimeError,
    SessionLimitError,
)

SETTINGS = "Settings (Ctrl+,)"
CLI_SETTINGS = "the studio's Settings"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


LANGUAGE_REFUSALS = ("invalid_language", "invalid_model")


def _language_refused(error: BaseException) -> bool:
    """The service refused the language or model (a realtime ``Error``, or a batch job rejected for it: the
    local server's job errors read ``invalid_language: …``)."""
    if isinstance(error, RealtimeError):
        return error.type in LANGUAGE_REFUSALS
    if isinstance(error, JobFailedError):
        return any(message.startswith(LANGUAGE_REFUSALS) for message in error.errors)
    return False


def explain(error: BaseException, *, local: bool = False, cli: bool = False) -> str:
    """One or two sentences for the user: what happened, and what to do about it (``cli``: for a command
    line, where there is no shortcut to Settings and nothing retries by itself)."""
    said = _sentence(str(error) or type(error).__name__)
    text = _explain(error, said, local, cli)
    if cli:
        text = text.replace(SETTINGS, CLI_SETTINGS).replace("The studio will try again", "Try again")
    return text


def _explain(error: BaseException, said: str, local: bool, cli: bool) -> str:
    if isinstance(error, ConfigurationError):
        return said
    if isinstance(error, AuthenticationError):
        if cli:
            return f"{said} Check SPEECHMATICS_API_KEY, or the key saved in {SETTINGS}."
        return f"{said} Check the API key in {SETTINGS}."
    if isinstance(error, QuotaExceededError):
        return f"{said} Try again in a few seconds."
    if isinstance(error, RateLimitedError):
        wait = f" in {error.retry_after:.0f} s" if error.retry_after else " shortly"
        return f"{said.removesuffix('; retry later.')}. The studio will try again{wait}." if error.retryable else said
    if isinstance(error, SessionLimitError):
        return f"{said} Start a new session to carry on."
    if _language_refused(error):
        if local:
            return f"{said} Choose English, or a multilingual Whisper model in {SETTINGS}."
        return f"{said} Choose another language."
    if isinstance(error, ApiTimeoutError):
        where = "The built-in engine" if local else "Speechmatics"
        return f"{where} did not answer in time. Try again; if it keeps happening, check {SETTINGS}."
    if isinstance(error, NetworkError):
        if local:
            return f"{said} The built-in engine stopped answering; try again."
        return f"{said} Check your network connection, or the region in {SETTINGS}."
    if isinstance(error, HttpError | ApiError):
        return said
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename else ""
        return _sentence(f"A file could not be used{where}: {reason}")
    return _sentence(f"Something went wrong: {said}")
