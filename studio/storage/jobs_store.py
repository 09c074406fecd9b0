"""The batch queue on disk: SQLite (stdlib ``sqlite3``) in WAL mode, with a schema version and migrations.

    store = JobStore(paths.data / "batch.sqlite3")
    jobs = store.load()                       # every job, in queue order
    store.insert(jobs); store.save(job)       # each call is one committed transaction
    store.delete(ids); store.save_positions(jobs)
    store.save_result(job_id, document)       # the json-v2 transcript (edits included), kept with the job
    store.result(job_id) -> dict | None
    store.get_flag("paused") / store.set_flag("paused", True)   # and get_value / set_value for text
    store.close()

- Every write is committed before the call returns, so a job's state survives a crash or a kill the
  moment it changed. WAL with ``synchronous=NORMAL``: a process that dies loses nothing committed (only a
  power cut may lose the last transactions); readers never block the writer.
- ``PRAGMA user_version`` is the schema version; ``MIGRATIONS[n]`` brings version ``n`` to ``n + 1``, each
  step in one transaction. A database written by a newer studio is refused with ``JobStoreError`` (and
  left untouched) rather than misread.
- One store is used from one thread at a time (the studio's event-loop thread); the connection is opened
  with ``check_same_thread=False`` so that it may be created on another thread first.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from studio.core.jobs import Job, JobSettings, JobState

SCHEMA_VERSION = 1


class JobStoreError(Exception):
    """The queue's database cannot be used; ``str()`` is a sentence for the user."""


