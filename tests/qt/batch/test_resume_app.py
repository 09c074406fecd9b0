"""Unfinished jobs resume soon after start-up, without the Batch page being opened, and the user is told."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from studio.core.jobs import JobState
from studio.qt.batch.page import BatchPage
from studio.qt.batch.runtime import runtime_for
from studio.storage.paths import Paths
from tests.fakes.server import SERVER_KEY
from tests.qt.batch.conftest import ServerThread
from tests.qt.batch.killing import prepare
from tests.qt.batch.test_drop import copy
from tests.qt.conftest import StudioFactory


def test_the_queue_resumes_after_start_up_without_the_page(make_studio: StudioFactory, studio_home: Paths,
                                                           batch_server: ServerThread, qtbot: QtBot,
                                                           tmp_path: Path) -> None:
    prepare(studio_home.config.parent, [copy(tmp_path / "a.wav"), copy(tmp_path / "b.wav")], concurrency=4)
    studio = make_studio({"SPEECHMATICS_API_KEY": SERVER_KEY, "SPEECHMATICS_BATCH_URL": batch_server.urls.batch})
    bar = studio.window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage() == "Resuming 2 unfinished batch jobs from the last session…",
                    timeout=20000)
    board = runtime_for(studio.context).board
    qtbot.waitUntil(lambda: len(board) == 2 and all(job.state is JobState.DONE for job in board.jobs),
                    timeout=30000)
    assert "batch" not in studio.window.built_pages()  # nothing waited for the page
    page = studio.window.show_workspace("batch")  # opening it later shows the same queue
    assert isinstance(page, BatchPage) and page.runtime.board is board

