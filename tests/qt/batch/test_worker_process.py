"""The Batch page sends its jobs through the batch worker process: while jobs run the studio has one worker
child (whatever the number of jobs), and closing the studio stops it."""

from __future__ import annotations

import os
from pathlib import Path

from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.jobs import JobState
from tests.api.test_batch_worker import wait_for_exit
from tests.qt.batch.conftest import ServerThread, batch_page, drop, wait_finished
from tests.qt.batch.test_drop import copy


def batch_workers() -> list[int]:
    """The process ids of this process's children that are batch workers (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # it ended meanwhile
        if parent == os.getpid() and b"--batch-worker" in command:
            found.append(int(entry.name))
    return found


def test_the_queue_runs_in_one_worker_process_that_ends_with_the_studio(studio: Studio, qtbot: QtBot,
                                                                         tmp_path: Path,
                                                                         batch_server: ServerThread) -> None:
    assert batch_workers() == []  # none before a job needs one
    page = batch_page(studio, qtbot)
    folder = tmp_path / "in"
    for index in range(3):
        copy(folder / f"talk-{index}.wav")
    drop(page, [folder])
    found = wait_finished(qtbot, page, 3)
    assert [job.state for job in found] == [JobState.DONE] * 3
    workers = batch_workers()
    assert len(workers) == 1, workers
    assert len(batch_server.references()) == 3  # every job reached the server, each once
    studio.window.close()
    assert wait_for_exit(workers[0], 5)