def _v0_to_v1(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            settings TEXT NOT NULL,
            state TEXT NOT NULL,
            duration REAL,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            engine TEXT NOT NULL DEFAULT '',
            engine_url TEXT NOT NULL DEFAULT '',
            engine_local INTEGER NOT NULL DEFAULT 0,
            remote_id TEXT,
            submissions INTEGER NOT NULL DEFAULT 0,
            uploaded INTEGER NOT NULL DEFAULT 0,
            processing_since REAL,
            wait_reason TEXT NOT NULL DEFAULT '',
            retry_at REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            outputs TEXT NOT NULL DEFAULT '[]',
            has_result INTEGER NOT NULL DEFAULT 0,
            run INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("CREATE INDEX jobs_by_position ON jobs (position)")
    db.execute("CREATE TABLE results (job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE, "
               "document TEXT NOT NULL, updated_at REAL NOT NULL)")
    db.execute("CREATE TABLE flags (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: dict[int, Migration] = {0: _v0_to_v1}

_COLUMNS = ("id", "position", "path", "name", "size", "mtime_ns", "settings", "state", "duration", "created_at",
            "started_at", "finished_at", "engine", "engine_url", "engine_local", "remote_id", "submissions",
            "uploaded", "processing_since", "wait_reason", "retry_at", "attempts", "error", "note", "outputs",
            "has_result", "run")
# An upsert, not INSERT OR REPLACE: a replace deletes the row first, which would cascade to its result.
_INSERT = (f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
           f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS if c != 'id')}")


def _row(job: Job) -> tuple[Any, ...]:
    return (job.id, job.position, job.path, job.name, job.size, job.mtime_ns, json.dumps(job.settings.to_json()),
            job.state.value, job.duration, job.created_at, job.started_at, job.finished_at, job.engine,
            job.engine_url, int(job.engine_local), job.remote_id, job.submissions, job.uploaded,
            job.processing_since, job.wait_reason, job.retry_at, job.attempts, job.error, job.note,
            json.dumps(list(job.outputs)), int(job.has_result), job.run)


def _job(row: sqlite3.Row) -> Job:
    try:
        state = JobState(row["state"])
    except ValueError:  # a state of a newer studio: show it as failed rather than lose the row
        state = JobState.FAILED
    try:
        outputs = tuple(str(p) for p in json.loads(row["outputs"]))
    except (ValueError, TypeError):
        outputs = ()
    try:
        settings = JobSettings.from_json(json.loads(row["settings"]))
    except ValueError:
        settings = JobSettings()
    return Job(id=row["id"], path=row["path"], name=row["name"], size=row["size"], mtime_ns=row["mtime_ns"],
               settings=settings, position=row["position"], state=state, duration=row["duration"],
               created_at=row["created_at"], started_at=row["started_at"], finished_at=row["finished_at"],
               engine=row["engine"], engine_url=row["engine_url"], engine_local=bool(row["engine_local"]),
               remote_id=row["remote_id"], submissions=row["submissions"], uploaded=row["uploaded"],
               processing_since=row["processing_since"], wait_reason=row["wait_reason"], retry_at=row["retry_at"],
               attempts=row["attempts"], error=row["error"], note=row["note"], outputs=outputs,
               has_result=bool(row["has_result"]), run=row["run"])


class JobStore:
    def __init__(self, path: Path, migrations: dict[int, Migration] | None = None,
                 target_version: int = SCHEMA_VERSION) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise JobStoreError(f"The batch queue ({path}) cannot be opened: {exc}") from None
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate(MIGRATIONS if migrations is None else migrations, target_version)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise JobStoreError(f"The batch queue ({path.name}) is damaged and cannot be read: {exc}") from None
        except JobStoreError:
            self._db.close()
            raise

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, migrations: dict[int, Migration], target: int) -> None:
        version = self.version
        if version > target:
            raise JobStoreError(f"The batch queue was written by a newer version of the studio (schema {version}); "
                                "update the studio to open it.")
        while version < target:
            step = migrations[version]
            with self._transaction():
                step(self._db)
                self._db.execute(f"PRAGMA user_version = {version + 1}")
            version += 1

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # -- jobs ---------------------------------------------------------------------------------------------
    def load(self) -> list[Job]:
        rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs ORDER BY position, created_at").fetchall()
        return [_job(row) for row in rows]

    def insert(self, jobs: Sequence[Job]) -> None:
        with self._transaction():
            self._db.executemany(_INSERT, [_row(job) for job in jobs])

    def save(self, job: Job) -> None:
        self.insert([job])

    def save_many(self, jobs: Sequence[Job]) -> None:
        self.insert(jobs)

    def save_positions(self, jobs: Iterable[Job]) -> None:
        with self._transaction():
            self._db.executemany("UPDATE jobs SET position = ? WHERE id = ?", [(j.position, j.id) for j in jobs])

    def delete(self, job_ids: Iterable[str]) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM jobs WHERE id = ?", [(job_id,) for job_id in job_ids])

    def count_unfinished(self) -> int:
        marks = ", ".join("?" for _ in _UNFINISHED)
        return int(self._db.execute(f"SELECT COUNT(*) FROM jobs WHERE state IN ({marks})", _UNFINISHED).fetchone()[0])

    # -- results ------------------------------------------------------------------------------------------
    def save_result(self, job_id: str, document: dict[str, Any]) -> None:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO results (job_id, document, updated_at) VALUES (?, ?, ?)",
                             (job_id, text, time.time()))

    def result(self, job_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT document FROM results WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        try:
            document = json.loads(row["document"])
        except ValueError:
            return None
        return document if isinstance(document, dict) else None

    def delete_result(self, job_id: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM results WHERE job_id = ?", (job_id,))

    # -- flags --------------------------------------------------------------------------------------------
    def get_flag(self, name: str, default: bool = False) -> bool:
        row = self._db.execute("SELECT value FROM flags WHERE name = ?", (name,)).fetchone()
        return default if row is None else row["value"] == "1"

    def set_flag(self, name: str, value: bool) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO flags (name, value) VALUES (?, ?)", (name, "1" if value else "0"))

    def get_value(self, name: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM flags WHERE name = ?", (name,)).fetchone()
        return default if row is None else str(row["value"])

    def set_value(self, name: str, value: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO flags (name, value) VALUES (?, ?)", (name, value))

    def close(self) -> None:
        self._db.close()


_UNFINISHED = tuple(s.value for s in (JobState.QUEUED, JobState.UPLOADING, JobState.WAITING, JobState.PROCESSING))


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on an exception)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_rest: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def count_unfinished(path: Path) -> int:
    """Unfinished jobs in the queue at ``path`` (0 when there is no queue yet), read without migrating it."""
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error:
        return 0
    try:
        marks = ", ".join("?" for _ in _UNFINISHED)
        return int(db.execute(f"SELECT COUNT(*) FROM jobs WHERE state IN ({marks})", _UNFINISHED).fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        db.close()
