"""The job table: a Qt item model over the queue's GUI-thread copy (``JobBoard``), and the sort/filter proxy.

Columns are named (``Column``); besides the display text each cell has a ``SORT_ROLE`` value, a
``PROGRESS_ROLE`` value for the two progress columns (``(fraction or None, text)``, drawn by
``studio.qt.batch.delegates``) and ``JOB_ROLE`` (the ``Job``). The model never changes the queue: the page
sends the user's commands to the service, and the board's updates come back here. Elapsed times and the
processing estimate are worked out when a cell is drawn: the view repaints those columns once a second
(``TICKING``), with no change signal — one for hundreds of running rows would make the proxy filter every one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from studio.core.jobs import ACTIVE, Job, JobState
from studio.qt.theme import Colors
from studio.services.batch.board import BoardChange, JobBoard

Index = QModelIndex | QPersistentModelIndex
JOB_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3
#: Seconds of processing to expect per second of media (for the estimate the bar shows), and at least.
PROCESSING_RATE = {True: 0.15, False: 0.35}
PROCESSING_MINIMUM = 5.0


class Column(IntEnum):
    ORDER = 0
    NAME = 1
    DURATION = 2
    ENGINE = 3
    STATUS = 4
    UPLOAD = 5
    PROCESSING = 6
    ELAPSED = 7


#: The columns whose text follows the clock while a job runs (repainted once a second by the view).
TICKING = (Column.PROCESSING, Column.ELAPSED)
HEADERS = {Column.ORDER: "#", Column.NAME: "Name", Column.DURATION: "Duration", Column.ENGINE: "Engine",
           Column.STATUS: "Status", Column.UPLOAD: "Upload", Column.PROCESSING: "Processing",
           Column.ELAPSED: "Elapsed"}
STATE_ORDER = {JobState.UPLOADING: 0, JobState.WAITING: 1, JobState.PROCESSING: 2, JobState.QUEUED: 3,
               JobState.FAILED: 4, JobState.CANCELLED: 5, JobState.DONE: 6}


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def status_text(job: Job, paused: bool = False) -> str:
    if job.state is JobState.QUEUED:
        return "Queued (paused)" if paused else "Queued"
    if job.state is JobState.UPLOADING:
        return "Uploading"
    if job.state is JobState.PROCESSING:
        return "Processing"
    if job.state is JobState.WAITING:
        when = time.strftime("%H:%M:%S", time.localtime(job.retry_at)) if job.retry_at else "shortly"
        return f"Waiting until {when}: {job.wait_reason}"
    if job.state is JobState.DONE:
        again = " (submitted again)" if job.note.startswith("Submitted again") else ""
        return f"Done{again}" + (" · exported" if job.outputs else "")
    if job.state is JobState.FAILED:
        return job.error or "Failed"
    return "Cancelled"


def processing_progress(job: Job, now: float) -> tuple[float | None, str]:
    """A bar (fraction, text) while the service works on the job; a finished step is text only."""
    if job.state is JobState.DONE:
        return None, "✓ Done"
    if job.state not in (JobState.PROCESSING, JobState.WAITING) or job.remote_id is None:
        return None, ""
    since = job.processing_since or now
    elapsed = max(0.0, now - since)
    expected = max(PROCESSING_MINIMUM, (job.duration or 0.0) * PROCESSING_RATE[job.engine_local])
    return min(0.95, elapsed / expected), clock_text(elapsed)


def upload_progress(job: Job) -> tuple[float | None, str]:
    if job.remote_id is not None or job.state in (JobState.PROCESSING, JobState.DONE):
        return None, "✓ Sent"
    if job.state in (JobState.UPLOADING, JobState.WAITING):
        fraction = job.upload_fraction
        return fraction, f"{fraction * 100:.0f} %"
    return None, ""


def short_engine(label: str) -> str:
    """``Built-in engine (offline, Whisper tiny.en)`` → ``Built-in engine`` (the full label is in the tooltip)."""
    return label.split(" (", 1)[0]


def tooltip(job: Job) -> str:
    lines = [job.path, f"Settings: {job.settings.describe()}"]
    if job.error:
        lines.append(job.error)
    if job.wait_reason and job.state is JobState.WAITING:
        lines.append(f"Waiting: {job.wait_reason}")
    if job.note:
        lines.append(job.note)
    if job.remote_id:
        lines.append(f"Job {job.remote_id} at {job.engine}")
    lines.extend(f"Exported: {path}" for path in job.outputs)
    return "\n".join(lines)


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_SERVED = frozenset({_DISPLAY, _FOREGROUND, _ALIGNMENT, int(Qt.ItemDataRole.ToolTipRole), int(JOB_ROLE),
                     int(SORT_ROLE), int(PROGRESS_ROLE)})
_COLUMNS = tuple(Column)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_RIGHT_ALIGNED = frozenset({Column.ORDER, Column.DURATION, Column.ELAPSED})
_MUTED = frozenset({Column.UPLOAD, Column.PROCESSING, Column.DURATION, Column.ELAPSED, Column.ORDER})


class JobTableModel(QAbstractTableModel):
    def __init__(self, board: JobBoard, colors: Callable[[], Colors], parent: QObject | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.board = board
        self._colors = colors
        self._clock = clock
        self._moving: list[tuple[QModelIndex, str]] = []
        self._palette: tuple[Colors, dict[JobState, QColor], QColor] | None = None
        self._unsubscribe = board.changes.subscribe(self._board_changed)

    def close(self) -> None:
        self._unsubscribe()

    # -- the board's changes ------------------------------------------------------------------------------
    def _board_changed(self, change: BoardChange) -> None:
        kind, before = change.kind, change.before
        if kind == "reset":
            (self.beginResetModel if before else self.endResetModel)()
        elif kind == "inserted":
            if before:
                self.beginInsertRows(QModelIndex(), change.first, change.first + change.count - 1)
            else:
                self.endInsertRows()
        elif kind == "removed":
            if before:
                self.beginRemoveRows(QModelIndex(), change.first, change.first + change.count - 1)
            else:
                self.endRemoveRows()
        elif kind == "moved":
            self._moved(before)
        elif kind == "changed":
            self._rows_changed(change.rows)
        elif kind == "paused":
            self._rows_changed(tuple(row for row, job in enumerate(self.board.jobs) if job.state is JobState.QUEUED),
                               (Column.STATUS,))

    def _moved(self, before: bool) -> None:
        if before:
            self.layoutAboutToBeChanged.emit()
            self._moving = [(index, self.board.jobs[index.row()].id) for index in self.persistentIndexList()]
            return
        for old, job_id in self._moving:
            row = self.board.row_of(job_id)
            new = self.index(row, old.column()) if row is not None else QModelIndex()
            self.changePersistentIndex(old, new)
        self._moving = []
        self.layoutChanged.emit()
        self._rows_changed(tuple(range(len(self.board))), (Column.ORDER,))

    def _rows_changed(self, rows: tuple[int, ...], columns: tuple[Column, ...] = ()) -> None:
        if not rows:
            return
        first_column = min(columns) if columns else 0
        last_column = max(columns) if columns else len(Column) - 1
        start = previous = rows[0]
        for row in (*rows[1:], None):
            if row is not None and row == previous + 1:
                previous = row
                continue
            self.dataChanged.emit(self.index(start, first_column), self.index(previous, last_column))
            if row is not None:
                start = previous = row

    # -- Qt's model API -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.board)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def job(self, row: int) -> Job:
        return self.board.jobs[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every visible cell on each repaint: roles not served return at once, and
        # nothing here allocates more than the answer.
        role = int(role)
        if role not in _SERVED or not index.isValid():
            return None
        row = index.row()
        jobs = self.board.jobs
        if row >= len(jobs):
            return None
        job = jobs[row]
        column = index.column()
        if role == _DISPLAY:
            return self._text(job, _COLUMNS[column], row)
        if role == _FOREGROUND:
            return self._foreground(job, column)
        if role == _ALIGNMENT:
            return _RIGHT if column in _RIGHT_ALIGNED else None
        if role == PROGRESS_ROLE:
            if column == Column.UPLOAD:
                return upload_progress(job)
            if column == Column.PROCESSING:
                return processing_progress(job, self._clock())
            return None
        if role == JOB_ROLE:
            return job
        if role == SORT_ROLE:
            return self._sort_key(job, _COLUMNS[column], row)
        return tooltip(job)  # the tool tip

    def _foreground(self, job: Job, column: int) -> QColor | None:
        colors = self._colors()
        cached = self._palette
        if cached is None or cached[0] is not colors:
            cached = self._palette = (colors, {JobState.FAILED: QColor(colors.error), JobState.WAITING: QColor(
                colors.warn), JobState.DONE: QColor(colors.ok)}, QColor(colors.muted))
        if column == Column.STATUS:
            return cached[1].get(job.state)
        return cached[2] if column in _MUTED else None

    def _text(self, job: Job, column: Column, row: int) -> str:
        if column is Column.ORDER:
            return str(row + 1)
        if column is Column.NAME:
            return job.name
        if column is Column.DURATION:
            return clock_text(job.duration)
        if column is Column.ENGINE:
            return short_engine(job.engine)
        if column is Column.STATUS:
            return status_text(job, self.board.paused)
        if column is Column.ELAPSED:
            return clock_text(job.elapsed(self._clock()))
        progress = upload_progress(job) if column is Column.UPLOAD else processing_progress(job, self._clock())
        return progress[1]

    def _sort_key(self, job: Job, column: Column, row: int) -> Any:
        if column is Column.ORDER:
            return row
        if column is Column.NAME:
            return job.name.casefold()
        if column is Column.DURATION:
            return job.duration if job.duration is not None else -1.0
        if column is Column.ENGINE:
            return job.engine.casefold()
        if column is Column.STATUS:
            return STATE_ORDER[job.state]
        if column is Column.UPLOAD:
            return upload_progress(job)[0] or 0.0
        if column is Column.PROCESSING:
            return processing_progress(job, self._clock())[0] or 0.0
        return job.elapsed(self._clock()) or 0.0


#: The status filter's choices: label → the states shown.
STATUS_FILTERS: dict[str, frozenset[JobState]] = {
    "All jobs": frozenset(JobState),
    "Waiting or running": frozenset({JobState.QUEUED, *ACTIVE}),
    "Done": frozenset({JobState.DONE}),
    "Failed or cancelled": frozenset({JobState.FAILED, JobState.CANCELLED}),
}


class JobFilterProxy(QSortFilterProxyModel):
    """Sorts by ``SORT_ROLE``; filters by a text in the name and a set of states."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._text = ""
        self._states = STATUS_FILTERS["All jobs"]
        self._column = int(Column.ORDER)
        self._order = Qt.SortOrder.AscendingOrder

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Queue order is the source's own order: no sorting at all (so progress updates never re-sort)."""
        self._column, self._order = column, order
        if column in (-1, Column.ORDER) and order is Qt.SortOrder.AscendingOrder:
            super().sort(-1)
        else:
            super().sort(column, order)

    def set_text(self, text: str) -> None:
        self._text = text.strip().casefold()
        self.invalidateRowsFilter()

    def set_states(self, states: frozenset[JobState]) -> None:
        self._states = states
        self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, JobTableModel) or source_row >= model.rowCount():
            return True
        job = model.job(source_row)
        return job.state in self._states and (not self._text or self._text in job.name.casefold())

    @property
    def in_queue_order(self) -> bool:
        return self._column in (-1, Column.ORDER) and self._order is Qt.SortOrder.AscendingOrder
