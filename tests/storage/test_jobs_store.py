"""The SQLite queue store: WAL, schema version and migrations, every write committed when it returns."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.jobs import Job, JobSettings, JobState
from studio.storage import jobs_store
from studio.storage.jobs_store import SCHEMA_VERSION, JobStore, JobStoreError, count_unfinished
from tests.conftest import REPO


def make_job(name: str = "talk.wav", position: int = 0) -> Job:
    return Job.new(f"/media/{name}", name, size=1234, mtime_ns=99, position=position, created_at=1000.0,
                   settings=JobSettings(language="de", diarization="speaker", vocab=("Zürich",), summary=True))


def test_a_job_round_trips_with_every_field(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "q.sqlite3")
    job = make_job().to(JobState.UPLOADING, started_at=1001.5, engine="Speechmatics EU",
                        engine_url="https://eu1/v2", uploaded=512).to(
        JobState.WAITING, wait_reason="rate limited", retry_at=1010.0, attempts=2)
    job = job.with_changes(note="n", outputs=("/out/a.srt",), submissions=1, remote_id="abc", duration=12.5,
                           processing_since=1002.0, run=3, has_result=True, engine_local=True, error="e")
    store.insert([job])
    store.close()
    again = JobStore(tmp_path / "q.sqlite3").load()
    assert again == [job]


def test_the_database_uses_wal_and_records_its_schema_version(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "q.sqlite3")
    store.close()
    db = sqlite3.connect(tmp_path / "q.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_migrations_run_step_by_step_from_an_older_schema(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    JobStore(path).close()  # version 1
    steps: list[int] = []

    def v1_to_v2(db: sqlite3.Connection) -> None:
        steps.append(1)
        db.execute("ALTER TABLE jobs ADD COLUMN colour TEXT NOT NULL DEFAULT 'blue'")

    store = JobStore(path, {**jobs_store.MIGRATIONS, 1: v1_to_v2}, target_version=2)
    store.insert([make_job()])
    assert store.version == 2 and steps == [1]
    assert store.load()[0].name == "talk.wav"


def test_a_database_of_a_newer_studio_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    store = JobStore(path)
    store.insert([make_job()])
    store.close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(JobStoreError, match="newer version"):
        JobStore(path)
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 1


def test_a_damaged_file_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JobStoreError, match="damaged"):
        JobStore(path)


def test_results_are_kept_with_their_job_and_go_with_it(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "q.sqlite3")
    job = make_job()
    store.insert([job])
    document = {"format": "2.9", "results": [{"type": "word", "alternatives": [{"content": "Grüß"}]}]}
    store.save_result(job.id, document)
    store.save(job.to(JobState.UPLOADING))  # an update of the job keeps its result
    assert store.result(job.id) == document
    store.delete([job.id])
    assert store.result(job.id) is None


def test_positions_flags_values_and_unfinished_counts(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    assert count_unfinished(path) == 0  # no queue yet: nothing to resume, and no file made
    assert not path.exists()
    store = JobStore(path)
    first, second = make_job("a.wav", 0), make_job("b.wav", 1)
    store.insert([first, second, make_job("c.wav", 2).to(JobState.FAILED)])
    store.save_positions([first.with_changes(position=5)])
    assert [j.name for j in store.load()] == ["b.wav", "c.wav", "a.wav"]
    assert not store.get_flag("paused")
    store.set_flag("paused", True)
    store.set_value("watch-since:/x", "12.5")
    assert store.get_flag("paused") and store.get_value("watch-since:/x") == "12.5"
    assert store.count_unfinished() == 2 == count_unfinished(path)


CHILD = """
import os, signal, sys
from studio.core.jobs import Job, JobSettings, JobState
from studio.storage.jobs_store import JobStore
store = JobStore(__import__("pathlib").Path(sys.argv[1]))
job = Job.new("/m/a.wav", "a.wav", size=1, mtime_ns=1, settings=JobSettings(), position=0, created_at=1.0)
store.insert([job])
store.save(job.to(JobState.UPLOADING, started_at=2.0))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_state_change_survives_a_kill_the_moment_after_it_was_written(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    child = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=REPO, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    jobs = JobStore(path).load()
    assert [(j.name, j.state, j.started_at) for j in jobs] == [("a.wav", JobState.UPLOADING, 2.0)]
