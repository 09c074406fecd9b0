from __future__ import annotations

import pytest

from studio.api.errors import (
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    RateLimitedError,
    realtime_error,
)
from studio.services.advice import explain


@pytest.mark.parametrize(("error", "local", "says"), [
    (ConfigurationError("No API key — add one in Settings (Ctrl+,)"), False,
     "No API key — add one in Settings (Ctrl+,)."),
    (AuthenticationError("Your API key was rejected"), False,
     "Your API key was rejected. Check the API key in Settings"),
    (realtime_error("quota_exceeded"), False, "Try again in a few seconds."),
    (realtime_error("invalid_language", "Whisper tiny.en transcribes English only"), True,
     "Choose English, or a multilingual Whisper model in Settings (Ctrl+,)."),
    (NetworkError("The connection broke"), False, "Check your network connection"),
    (NetworkError("The connection broke"), True, "The built-in engine stopped answering"),
    (ApiTimeoutError("No answer"), False, "Speechmatics did not answer in time"),
    (RateLimitedError("The service is busy (rate limited); retry later", retry_after=7), False,
     "The service is busy (rate limited). The studio will try again in 7 s."),
    (FileNotFoundError(2, "No such file or directory", "talk.wav"), False,
     "A file could not be used (talk.wav): No such file or directory."),
    (ValueError("bad"), False, "Something went wrong: bad."),
])
def test_every_error_reads_as_a_sentence_with_what_to_do(error: BaseException, local: bool, says: str) -> None:
    text = explain(error, local=local)
    assert says in text
    assert "Traceback" not in text and "\n" not in text


def test_the_server_error_is_not_told_twice() -> None:
    text = explain(realtime_error("invalid_language", "Whisper tiny.en transcribes English only"), local=True)
    assert text.count("Settings") == 1
