"""Recent voice previews (to replay or save) and the texts used last, kept across sessions.

Public API::

    history = History(history_file(paths.data))   # History.load(path) reads it (off the GUI thread)
    history.add(HistoryEntry.of(request, duration))   # newest first; the same preview moves to the top
    history.entries, history.recent_texts(8), history.changed (Observable), history.clear()
    history.snapshot() -> bytes; write_history(path, data)   # persisted off the GUI thread

Changed on one thread (the GUI's); ``changed`` is emitted there.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from studio.api.tts import FORMATS, OutputFormat
from studio.core.observable import Observable
from studio.services.voices.clip import PreviewRequest
from studio.storage.atomic import write_atomic

log = logging.getLogger(__name__)

MAX_ENTRIES = 50


def history_file(data_root: Path) -> Path:
    return data_root / "voice-history.json"


@dataclass(frozen=True)
class HistoryEntry:
    text: str
    voice: str
    engine: str
    output_format: OutputFormat
    duration: float  # seconds of audio
    at: float  # time.time() when it was heard

    @classmethod
    def of(cls, request: PreviewRequest, duration: float, at: float | None = None) -> HistoryEntry:
        return cls(request.text, request.voice, request.engine, request.output_format, duration,
                   time.time() if at is None else at)

    @property
    def request(self) -> PreviewRequest:
        return PreviewRequest(self.text, self.voice, self.engine, self.output_format)


def _entry(raw: Any) -> HistoryEntry | None:
    if not isinstance(raw, dict):
        return None
    try:
        output_format = raw.get("output_format", "wav_16000")
        if output_format not in FORMATS:
            return None
        entry = HistoryEntry(str(raw["text"]), str(raw["voice"]), str(raw["engine"]), output_format,
                             float(raw.get("duration", 0.0)), float(raw.get("at", 0.0)))
    except (KeyError, TypeError, ValueError):
        return None
    return entry if entry.text.strip() and entry.voice else None


class History:
    def __init__(self, path: Path | None = None, entries: Sequence[HistoryEntry] = ()) -> None:
        self.path = path
        self._entries: list[HistoryEntry] = list(entries)[:MAX_ENTRIES]
        self.changed: Observable[History] = Observable()

    @classmethod
    def load(cls, path: Path) -> History:
        """The history saved at ``path`` (empty if there is none, or it cannot be read)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            log.warning("the voice preview history could not be read (%s); starting a new one", exc)
            return cls(path)
        raw_entries = document.get("entries", []) if isinstance(document, dict) else []
        entries = [entry for entry in map(_entry, raw_entries if isinstance(raw_entries, list) else [])
                   if entry is not None]
        return cls(path, entries)

    @property
    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: HistoryEntry) -> None:
        """Puts ``entry`` first; an earlier entry for the same preview is dropped."""
        key = entry.request.key
        self._entries = [entry, *(e for e in self._entries if e.request.key != key)][:MAX_ENTRIES]
        self.changed.emit(self)

    def merge(self, older: History) -> None:
        """Adds ``older``'s entries after the ones here (the history read from disk, once loaded)."""
        keys = {entry.request.key for entry in self._entries}
        self._entries += [entry for entry in older.entries if entry.request.key not in keys]
        del self._entries[MAX_ENTRIES:]
        self.changed.emit(self)

    def remove(self, index: int) -> None:
        if 0 <= index < len(self._entries):
            del self._entries[index]
            self.changed.emit(self)

    def clear(self) -> None:
        self._entries = []
        self.changed.emit(self)

    def recent_texts(self, count: int = 8) -> list[str]:
        """The texts used last, newest first, each once."""
        texts: list[str] = []
        for entry in self._entries:
            if entry.text not in texts:
                texts.append(entry.text)
                if len(texts) == count:
                    break
        return texts

    def snapshot(self) -> bytes:
        return json.dumps({"version": 1, "entries": [asdict(entry) for entry in self._entries]},
                          ensure_ascii=False, indent=1).encode()


def write_history(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        log.warning("the voice preview history could not be saved: %s", exc)
