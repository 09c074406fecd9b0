"""Logging for the whole studio: a file under the log directory (rotated at start-up), every record redacted.

Redaction happens when a record is created (a log-record factory), so every handler, including ones
added later by tools or tests, only ever sees the masked text.
"""

from __future__ import annotations

import logging
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


def rotate(log_file: Path, max_bytes: int = 2_000_000, keep: int = 3) -> None:
    """Moves a large log aside (studio.log.1, .2, ...) before a session starts writing."""
    if not log_file.exists() or log_file.stat().st_size <= max_bytes:
        return
    for index in range(keep - 1, 0, -1):
        older = log_file.with_name(f"{log_file.name}.{index}")
        if older.exists():
            older.replace(log_file.with_name(f"{log_file.name}.{index + 1}"))
    log_file.replace(log_file.with_name(f"{log_file.name}.1"))


def configure(log_file: Path | None, redactor: Redactor, level: int = logging.INFO,
              console_level: int = logging.WARNING) -> Callable[[], None]:
    """Sets up redaction and the studio's handlers; returns a function that undoes it (for tests)."""
    root = logging.getLogger()
    previous_level = root.level
    previous_factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(redacting_factory(redactor, previous_factory))
    root.setLevel(level)
    console = logging.StreamHandler()
    console.setLevel(console_level)
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        rotate(log_file)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
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
