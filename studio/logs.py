"""Logging for the whole studio: a rotating file under the log directory, every record redacted.

Redaction happens when a record is created (a log-record factory), so every handler, including ones
added later by tools or tests, only ever sees the masked text.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core.redaction import Redactor

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def redacting_factory(redactor: Redactor,
                      base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg = redactor.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redactor.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    return make


def configure(log_file: Path | None, redactor: Redactor, level: int = logging.INFO) -> Callable[[], None]:
    """Sets up redaction and the studio's handlers; returns a function that undoes it (for tests)."""
    root = logging.getLogger()
    previous_level = root.level
    previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(redacting_factory(redactor, previous_factory))
    root.setLevel(level)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=3,
                                                             encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)

    def undo() -> None:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        logging.setLogRecordFactory(previous_factory)
        root.setLevel(previous_level)

    return undo
