from __future__ import annotations

import pytest

from studio.core.redaction import MASK, Redactor


def test_known_secret_is_masked_everywhere() -> None:
    redactor = Redactor()
    redactor.add("sk-live-0123456789abcdef")
    text = redactor.redact("key sk-live-0123456789abcdef then again sk-live-0123456789abcdef.")
    assert "0123456789abcdef" not in text
    assert text.count(MASK) == 2


def test_token_shapes_are_masked_without_being_known() -> None:
    redactor = Redactor()
    lines = [
        "GET /v2 headers={'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig'}",
        "connecting to wss://eu.rt.speechmatics.com/v2?sm-sdk=studio&jwt=eyJ0eXAi.abc.def&x=1",
        '{"apikey_id": null, "key_value": "eyJhbG.secret.value"}',
    ]
    for line in lines:
        out = redactor.redact(line)
        assert "eyJ" not in out, out
        assert MASK in out
    assert "x=1" in redactor.redact(lines[1])


def test_short_values_are_not_registered() -> None:
    redactor = Redactor()
    redactor.add("a")
    redactor.add("")
    redactor.add(None)
    assert redactor.redact("a cat sat") == "a cat sat"


def test_log_records_are_redacted_for_every_handler(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from studio import logs

    redactor = Redactor()
    redactor.add("known-secret-value-123")
    undo = logs.configure(None, redactor, level=logging.DEBUG)
    try:
        caplog.set_level(logging.DEBUG)
        log = logging.getLogger("studio.test")
        log.info("key %s", "known-secret-value-123")
        try:
            raise RuntimeError("failed with known-secret-value-123")
        except RuntimeError:
            log.exception("boom")
    finally:
        undo()
    assert "known-secret-value-123" not in caplog.text
    assert caplog.text.count(MASK) >= 2
