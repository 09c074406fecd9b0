"""The queue's part of the Batch page: a tool row, a message bar, the job table (sortable, filterable, with
progress bars) and, while the queue is empty, a large drop target that says what to do."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.jobs import ACTIVE, Job
from studio.qt.batch.delegates import ProgressDelegate
from studio.qt.batch.table_model import (
    JOB_ROLE,
    STATUS_FILTERS,
    TICKING,
    Column,
    JobFilterProxy,
    JobTableModel,
    status_text,
)
from studio.qt.theme import Colors
from studio.qt.widgets.labels import make_label, set_role
from studio.services.batch.board import BoardChange, JobBoard


class MessageBar(QFrame):
    """One message where the user is looking (what was not added and why, what the engine cannot do)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BatchMessage")
        self.label = make_label("", "SectionHint", wrap=True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName("Batch message")
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setAccessibleName("Dismiss the message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, *, error: bool = False) -> None:
        if not text:
            self.hide()
            return
        self.label.setText(text)
        set_role(self.label, "ErrorText" if error else "SectionHint")
        self.show()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()


class DropHint(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BatchDropHint")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setText("<p style='font-size:15pt'>Drop audio or video files, or whole folders, here</p>"
                     "<p>WAV, MP3, M4A, AAC, FLAC, OGG, Opus, WMA, MP4, MOV, MKV, WebM, AVI — or use "
                     "<b>Add files</b> (Ctrl+O) and <b>Add folder</b> (Ctrl+Shift+O).</p>"
                     "<p>The queue is kept on disk: close the studio at any time and it carries on next time.</p>")
        self.setAccessibleName("Drop files here")


class QueueView(QWidget):
    add_files_requested = Signal()
    add_folder_requested = Signal()
    pause_requested = Signal()
    settings_requested = Signal()
    export_requested = Signal()
    open_requested = Signal(str)  # a job id
    menu_requested = Signal(object)  # the global position of a context menu

    def __init__(self, board: JobBoard, colors: Callable[[], Colors], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.model = JobTableModel(board, colors, self)
        self.proxy = JobFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.add_files = QPushButton("Add files…")
        self.add_folder = QPushButton("Add folder…")
        self.pause = QPushButton("Pause queue")
        self.pause.setCheckable(True)
        self.settings = QPushButton("Batch settings…")
        self.export = QPushButton("Export…")
        for button, name, signal in (
                (self.add_files, "Add files to the queue", self.add_files_requested),
                (self.add_folder, "Add a folder to the queue", self.add_folder_requested),
                (self.pause, "Pause or resume the queue", self.pause_requested),
                (self.settings, "Batch settings", self.settings_requested),
                (self.export, "Export the selected transcripts", self.export_requested)):
            button.setAccessibleName(name)
            button.clicked.connect(signal)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter jobs by name")
        self.filter.textChanged.connect(self.proxy.set_text)
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Show jobs")
        for label in STATUS_FILTERS:
            self.status_filter.addItem(label)
        self.status_filter.currentTextChanged.connect(lambda label: self.proxy.set_states(STATUS_FILTERS[label]))
        self.summary = make_label("", "SectionHint")
        self.summary.setAccessibleName("Queue summary")

        tools = QHBoxLayout()
        for widget in (self.add_files, self.add_folder, self.pause, self.settings, self.export):
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(self.summary)
        tools.addWidget(self.status_filter)
        tools.addWidget(self.filter)

        self.message = MessageBar()
        self.table = QTableView()
        self.table.setAccessibleName("Batch jobs")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.ORDER, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(
            lambda point: self.menu_requested.emit(self.table.viewport().mapToGlobal(point)))
        self.table.doubleClicked.connect(self._double_clicked)
        delegate = ProgressDelegate(colors, self.table)
        self.table.setItemDelegateForColumn(Column.UPLOAD, delegate)
        self.table.setItemDelegateForColumn(Column.PROCESSING, delegate)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.STATUS, QHeaderView.ResizeMode.Stretch)
        for column, width in ((Column.ORDER, 36), (Column.NAME, 220), (Column.DURATION, 66), (Column.ENGINE, 150),
                              (Column.UPLOAD, 96), (Column.PROCESSING, 96), (Column.ELAPSED, 62)):
            header.resizeSection(column, width)
        self.hint = DropHint()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.table)

        self.details = make_label("", "SectionHint", wrap=True)
        self.details.setAccessibleName("The selected job")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_details())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addLayout(tools)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.details)
        self._unsubscribe = board.changes.subscribe(self._board_changed)
        # Elapsed times and processing estimates follow the clock: their columns are repainted once a second
        # while jobs run (the cells ask the model as they are drawn; nothing else changes).
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self._refresh()

    def close_view(self) -> None:
        self._ticker.stop()
        self._unsubscribe()
        self.model.close()

    def _tick(self) -> None:
        if not self.board.count(ACTIVE) or not self.table.isVisible():
            return
        header = self.table.horizontalHeader()
        viewport = self.table.viewport()
        for column in TICKING:
            if not header.isSectionHidden(column):
                viewport.update(QRect(header.sectionViewportPosition(column), 0, header.sectionSize(column),
                                      viewport.height()))

    def _board_changed(self, change: BoardChange) -> None:
        if not change.before and change.kind in ("reset", "inserted", "removed", "changed", "paused"):
            self._refresh()
            self._show_details()

    def _show_details(self) -> None:
        """The current job in full, under the table: its status, error or note, settings and file."""
        job = self.table.currentIndex().data(JOB_ROLE)
        if not isinstance(job, Job):
            self.details.hide()
            return
        status = status_text(job, self.board.paused)
        lines = [f"<b>{escape(job.name)}</b> — {escape(status)}"]
        if job.note:
            lines.append(escape(job.note))
        lines.append(f"{escape(job.settings.describe())} · {escape(job.path)}")
        self.details.setText("<br>".join(lines))
        self.details.show()

    def _refresh(self) -> None:
        self.stack.setCurrentWidget(self.table if len(self.board) else self.hint)
        self.pause.setChecked(self.board.paused)
        self.pause.setText("Resume queue" if self.board.paused else "Pause queue")
        counts = {state.value: number for state, number in self.board.counts.items()}
        parts = [f"{counts[key]} {label}" for key, label in (("done", "done"), ("failed", "failed"))
                 if counts.get(key)]
        running = sum(counts.get(key, 0) for key in ("uploading", "processing", "waiting"))
        if running:
            parts.insert(0, f"{running} running")
        if counts.get("queued"):
            parts.insert(0, f"{counts['queued']} queued")
        self.summary.setText(" · ".join(parts))

    def _double_clicked(self, index: QModelIndex) -> None:
        job = index.data(JOB_ROLE)
        if isinstance(job, Job):
            self.open_requested.emit(job.id)

    # -- selection ----------------------------------------------------------------------------------------
    def selected_jobs(self) -> list[Job]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        jobs = [self.proxy.index(row, 0).data(JOB_ROLE) for row in rows]
        return [job for job in jobs if isinstance(job, Job)]

    def select_job(self, job_id: str) -> None:
        row = self.board.row_of(job_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(index, flags)
            self.table.scrollTo(index)
