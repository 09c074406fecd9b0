"""A running job's elapsed time moves on screen once a second, with no change signal from the model: the view
repaints the clock columns and the cells ask the model as they are drawn."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QPaintEvent
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.jobs import JobState
from studio.local.faults import HttpFault
from studio.qt.batch.table_model import Column
from tests.qt.batch.conftest import ServerThread, batch_page, drop, jobs
from tests.qt.batch.test_drop import copy


def test_a_running_jobs_elapsed_time_moves_on_screen(studio: Studio, qtbot: QtBot, tmp_path: Path,
                                                     batch_server: ServerThread) -> None:
    # Status checks answer only after 10 s: the job stays processing meanwhile.
    batch_server.server.faults.http.append(HttpFault("/v2/jobs/", method="GET", delay=10.0, pass_through=True,
                                                     times=100))
    page = batch_page(studio, qtbot)
    studio.window.resize(1200, 700)
    studio.window.show()
    qtbot.waitExposed(studio.window)
    drop(page, [copy(tmp_path / "in" / "talk.wav")])
    qtbot.waitUntil(lambda: [job.state for job in jobs(page)] == [JobState.PROCESSING], timeout=20000)
    changed: list[tuple[int, int]] = []
    page.queue.model.dataChanged.connect(lambda first, last, _roles=(): changed.append((first.row(), last.row())))
    table = page.queue.table
    header = table.horizontalHeader()
    area = QRect(header.sectionViewportPosition(Column.ELAPSED), table.rowViewportPosition(0),
                 header.sectionSize(Column.ELAPSED), table.rowHeight(0))
    painted: list[str] = []  # the elapsed time the cell showed at each repaint of it

    class Paints(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if isinstance(event, QPaintEvent) and event.region().intersects(area):
                painted.append(str(page.queue.proxy.index(0, Column.ELAPSED).data()))
            return False

    paints = Paints()
    table.viewport().installEventFilter(paints)
    qtbot.waitUntil(lambda: len(set(painted)) >= 3, timeout=8000)  # three different times, each painted
    table.viewport().removeEventFilter(paints)
    assert jobs(page)[0].state is JobState.PROCESSING
    assert changed == []  # nothing but the clock moved: no change signal for it
