"""The Batch workspace in a real studio window (offscreen) against the real local server, which runs on a
thread of its own here (so the studio's bridge and the server never share a loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.jobs import Job
from studio.local.batch import jobs_of
from studio.local.server import LocalServer, ServerConfig
from studio.qt.batch.page import BatchPage
from tests.fakes.server import SERVER_KEY
from tests.qt.conftest import StudioFactory

T = TypeVar("T")


class ServerThread:
    """A LocalServer on a loop in its own thread; ``call`` runs a coroutine there and returns its result."""

    def __init__(self, config: ServerConfig) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-server", daemon=True)
        self.thread.start()
        self.server = LocalServer(config=config)
        self.urls = self.call(self.server.start())

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def references(self) -> list[str]:
        """``tracking.reference`` of every job the server has (deleted ones too)."""
        async def read() -> list[str]:
            return [str((job.config.get("tracking") or {}).get("reference"))
                    for job in jobs_of(self.server).jobs.values()]

        return self.call(read())

    def stop(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def batch_server() -> Iterator[ServerThread]:
    running = ServerThread(ServerConfig(api_keys=frozenset({SERVER_KEY})))
    yield running
    running.stop()


@pytest.fixture
def studio(make_studio: StudioFactory, batch_server: ServerThread) -> Studio:
    """A studio whose engine is the test server, as Speechmatics (an API key and a batch URL in the environment)."""
    return make_studio({"SPEECHMATICS_API_KEY": SERVER_KEY, "SPEECHMATICS_BATCH_URL": batch_server.urls.batch})


def batch_page(studio: Studio, qtbot: QtBot) -> BatchPage:
    page = studio.window.show_workspace("batch")
    assert isinstance(page, BatchPage)
    qtbot.waitUntil(lambda: page.runtime.ready, timeout=10000)
    return page


def drop(page: BatchPage, paths: list[Path]) -> None:
    """What a drag and drop from a file manager delivers: file URLs, onto the page."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    point = QPoint(page.width() // 2, page.height() // 2)
    action, button, modifier = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, action, mime, button, modifier)
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()  # the page takes files anywhere on it
    QApplication.sendEvent(page, QDragMoveEvent(point, action, mime, button, modifier))
    event = QDropEvent(QPointF(point), action, mime, button, modifier)
    QApplication.sendEvent(page, event)
    assert event.isAccepted()


def jobs(page: BatchPage) -> list[Job]:
    return list(page.runtime.board.jobs)


def wait_finished(qtbot: QtBot, page: BatchPage, count: int, timeout: int = 60000) -> list[Job]:
    qtbot.waitUntil(lambda: len(jobs(page)) == count and all(not job.unfinished for job in jobs(page)),
                    timeout=timeout)
    return jobs(page)


def by_name(found: list[Job]) -> dict[str, Job]:
    return {job.name: job for job in found}


def cell(page: BatchPage, name: str, column: int) -> str:
    model = page.queue.model
    row = next(r for r, job in enumerate(page.runtime.board.jobs) if job.name == name)
    return str(model.index(row, column).data())


Probe = Callable[[], bool]
