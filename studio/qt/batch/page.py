"""The Batch workspace page: the job queue (drop files or folders anywhere on it) above the results viewer.

Built the first time the workspace is shown (``studio.qt.workspaces``). The queue itself lives in the batch
service on the bridge's loop (``studio.qt.batch.runtime``); this page shows its GUI-thread copy and sends the
user's commands to it. The results viewer, with QtMultimedia, is imported when the first result opens.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QSplitter, QVBoxLayout, QWidget

from studio.core.jobs import JobState
from studio.qt.batch.actions import actions_for, build_menu, move_target, reveal
from studio.qt.batch.queue_view import QueueView
from studio.qt.batch.runtime import runtime_for
from studio.qt.context import WorkspaceContext
from studio.qt.workspaces import WorkspaceSpec
from studio.services.batch.board import BoardChange
from studio.services.batch.export import ExportReport, ExportRequest, describe
from studio.services.batch.inputs import MEDIA_SUFFIXES
from studio.services.batch.options import defaults_from, settings_problems
from studio.services.batch.service import AddReport, BatchService

if TYPE_CHECKING:
    from studio.qt.batch.viewer.results import ResultsViewer

log = logging.getLogger(__name__)

MEDIA_FILTER = "Audio and video ({})".format(" ".join(f"*{suffix}" for suffix in sorted(MEDIA_SUFFIXES)))


class BatchPage(QWidget):
    def __init__(self, context: WorkspaceContext, spec: WorkspaceSpec) -> None:
        super().__init__()
        self.context = context
        self.spec = spec
        self.setObjectName("workspace-batch")
        self.setAccessibleName("Batch transcription")
        self.runtime = runtime_for(context)
        self.runtime.start()
        self.queue = QueueView(self.runtime.board, context.colors)
        self.viewer: ResultsViewer | None = None
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.queue)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.setAcceptDrops(True)

        self.queue.add_files_requested.connect(self.choose_files)
        self.queue.add_folder_requested.connect(self.choose_folder)
        self.queue.pause_requested.connect(self.toggle_pause)
        self.queue.settings_requested.connect(self.open_settings)
        self.queue.export_requested.connect(lambda: self.export_jobs(self._exportable()))
        self.queue.open_requested.connect(self.open_result)
        self.queue.menu_requested.connect(self._menu)
        self._unsubscribe = self.runtime.board.changes.subscribe(self._board_changed)
        for keys, slot in ((QKeySequence.StandardKey.Delete, lambda: self._act("remove")),
                           (Qt.Key.Key_Return, lambda: self._act("open"))):
            shortcut = QShortcut(QKeySequence(keys), self.queue.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        if self.runtime.error:
            self.queue.message.show_message(self.runtime.error, error=True)

    # -- the workspace's actions ------------------------------------------------------------------------
    def trigger(self, action: str) -> None:
        if action == "add_files":
            self.choose_files()
        elif action == "add_folder":
            self.choose_folder()
        elif action == "pause_queue":
            self.toggle_pause()
        elif action == "export":
            if self.viewer is not None and self.viewer.isVisible() and self.viewer.has_focus_within():
                self.viewer.export()
            else:
                self.export_jobs(self._exportable())
        elif action == "find":
            if self.viewer is not None and self.viewer.isVisible():
                self.viewer.show_find()
            else:
                self.queue.filter.setFocus()
                self.queue.filter.selectAll()

    def restyle(self, color: QColor) -> None:
        if self.viewer is not None:
            self.viewer.restyle()
        self.queue.table.viewport().update()

    def add_files(self, paths: list[Path]) -> None:
        """Adds files or folders to the queue (also what other workspaces call)."""
        if not paths:
            return
        settings = defaults_from(self.context.state.settings)
        problems = settings_problems(self.context.state.capabilities, settings)

        def added(report: AddReport) -> None:
            lines = [report.describe()] if report.describe() else []
            if report.refused:
                lines.append(f"{report.refused} file{'s' if report.refused != 1 else ''} cannot be transcribed; "
                             "each row says why.")
            if report.added and problems:
                lines.append("Before these are sent: " + " ".join(problems))
            self.queue.message.show_message(" ".join(lines))
            if report.added:
                self.context.notify(f"Added {report.added} file{'s' if report.added != 1 else ''} to the queue.")

        self.runtime.run(lambda service: service.add_paths(paths, settings), on_result=added)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files to the queue", "",
                                                f"{MEDIA_FILTER};;All files (*)")
        self.add_files([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to the queue (and its sub-folders)")
        if folder:
            self.add_files([Path(folder)])

    def toggle_pause(self) -> None:
        paused = not self.runtime.board.paused
        self.runtime.run(lambda service: service.set_paused(paused))
        self.context.notify("The queue is paused: jobs being sent carry on, new ones wait." if paused
                            else "The queue goes on.")

    def open_settings(self) -> None:
        from studio.qt.batch.queue_settings import QueueSettingsDialog

        QueueSettingsDialog(self.context.state, self).open()

    def _board_changed(self, change: BoardChange) -> None:
        if change.kind == "problem":
            problem = self.runtime.board.problem
            self.queue.message.show_message(f"Nothing can be sent: {problem}" if problem else "", error=True)

    # -- drag and drop ------------------------------------------------------------------------------------
    @staticmethod
    def _paths(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[Path]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if self._paths(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = self._paths(event)
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    # -- the selection's actions --------------------------------------------------------------------------
    def _menu(self, position: QPoint) -> None:
        jobs = self.queue.selected_jobs()
        items = actions_for(jobs, in_queue_order=self.queue.proxy.in_queue_order,
                            queue_size=len(self.runtime.board))
        if items:
            build_menu(self, items, self._act).popup(position)

    def _act(self, action: str) -> None:
        jobs = self.queue.selected_jobs()
        if not jobs:
            return
        ids = [job.id for job in jobs]
        run = self.runtime.run
        if action == "open" and jobs[0].has_result:
            self.open_result(jobs[0].id)
        elif action == "export":
            self.export_jobs([job.id for job in jobs if job.has_result])
        elif action == "cancel":
            run(lambda service: service.cancel(ids))
        elif action == "retry":
            run(lambda service: service.retry(ids))
        elif action == "remove":
            if self.viewer is not None and self.viewer.job_id in ids:
                self.viewer.close_result()
            run(lambda service: service.remove(ids))
        elif action in ("top", "up", "down", "bottom"):
            order = [job.id for job in self.runtime.board.jobs]
            index = move_target(jobs, order, action)
            run(lambda service: service.move(ids, index))
        elif action == "settings":
            self._edit_settings(jobs)
        elif action == "reveal_output" and jobs[0].outputs:
            reveal(Path(jobs[0].outputs[0]))
        elif action == "reveal_media":
            reveal(Path(jobs[0].path))

    def _edit_settings(self, jobs: list[Any]) -> None:
        from studio.qt.batch.job_settings import JobSettingsDialog

        queued = [job for job in jobs if job.state is JobState.QUEUED]
        if not queued:
            return
        dialog = JobSettingsDialog(queued[0].settings, lambda: self.context.state.capabilities, len(queued), self)
        ids = [job.id for job in queued]

        def save() -> None:
            settings = dialog.form.settings()
            self.runtime.run(lambda service: service.update_settings(ids, settings))

        dialog.accepted.connect(save)
        dialog.open()

    def _exportable(self) -> list[str]:
        selected = [job.id for job in self.queue.selected_jobs() if job.has_result]
        return selected or [job.id for job in self.runtime.board.jobs if job.has_result]

    def export_jobs(self, ids: list[str]) -> None:
        if not ids:
            self.queue.message.show_message("There is nothing to export yet: no job has finished.")
            return
        from studio.qt.batch.export_dialog import ExportDialog

        state = self.context.state
        dialog = ExportDialog(state.settings.batch, len(ids), self)

        def export() -> None:
            request = dialog.request(state.settings.batch)
            state.save_settings(state.settings.replace(batch=dialog.remembered(state.settings.batch)))
            self.run_export(ids, request)

        dialog.accepted.connect(export)
        dialog.open()

    def run_export(self, ids: list[str], request: ExportRequest) -> None:
        def done(report: ExportReport) -> None:
            text = describe(report, request.folder, request.formats)
            self.context.notify(text)
            self.queue.message.show_message(text, error=bool(report.failed))

        self.runtime.run(lambda service: service.export(ids, request), on_result=done)

    # -- results ------------------------------------------------------------------------------------------
    def open_result(self, job_id: str) -> None:
        job = self.runtime.board.get(job_id)
        if job is None or not job.has_result:
            return
        viewer = self._viewer()

        def show(document: dict[str, Any] | None) -> None:
            current = self.runtime.board.get(job_id)
            if document is None or current is None:
                self.queue.message.show_message(f"The transcript of {job.name} could not be read.", error=True)
                return
            viewer.show_result(current, document)
            viewer.show()
            if self.splitter.sizes()[1] < 200:
                total = sum(self.splitter.sizes())
                self.splitter.setSizes([int(total * 0.35), int(total * 0.65)])

        self.runtime.run(lambda service: service.result(job_id), on_result=show)

    def _viewer(self) -> ResultsViewer:
        if self.viewer is None:
            from studio.qt.batch.viewer.results import ResultsViewer

            self.viewer = ResultsViewer(self.context, self._save_edits, self.run_export)
            self.viewer.closed.connect(lambda: self.viewer.hide() if self.viewer is not None else None)
            self.splitter.addWidget(self.viewer)
        return self.viewer

    def _save_edits(self, job_id: str, document: dict[str, Any]) -> None:
        async def save(service: BatchService) -> None:
            await service.save_result(job_id, document)

        self.runtime.run(save)
