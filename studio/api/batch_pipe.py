"""The pipe between the studio and its batch worker process (``studio.api.batch_worker``): messages are JSON
values, each sent as a 4-byte big-endian length and the UTF-8 text. Errors cross it as their class in
``studio.api.errors``, their message and their attributes, and are raised again on the other side as the
same class, so whoever awaits a call handles a 429 or a broken connection exactly as from a client of its own.

    writer.write(pack(["call", 7, "get_job", {"job_id": "abc"}]))
    message = await read_message(reader)        # None once the other side has closed the pipe

The messages (``id`` numbers a call; every call gets one ``ok`` or ``error`` answer, unless cancelled):

    studio → worker   ["hello", {"url", "key", "timeout", "connect_timeout"}]     first, once
                      ["call", id, method, params]     ["cancel", id]
    worker → studio   ["ok", id, value]     ["error", id, error]     ["progress", id, sent, total]
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from studio.api import errors
from studio.api.errors import ApiError, ProtocolError

HEADER = struct.Struct(">I")
MAX_MESSAGE = 1 << 30  # a transcript of many hours is tens of MB: anything near this is a broken pipe


def pack(message: Any) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


async def read_message(reader: asyncio.StreamReader) -> Any | None:
    """The next message, or None at the end of the pipe (``ProtocolError`` if it ends inside a message)."""
    try:
        head = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ProtocolError("The batch worker's pipe ended inside a message") from None
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_MESSAGE:
        raise ProtocolError(f"The batch worker sent a message of {size} bytes")
    try:
        body = await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise ProtocolError("The batch worker's pipe ended inside a message") from None
    return json.loads(body)


def encode_error(exc: BaseException) -> dict[str, Any]:
    """An exception as a message: an ``ApiError`` with its class and attributes, anything else (a bug) as its
    text."""
    if isinstance(exc, ApiError):
        attributes = {name: value for name, value in vars(exc).items() if _plain(value)}
        return {"type": type(exc).__name__, "message": exc.message, "attributes": attributes}
    return {"type": "", "message": f"{type(exc).__name__}: {exc}"}


def decode_error(data: Any) -> Exception:
    """The exception ``encode_error`` described: the same ``ApiError`` class with the same attributes."""
    if not isinstance(data, dict):
        return ProtocolError("The batch worker sent an error that is not an object")
    message = str(data.get("message", ""))
    kind = getattr(errors, str(data.get("type") or ""), None)
    if isinstance(kind, type) and issubclass(kind, ApiError):
        error = kind.__new__(kind)
        ApiError.__init__(error, message)
        attributes = data.get("attributes")
        if isinstance(attributes, dict):
            error.__dict__.update(attributes)
        return error
    return RuntimeError(f"The batch worker failed: {message}")


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False
