"""Batch settings, kept in the workspace: defaults for new jobs, the queue (uploads at a time, a watch folder,
auto-export with a file-name template) and the subtitle options of exports. Saved to ``settings.batch``."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.exporters import FORMATS
from studio.core.settings import BatchSettings, Settings
from studio.qt.batch.job_settings import JobSettingsForm
from studio.qt.widgets.labels import make_label, set_role
from studio.services.app_state import AppState
from studio.services.batch.export import FIELDS, NameTemplate
from studio.services.batch.options import defaults_from, with_defaults


def folder_row(edit: QLineEdit, title: str, parent: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    browse = QPushButton("Choose…")
    browse.setAccessibleName(f"Choose the {title.lower()}")

    def choose() -> None:
        folder = QFileDialog.getExistingDirectory(parent, title, edit.text())
        if folder:
            edit.setText(folder)

    browse.clicked.connect(choose)
    row.addWidget(browse)
    return row


class SubtitleFields:
    """Characters per line, lines, cue duration and reading speed (shared with the export dialog)."""

    def __init__(self, batch: BatchSettings) -> None:
        self.chars = QSpinBox()
        self.chars.setRange(10, 100)
        self.chars.setValue(batch.max_chars_per_line)
        self.chars.setAccessibleName("Characters per line")
        self.lines = QSpinBox()
        self.lines.setRange(1, 4)
        self.lines.setValue(batch.max_lines)
        self.lines.setAccessibleName("Lines per subtitle")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(1.0, 20.0)
        self.duration.setSuffix(" s")
        self.duration.setValue(batch.max_cue_seconds)
        self.duration.setAccessibleName("Longest subtitle")
        self.cps = QDoubleSpinBox()
        self.cps.setRange(5.0, 40.0)
        self.cps.setValue(batch.max_cps)
        self.cps.setAccessibleName("Characters per second")

    def add_to(self, form: QFormLayout) -> None:
        form.addRow("Characters per line", self.chars)
        form.addRow("Lines per subtitle", self.lines)
        form.addRow("Longest subtitle", self.duration)
        form.addRow("Reading speed (characters a second)", self.cps)

    def apply(self, batch: BatchSettings) -> BatchSettings:
        return batch.replace(max_chars_per_line=self.chars.value(), max_lines=self.lines.value(),
                             max_cue_seconds=self.duration.value(), max_cps=self.cps.value())


class QueueSettingsDialog(QDialog):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch settings")
        self._state = state
        settings = state.settings
        batch = settings.batch
        tabs = QTabWidget()
        tabs.setAccessibleName("Batch settings")

        self.job_form = JobSettingsForm(defaults_from(settings), lambda: state.capabilities)
        jobs_page = QWidget()
        jobs_layout = QVBoxLayout(jobs_page)
        jobs_layout.addWidget(make_label("New jobs start with these settings; change a queued job's own "
                                         "settings from its menu.", "SectionHint", wrap=True))
        jobs_layout.addWidget(self.job_form)
        tabs.addTab(jobs_page, "New jobs")

        queue_page = QWidget()
        form = QFormLayout(queue_page)
        self.concurrency = QSpinBox()
        self.concurrency.setRange(1, 16)
        self.concurrency.setValue(batch.concurrency)
        self.concurrency.setAccessibleName("Uploads at a time")
        form.addRow("Uploads at a time", self.concurrency)
        self.watch = QLineEdit(batch.watch_folder)
        self.watch.setAccessibleName("Watch folder")
        self.watch.setPlaceholderText("None — new files in this folder join the queue")
        form.addRow("Watch folder", folder_row(self.watch, "Watch folder", self))
        self.auto_export = QCheckBox("Export every finished job")
        self.auto_export.setAccessibleName("Export every finished job")
        self.auto_export.setChecked(batch.auto_export)
        form.addRow("", self.auto_export)
        self.folder = QLineEdit(batch.export_folder)
        self.folder.setAccessibleName("Export folder")
        self.folder.setPlaceholderText("Next to each recording")
        form.addRow("Export to", folder_row(self.folder, "Export folder", self))
        self.template = QLineEdit(batch.export_template)
        self.template.setAccessibleName("File-name template")
        self.template.setToolTip("Fields: " + ", ".join(f"{{{name}}}" for name in FIELDS))
        form.addRow("File names", self.template)
        self.template_note = make_label("Fields: " + " ".join(f"{{{name}}}" for name in FIELDS), "SectionHint",
                                        wrap=True)
        form.addRow("", self.template_note)
        formats = QHBoxLayout()
        self.formats: dict[str, QCheckBox] = {}
        for fmt in FORMATS:
            box = QCheckBox(fmt.upper())
            box.setAccessibleName(f"Export {fmt.upper()}")
            box.setChecked(fmt in batch.export_formats)
            self.formats[fmt] = box
            formats.addWidget(box)
        form.addRow("Formats", formats)
        tabs.addTab(queue_page, "Queue")

        subtitles_page = QWidget()
        subtitles_form = QFormLayout(subtitles_page)
        self.subtitles = SubtitleFields(batch)
        self.subtitles.add_to(subtitles_form)
        tabs.addTab(subtitles_page, "Subtitles")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.template.textChanged.connect(self._check_template)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def _check_template(self) -> None:
        try:
            NameTemplate(self.template.text())
        except ValueError as exc:
            self.template_note.setText(str(exc))
            set_role(self.template_note, "ErrorText")
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            return
        self.template_note.setText("Fields: " + " ".join(f"{{{name}}}" for name in FIELDS))
        set_role(self.template_note, "SectionHint")
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    def updated(self) -> Settings:
        settings = with_defaults(self._state.settings, self.job_form.settings())
        batch = settings.batch.replace(
            concurrency=self.concurrency.value(), watch_folder=self.watch.text().strip(),
            auto_export=self.auto_export.isChecked(), export_folder=self.folder.text().strip(),
            export_template=self.template.text().strip() or "{name}",
            export_formats=tuple(fmt for fmt, box in self.formats.items() if box.isChecked()) or ("srt",))
        return settings.replace(batch=self.subtitles.apply(batch))

    def accept(self) -> None:
        self._state.save_settings(self.updated())
        super().accept()
