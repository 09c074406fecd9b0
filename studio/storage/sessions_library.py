"""The sessions library: every recorded live session, listed, searched, opened, renamed and deleted.

    library = SessionLibrary(paths.data / "sessions")
    library.list() -> list[SessionSummary]          # newest first: date, duration, sources, engine, first words
    library.search("budget alice") -> [...]        # every word in the title, transcript text or speaker names
    library.unfinished() -> [...]                  # interrupted sessions nobody is writing (to recover)
    doc = library.open(id)                         # SessionDocument: info, transcript (studio.core), audio path
    library.rename_speaker(id, "S1", "Alice")      # journaled (the session's lock is taken for the write)
    library.set_title(id, "Budget review")
    library.delete(id)                             # SessionLockedError while it is being recorded

Reading never takes a session's lock, so the library lists and opens a session while it is being recorded
(what was journaled so far). Writing takes it for the moment of the write. The folder is the truth: there is
no separate index to fall out of step; ``list`` reads each ``session.json`` (about 0.1 ms each), ``search``
each journal's text, cached by the journal's size and modification time.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from studio.core.transcript import Transcript
from studio.storage.sessions import (
    SessionInfo,
    SessionLockedError,
    SessionStore,
    SessionStoreError,
)
from studio.storage.sessions_journal import Journal, Record, read_journal

FIRST_WORDS = 14  # words shown in the list
WAV_HEADER_BYTES = 80  # studio.audio.recording.HEADER_BYTES (storage does not import audio)


@dataclass(frozen=True)
class SessionSummary:
    id: str
    title: str  # the user's title, or "" (show ``created`` instead)
    created: datetime  # when it started (UTC, aware)
    duration: float  # seconds
    sources: tuple[str, ...]  # "Me: Built-in microphone", "Them: Monitor of Speakers"
    engine: str
    first_words: str
    state: str  # "recording" | "finished" | "recovered"
    live: bool  # being recorded now (its lock is held)
    folder: Path
    audio: Path | None
    recording_problem: str | None = None

    @property
    def unfinished(self) -> bool:
        """Interrupted (a crash or a kill) and not being recorded: offer to recover it."""
        return self.state == "recording" and not self.live


@dataclass
class SessionDocument:
    info: SessionInfo
    transcript: Transcript
    records: list[Record]
    folder: Path
    audio: Path | None  # None: no audio was recorded (or it is gone)
    torn: bool = False  # the journal's last line was half-written (a kill mid-write) and was skipped


def build_transcript(info: SessionInfo, records: Iterable[Record]) -> Transcript:
    """The transcript a journal describes: finals, translations, bookmarks and speaker names, in order.

    A rename's ``speaker`` is the key the Transcript's registry has (``speakers.speaker_key``: ``Me``,
    ``Them/S1``, ``S1``); a journal written before speakers were keyed per channel says ``S1`` for every
    channel's ``S1``, which the registry maps onto them. The names are given once every final is in (in the
    order they were journaled), so a rename journaled before its speaker's first final — the Live page names a
    speaker it has only seen in partials — still finds that speaker."""
    transcript = Transcript(info.language or "en")
    renames: list[tuple[str, str]] = []
    for record in records:
        kind = record.get("type")
        try:
            if kind == "started":
                transcript.apply({"message": "RecognitionStarted",
                                  "language_pack_info": record.get("language_pack_info") or {}})
            elif kind in ("final", "translation") and isinstance(record.get("message"), dict):
                transcript.apply(record["message"])
            elif kind == "bookmark":
                transcript.add_bookmark(float(record.get("time", 0.0)), str(record.get("label", "")))
            elif kind == "rename" and record.get("speaker"):
                renames.append((str(record["speaker"]), str(record.get("name", ""))))
        except (TypeError, ValueError, KeyError):
            continue  # one odd record never hides the rest
    for key, name in renames:
        transcript.speakers.rename(key, name)
    return transcript


def transcript_text(records: Iterable[Record]) -> str:
    """The words of every final, in order (for search and first words)."""
    words: list[str] = []
    for record in records:
        if record.get("type") != "final":
            continue
        message = record.get("message")
        for result in (message or {}).get("results") or () if isinstance(message, dict) else ():
            alternatives = result.get("alternatives") or ()
            if alternatives and isinstance(alternatives[0], dict):
                content = str(alternatives[0].get("content", ""))
                if result.get("type") == "punctuation" and words:
                    words[-1] += content
                elif content:
                    words.append(content)
    return " ".join(words)


def first_words(text: str, count: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


class SessionLibrary:
    def __init__(self, root: Path) -> None:
        self.store = SessionStore(root)
        self._text: dict[str, tuple[tuple[int, int], str, str]] = {}  # id → (size, mtime), text, speaker names

    @property
    def root(self) -> Path:
        return self.store.root

    # -- reading ---------------------------------------------------------------------------------------------
    def list(self) -> list[SessionSummary]:
        """Every session, newest first."""
        out = []
        for session_id in self.store.ids():
            try:
                out.append(self.summary(session_id))
            except SessionStoreError:
                continue  # a folder being deleted, or one a newer studio wrote
        out.sort(key=lambda s: (s.created, s.id), reverse=True)
        return out

    def summary(self, session_id: str) -> SessionSummary:
        info = self.store.read_info(session_id)
        folder = self.store.folder(session_id)
        live = info.state == "recording" and self.store.is_locked(session_id)
        words, duration = info.first_words, info.duration
        if info.state == "recording":  # interrupted or running: what the folder holds now
            text, _names = self._journal_text(session_id)
            words = words or first_words(text)
            duration = max(duration, _audio_seconds(folder, info), self._last_final_end(session_id))
        audio = folder / info.audio if info.audio and (folder / info.audio).is_file() else None
        sources = tuple(f"{s.channel}: {s.label}" if s.label else s.channel for s in info.sources)
        return SessionSummary(session_id, info.title, info.created_at, duration, sources, info.engine, words,
                              info.state, live, folder, audio, info.recording_problem)

    def unfinished(self) -> builtins.list[SessionSummary]:
        return [s for s in self.list() if s.unfinished]

    def search(self, query: str) -> builtins.list[SessionSummary]:
        """Sessions whose title, first words, transcript or speaker names contain every word of ``query``
        (case-insensitive); all of them for an empty query."""
        terms = query.casefold().split()
        if not terms:
            return self.list()
        found = []
        for summary in self.list():
            text, names = self._journal_text(summary.id)
            haystack = " ".join((summary.title, summary.first_words, text, names, *summary.sources)).casefold()
            if all(term in haystack for term in terms):
                found.append(summary)
        return found

    def open(self, session_id: str) -> SessionDocument:
        """The session to read: its transcript as journaled so far, and its audio file."""
        info = self.store.read_info(session_id)
        folder = self.store.folder(session_id)
        records, torn = read_journal(folder / "journal.jsonl")
        audio = folder / info.audio if info.audio and (folder / info.audio).is_file() else None
        return SessionDocument(info, build_transcript(info, records), records, folder, audio, torn)

    # -- writing (each takes the session's lock for the moment of the write) ---------------------------------
    def rename_speaker(self, session_id: str, speaker: str, name: str) -> None:
        """Journals the new name (empty: back to the default); ``SessionLockedError`` while it is recorded
        (rename it in the Live workspace then, which journals it itself)."""
        with self.store.acquire(session_id) as handle:
            journal = Journal(handle.journal_path)
            try:
                journal.append({"type": "rename", "speaker": speaker, "name": name.strip()})
                journal.sync()
            finally:
                journal.close()
        self._text.pop(session_id, None)

    def set_title(self, session_id: str, title: str) -> None:
        with self.store.acquire(session_id) as handle:
            handle.save_info(handle.info.replace(title=title.strip()))

    def delete(self, session_id: str) -> None:
        """Removes the session and its files for good (ask first); ``SessionLockedError`` while recorded."""
        self.store.delete(session_id)
        self._text.pop(session_id, None)

    # -- inside ----------------------------------------------------------------------------------------------
    def _journal_text(self, session_id: str) -> tuple[str, str]:
        path = self.store.folder(session_id) / "journal.jsonl"
        try:
            stat = path.stat()
        except FileNotFoundError:
            return "", ""
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._text.get(session_id)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        records, _torn = read_journal(path)
        text = transcript_text(records)
        names = " ".join(str(r.get("name", "")) for r in records if r.get("type") == "rename")
        self._text[session_id] = (key, text, names)
        return text, names

    def _last_final_end(self, session_id: str) -> float:
        records, _torn = read_journal(self.store.folder(session_id) / "journal.jsonl")
        end = 0.0
        for record in records:
            if record.get("type") == "final" and isinstance(record.get("message"), dict):
                metadata = record["message"].get("metadata") or {}
                value = metadata.get("end_time")
                if isinstance(value, int | float):
                    end = max(end, float(value))
        return end


def _audio_seconds(folder: Path, info: SessionInfo) -> float:
    """The recording's length from its size (its header may lag behind after a crash)."""
    if not info.audio:
        return 0.0
    try:
        size = os.stat(folder / info.audio).st_size
    except OSError:
        return 0.0
    block = 2 * max(1, len(info.channels))
    return max(0, size - WAV_HEADER_BYTES) // block / max(1, info.sample_rate)


__all__ = ["SessionDocument", "SessionLibrary", "SessionLockedError", "SessionSummary", "build_transcript",
           "first_words", "transcript_text"]
