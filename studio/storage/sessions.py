"""Recorded live sessions on disk: one folder each, under the platform data dir (``Paths.data / "sessions"``).

    <data>/sessions/20261201-214455-3f9a/
        session.json    what the session was: SessionInfo (sources, settings, engine, times, state) — replaced
                        atomically (studio.storage.atomic), never edited in place
        journal.jsonl   append-only: every final, bookmark and speaker rename, one JSON object a line, each
                        written with one write(2) as it happens (sessions_journal)
        audio.wav       the audio, one channel per source (studio.audio.recording: its header valid as it grows)
        .lock           held (flock, through filelock) by the one studio instance writing the session

``sessions_folder(paths)`` is the root (``Paths.data / "sessions"``). ``SessionStore(root)``: ``create(info) ->
SessionHandle`` makes the folder, takes its lock and writes ``session.json``; ``acquire(id)`` takes the lock of
an existing session (``SessionLockedError`` if another instance — or another part of this one — holds it);
``read_info(id)``; ``ids()``; ``delete(id)`` (under the lock). The lock is an OS lock on an open file, so it
goes when its process dies (``kill -9`` included): a session whose ``state`` is still ``recording`` and whose
lock is free was interrupted and can be recovered.

``SessionHandle`` (holds the lock until ``release()``): ``folder``, ``info``, ``save_info(info)``,
``journal_path``, ``audio_path``.

Errors are ``OSError`` (the folder cannot be written: full disk, permissions) and ``SessionStoreError`` (a
folder that is not a session, or one a newer studio wrote) with a sentence for the user.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import filelock

from studio.storage.atomic import write_atomic
from studio.storage.paths import Paths

SCHEMA_VERSION = 1
INFO_FILE = "session.json"
JOURNAL_FILE = "journal.jsonl"
AUDIO_FILE = "audio.wav"
LOCK_FILE = ".lock"

State = Literal["recording", "finished", "recovered"]


class SessionStoreError(Exception):
    """A session folder cannot be used; ``str()`` is a sentence for the user."""


class SessionLockedError(SessionStoreError):
    """Another studio instance (or the live session of this one) is writing this session."""


@dataclass(frozen=True)
class SourceInfo:
    channel: str  # "Me" or "Them"
    kind: str  # "mic" | "system"
    source_id: str = ""
    label: str = ""


@dataclass(frozen=True)
class SessionInfo:
    id: str = ""
    created: str = ""  # ISO 8601, UTC
    state: State = "recording"
    title: str = ""  # the user's name for it ("" = shown by its date)
    ended: str | None = None
    duration: float = 0.0  # seconds of audio (the longest of transcript and recording)
    source_kind: str = "mic"  # "mic" | "system" | "both" (SourceKind values)
    sources: tuple[SourceInfo, ...] = ()
    channels: tuple[str, ...] = ()  # the audio file's channels, in order ("Me", "Them")
    transcript_channels: Mapping[str, str | None] = field(default_factory=dict)  # source → Message.channel
    sample_rate: int = 16000
    audio: str | None = AUDIO_FILE  # None: no audio is recorded
    engine: str = ""  # for people: "Built-in engine (Whisper tiny.en)", "Speechmatics (EU)"
    engine_kind: str = ""  # "local" | "speechmatics"
    language: str = "en"
    settings: Mapping[str, Any] = field(default_factory=dict)  # the LiveConfig it ran with
    first_words: str = ""
    recording_problem: str | None = None  # why recording stopped before the session did
    reconnects: int = 0
    version: int = SCHEMA_VERSION

    def replace(self, **changes: Any) -> SessionInfo:
        return replace(self, **changes)

    @property
    def created_at(self) -> datetime:
        try:
            return datetime.fromisoformat(self.created)
        except ValueError:
            return datetime.fromtimestamp(0, UTC)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = [asdict(s) for s in self.sources]
        data["channels"] = list(self.channels)
        data["transcript_channels"] = dict(self.transcript_channels)
        data["settings"] = dict(self.settings)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionInfo:
        if not isinstance(data, Mapping):
            raise SessionStoreError("The session's description is not readable")
        version = data.get("version", 1)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise SessionStoreError("This session was recorded by a newer version of the studio")
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["sources"] = tuple(SourceInfo(**s) for s in data.get("sources") or ())
            values["channels"] = tuple(str(c) for c in data.get("channels") or ())
            values["transcript_channels"] = dict(data.get("transcript_channels") or {})
            values["settings"] = dict(data.get("settings") or {})
            return cls(**values)
        except TypeError as exc:
            raise SessionStoreError(f"The session's description is not readable ({exc})") from None


def sessions_folder(paths: Paths) -> Path:
    """Where the studio keeps its recorded sessions: ``<data dir>/sessions``."""
    return paths.data / "sessions"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id(when: datetime | None = None) -> str:
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return f"{when:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _lock(folder: Path) -> filelock.FileLock:
    # An OS lock (flock) on an open file: released by the kernel when the process dies. No soft-lock
    # fallback (a lock file left by a killed process would look held for ever); the file itself is kept.
    return filelock.FileLock(folder / LOCK_FILE, timeout=0, thread_local=False, fallback_to_soft=False,
                             preserve_lock_file=True)


class SessionHandle:
    """An open session folder whose lock this process holds."""

    def __init__(self, folder: Path, info: SessionInfo, lock: filelock.FileLock) -> None:
        self.folder = folder
        self.info = info
        self._lock = lock

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def journal_path(self) -> Path:
        return self.folder / JOURNAL_FILE

    @property
    def audio_path(self) -> Path | None:
        return self.folder / self.info.audio if self.info.audio else None

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def save_info(self, info: SessionInfo) -> None:
        """Replaces ``session.json`` atomically (``OSError`` if the disk refuses; the old one is kept)."""
        write_atomic(self.folder / INFO_FILE, json.dumps(info.to_json(), ensure_ascii=False, indent=1).encode())
        self.info = info

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()

    def __enter__(self) -> SessionHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class SessionStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, session_id: str) -> Path:
        if not session_id or "/" in session_id or "\\" in session_id or session_id.startswith("."):
            raise SessionStoreError("That is not a session")
        return self.root / session_id

    def ids(self) -> list[str]:
        """Every session folder's id, newest first."""
        try:
            entries = [p.name for p in self.root.iterdir() if p.is_dir() and (p / INFO_FILE).is_file()]
        except FileNotFoundError:
            return []
        return sorted(entries, reverse=True)

    def create(self, info: SessionInfo) -> SessionHandle:
        """A new session folder, locked, with its ``session.json`` (``OSError`` if it cannot be written)."""
        self.root.mkdir(parents=True, exist_ok=True)
        session_id = info.id or new_id()
        folder = self.folder(session_id)
        folder.mkdir()
        lock = _lock(folder)
        lock.acquire()
        handle = SessionHandle(folder, info.replace(id=session_id, created=info.created or now_iso()), lock)
        try:
            handle.save_info(handle.info)
        except BaseException:
            handle.release()
            raise
        return handle

    def read_info(self, session_id: str) -> SessionInfo:
        path = self.folder(session_id) / INFO_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SessionStoreError("That session no longer exists") from None
        except (OSError, ValueError) as exc:
            raise SessionStoreError(f"The session's description could not be read ({exc})") from None
        info = SessionInfo.from_json(data)
        return info if info.id == session_id else info.replace(id=session_id)

    def acquire(self, session_id: str) -> SessionHandle:
        """The session, locked for writing by this process (``SessionLockedError`` if it is held)."""
        folder = self.folder(session_id)
        if not (folder / INFO_FILE).is_file():
            raise SessionStoreError("That session no longer exists")
        lock = _lock(folder)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise SessionLockedError("This session is being recorded or edited by another studio window") \
                from None
        try:
            return SessionHandle(folder, self.read_info(session_id), lock)
        except BaseException:
            lock.release()
            raise

    def is_locked(self, session_id: str) -> bool:
        """Whether some process (this one included) holds the session's lock now."""
        try:
            handle = self.acquire(session_id)
        except SessionLockedError:
            return True
        except SessionStoreError:
            return False
        handle.release()
        return False

    def delete(self, session_id: str) -> None:
        """Removes the session's folder (``SessionLockedError`` while it is being recorded)."""
        handle = self.acquire(session_id)
        try:
            trash = handle.folder.with_name(f".deleting-{session_id}")
            handle.folder.rename(trash)  # out of the listing at once, even if removing takes a while
        finally:
            handle.release()
        shutil.rmtree(trash, ignore_errors=True)
