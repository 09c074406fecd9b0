"""A session's append-only journal: one JSON object a line, each written whole with one ``write(2)``.

    journal = Journal(path)                     # opened for appending (O_APPEND); OSError if it cannot be
    journal.append({"type": "final", ...})      # on disk (the page cache) when it returns: kill -9 keeps it
    journal.sync()                              # fdatasync: also safe from a power cut (call it off the loop)
    journal.close()
    records, torn = read_journal(path)          # every whole record; torn: a half-written last line was found
    truncate_torn(path)                         # cuts such a line off, so appends start on a line of their own

Records (``type``): ``final`` — ``{"message": <AddTranscript JSON, times on the session's clock>}``;
``translation`` — ``{"message": <AddTranslation JSON>}``; ``bookmark`` — ``{"time", "label"}``; ``rename`` —
``{"speaker", "name"}``; ``started`` — ``{"language_pack_info"}`` (word delimiter, writing direction);
``reconnected`` — ``{"at", "gap"}``; ``end`` — ``{"duration"}`` (a clean Stop). Readers ignore types they do not
know. A write that fails raises ``OSError`` and may leave a partial line, which readers skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self.records = 0

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, record: Mapping[str, Any]) -> None:
        if self._fd is None:
            raise ValueError("the journal is closed")
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        view = memoryview(line)
        while view:  # one write for any line that fits the pipe/page; the loop only for a short write
            view = view[os.write(self._fd, view):]
        self.records += 1

    def sync(self) -> None:
        fd = self._fd
        if fd is not None:
            os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def read_journal(path: str | Path) -> tuple[list[Record], bool]:
    """Every whole record in order, and whether a torn (half-written) line was met and skipped."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return [], False
    records: list[Record] = []
    torn = False
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            torn = True
            continue
        if isinstance(record, dict) and isinstance(record.get("type"), str):
            records.append(record)
        else:
            torn = True
    return records, torn


def truncate_torn(path: str | Path) -> bool:
    """Cuts off a last line that was not written whole (no final newline); True if there was one."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    if not data or data.endswith(b"\n"):
        return False
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as handle:
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return True
