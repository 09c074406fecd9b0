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


def test_a_batch_job_rejected_for_its_language_gets_the_same_advice() -> None:
    from studio.api.errors import JobFailedError

    rejected = JobFailedError("The batch job was rejected: invalid_language: Whisper tiny.en transcribes English "
                              "only, not French (fr)", job_id="abc", status="rejected",
                              errors=["invalid_language: Whisper tiny.en transcribes English only, not French (fr)"])
    local = explain(rejected, local=True)
    assert local.startswith("The batch job was rejected: invalid_language: Whisper tiny.en transcribes English only")
    assert local.endswith("Choose English, or a multilingual Whisper model in Settings (Ctrl+,).")
    assert explain(rejected, local=False).endswith("Choose another language.")


def test_the_local_server_speaks_for_the_service_only() -> None:
    """The refusal itself names no studio setting: the advice is the studio's, added once by explain."""
    from studio.local.availability import resolve_model
    from studio.local.engines import EngineRejection
    from studio.local.whisper_model import WhisperRuntime

    runtime = WhisperRuntime(resolve_model(""))
    with pytest.raises(EngineRejection) as refused:
        runtime.whisper_language("fr", allow_auto=False)
    assert "Settings" not in refused.value.reason and "Speechmatics" not in refused.value.reason
    assert "English only" in refused.value.reason
    text = explain(realtime_error(refused.value.type, refused.value.reason), local=True)
    assert text.count("Settings") == 1


def test_a_command_line_gets_advice_it_can_follow() -> None:
    auth = explain(AuthenticationError("Your API key was rejected"), cli=True)
    assert auth == ("Your API key was rejected. Check SPEECHMATICS_API_KEY, or the key saved in the studio's "
                    "Settings.")
    limited = explain(RateLimitedError("The service is busy (rate limited); retry later", retry_after=7), cli=True)
    assert limited == "The service is busy (rate limited). Try again in 7 s."
    language = explain(realtime_error("invalid_language", "Whisper tiny.en transcribes English only"), local=True,
                       cli=True)
    assert "Ctrl+," not in language and "the studio's Settings" in language
