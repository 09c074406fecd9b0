"""The results viewer: a finished job's transcript (the shared ``TranscriptView`` in document mode) beside its
audio or video, with the audio-intelligence results and export.

- Click a word or a paragraph's time to play from there; the playing word is highlighted and followed
  (the "Follow" toggle); speed 0.5–2×; Ctrl+Space plays or pauses, Alt+Left / Alt+Right skip 5 s.
- Edit a paragraph in place (double-click or F2; Ctrl+Z / Ctrl+Shift+Z): the words keep their timing, and
  the edited transcript — speaker names included — is saved with the job a moment after each change, so
  every export (from here or from the table) has the edits.
- Export… writes this job with the export dialog's choices (after saving any pending edit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from studio.core.jobs import Job
from studio.core.languages import language_name
from studio.core.transcript import Transcript
from studio.qt.batch.table_model import clock_text
from studio.qt.batch.viewer.insights import InsightsPanel
from studio.qt.context import WorkspaceContext
from studio.qt.media.follow import PlaybackLink
from studio.qt.media.player import MediaPane
from studio.qt.transcript import TranscriptView
from studio.qt.widgets.labels import make_label
from studio.services.batch.export import ExportRequest

SAVE_DELAY_MS = 600
LOW_CONFIDENCE = 0.6
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpeg", ".mpg", ".3gp"})

SaveEdits = Callable[[str, dict[str, Any]], None]
Export = Callable[[list[str], ExportRequest], None]


class ResultsViewer(QWidget):
    closed = Signal()

    def __init__(self, context: WorkspaceContext, save: SaveEdits, export: Export,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BatchResults")
        self.setAccessibleName("Result")
        self.context = context
        self._save = save
        self._export = export
        self.job_id: str | None = None
        self.job: Job | None = None
        self.transcript = Transcript()
        self._unsubscribe: Callable[[], None] = lambda: None
        self._dirty = False

        self.title = make_label("", "")
        self.title.setAccessibleName("Result title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.details = make_label("", "SectionHint")
        self.details.setAccessibleName("Result details")
        self.export_button = QPushButton("Export…")
        self.export_button.setAccessibleName("Export this transcript")
        self.export_button.clicked.connect(self.export)
        self.close_button = QPushButton("Close")
        self.close_button.setAccessibleName("Close the result")
        self.close_button.clicked.connect(self.close_result)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.details, 1)
        header.addWidget(self.export_button)
        header.addWidget(self.close_button)

        self.media = MediaPane()
        self.view = TranscriptView(self.transcript, context.colors, mode="document")
        self.view.set_low_confidence(LOW_CONFIDENCE)
        self.insights = InsightsPanel()
        self.insights.setMinimumWidth(300)
        self.insights.hide()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.media.video)
        side_layout.addWidget(self.insights, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.view)
        self.split.addWidget(side)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self._side = side

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 12)
        layout.addLayout(header)
        layout.addWidget(self.media)
        layout.addWidget(self.split, 1)

        self.view.speak_requested.connect(context.speak_line)
        self.playback = PlaybackLink(self.view, self.media, keys_on=self)  # click to seek, the lit word, keys
        self.insights.seek_requested.connect(self._seek)
        self.media.follow_changed.connect(self._follow)
        self.media.rate_changed.connect(self._rate)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)
        batch = context.state.settings.batch
        self.media.follow.setChecked(batch.follow_playback)
        self.media.set_rate(batch.playback_rate)
        self.view.set_follow_playback(batch.follow_playback)

    # -- showing a job ------------------------------------------------------------------------------------
    def show_result(self, job: Job, document: dict[str, Any]) -> None:
        if self.job_id is not None and self.job_id != job.id:
            self.save_now()
        self._unsubscribe()
        self.job_id, self.job = job.id, job
        self.transcript = Transcript.from_json_v2(document)
        self.view.set_transcript(self.transcript)
        self._unsubscribe = self.transcript.changes.subscribe(lambda _change: self._edited())
        self.title.setText(job.name)
        self.title.setToolTip(job.path)
        language = str((document.get("metadata") or {}).get("transcription_config", {}).get("language")
                       or job.settings.language)
        parts = [clock_text(job.duration or self.transcript.duration), language_name(language), job.engine]
        words = sum(1 for token in self.transcript.all_finals() if not token.is_punctuation)
        parts.append(f"{words} words")
        self.details.setText("  ·  ".join(part for part in parts if part))
        path = Path(job.path)
        self.media.load(path, video=path.suffix.lower() in VIDEO_SUFFIXES)
        self.insights.show_results(self.transcript.extras, self.transcript.metadata)
        self._side.setVisible(self.insights.count() > 0 or self.media.video.isVisible())
        if self._side.isVisibleTo(self):
            width = max(self.split.width(), 900)
            self.split.setSizes([int(width * 0.64), int(width * 0.36)])
        self.view.flush()

    def close_result(self) -> None:
        self.save_now()
        self.media.unload()
        self._unsubscribe()
        self._unsubscribe = lambda: None
        self.job_id = self.job = None
        self.hide()
        self.closed.emit()

    # -- playback -----------------------------------------------------------------------------------------
    def _seek(self, seconds: float) -> None:
        self.playback.seek(seconds)

    def _follow(self, follow: bool) -> None:
        state = self.context.state
        state.save_settings(state.settings.replace(batch=state.settings.batch.replace(follow_playback=follow)))

    def _rate(self, rate: float) -> None:
        state = self.context.state
        if state.settings.batch.playback_rate != rate:
            state.save_settings(state.settings.replace(batch=state.settings.batch.replace(playback_rate=rate)))

    def toggle_play(self) -> None:
        self.media.toggle()

    # -- edits --------------------------------------------------------------------------------------------
    def _edited(self) -> None:
        self._dirty = True
        self._save_timer.start()

    def save_now(self) -> None:
        """Saves a pending edit with the job now (the timer does it a moment after each change)."""
        self._save_timer.stop()
        if self._dirty and self.job_id is not None:
            self._dirty = False
            self._save(self.job_id, self.transcript.to_json_v2())

    # -- the page's actions -------------------------------------------------------------------------------
    def show_find(self) -> None:
        self.view.show_find()

    def export(self) -> None:
        if self.job_id is None:
            return
        from studio.qt.batch.export_dialog import ExportDialog

        self.save_now()
        state = self.context.state
        dialog = ExportDialog(state.settings.batch, 1, self)
        job_id = self.job_id

        def export() -> None:
            request = dialog.request(state.settings.batch)
            state.save_settings(state.settings.replace(batch=dialog.remembered(state.settings.batch)))
            self._export([job_id], request)

        dialog.accepted.connect(export)
        dialog.open()

    def has_focus_within(self) -> bool:
        from PySide6.QtWidgets import QApplication

        focus = QApplication.focusWidget()
        return focus is not None and (focus is self or self.isAncestorOf(focus))

    def restyle(self) -> None:
        self.view.restyle()
