"""Logging for the whole studio: a rotating file under the log directory, every line through a redactor."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from studio.core.redaction import Redactor

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Formats each record's message and masks secrets in it (and in any traceback) before output."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._redactor.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(log_file: Path | None, redactor: Redactor, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    root.setLevel(level)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    handlers[0].setLevel(logging.WARNING)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=3,
                                                             encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RedactingFilter(redactor))
        root.addHandler(handler)
