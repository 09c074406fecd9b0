"""How the realtime client connects (``studio.api.realtime``): ``RealtimeOptions`` (timeouts, keepalive, flow
control; the defaults follow the official SDKs, §1.9 and §1.10), ``AUTO`` (``force_end_of_utterance``'s default
timestamp), and the ``websockets`` library's logger with every secret masked.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from studio.api import messages as m
from studio.api.errors import (
    ConfigurationError,
)
from studio.core.redaction import Redactor

log = logging.getLogger("studio.api.realtime")  # one logger for the realtime client, whichever module speaks

Listener = Callable[[m.ServerMessage], None]

ACK_PREFIX = '{"message": "AudioAdded", "seq_no": '  # how the service formats most of what it sends

ACK_DIGITS = len(ACK_PREFIX)

redactor = Redactor()


class AutoTimestamp:
    def __repr__(self) -> str:
        return "AUTO"

#: ``force_end_of_utterance(timestamp=AUTO)``: the seconds of audio sent so far.
AUTO: Final = AutoTimestamp()


@dataclass(frozen=True)
class RealtimeOptions:
    """Connection and flow-control settings; the defaults follow the official SDKs (§1.9, §1.10)."""

    ping_interval: float | None = 20.0
    ping_timeout: float | None = 60.0
    open_timeout: float = 10.0
    start_timeout: float = 15.0  # large custom dictionaries can take the service up to 15 s to start
    end_timeout: float = 60.0
    ack_timeout: float | None = 120.0
    max_in_flight: int = 512
    token_in_query: bool = False
    app_id: str | None = None
    compression: bool = False
    max_message_size: int | None = 16 * 1024 * 1024
    close_timeout: float = 5.0
    message_buffer: int = 10_000
    deliver_acks: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.max_in_flight < 1:
            raise ConfigurationError("At least one audio frame must be allowed in flight")
        if self.message_buffer < 0:
            raise ConfigurationError("The message buffer cannot be negative")
        for name in ("open_timeout", "start_timeout", "end_timeout", "close_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive")


def redacted(url: str) -> str:
    return redactor.redact(url)


class _RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """The ``websockets`` library's logger with secrets masked: at debug level it logs the handshake request,
    whose path may carry ``jwt=`` and whose headers carry the bearer token."""

    def log(self, level: int, msg: object, *args: object, exc_info: Any = None, stack_info: bool = False,
            stacklevel: int = 1, extra: Mapping[str, object] | None = None, **kwargs: object) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg)
        if args:
            with contextlib.suppress(TypeError, ValueError):
                text = text % args
        self.logger.log(level, redactor.redact(text), exc_info=exc_info, stack_info=stack_info,
                        stacklevel=stacklevel + 1, extra=extra)

library_logger = _RedactingLogger(logging.getLogger("websockets.client"))

