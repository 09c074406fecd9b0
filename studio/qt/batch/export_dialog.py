"""Export one or many finished jobs: formats, where, a file-name template, and the subtitle and text options."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio.core.exporters import FORMATS, TextOptions
from studio.core.settings import BatchSettings
from studio.qt.batch.queue_settings import SubtitleFields, folder_row
from studio.qt.widgets.labels import make_label, set_role
from studio.services.batch.export import FIELDS, ExportOptions, ExportRequest, NameTemplate
from studio.services.batch.options import subtitle_options


class ExportDialog(QDialog):
    def __init__(self, batch: BatchSettings, count: int, parent: QWidget | None = None,
                 folder: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {count} transcript{'s' if count != 1 else ''}")
        form = QFormLayout()
        formats = QHBoxLayout()
        self.formats: dict[str, QCheckBox] = {}
        for fmt in FORMATS:
            box = QCheckBox(fmt.upper())
            box.setAccessibleName(f"Export {fmt.upper()}")
            box.setChecked(fmt in batch.export_formats)
            box.toggled.connect(self._check)
            self.formats[fmt] = box
            formats.addWidget(box)
        form.addRow("Formats", formats)
        self.folder = QLineEdit(folder or batch.export_folder)
        self.folder.setAccessibleName("Export folder")
        self.folder.setPlaceholderText("Next to each recording")
        form.addRow("Export to", folder_row(self.folder, "Export folder", self))
        self.template = QLineEdit(batch.export_template)
        self.template.setAccessibleName("File-name template")
        self.template.textChanged.connect(self._check)
        form.addRow("File names", self.template)
        self.note = make_label("", "SectionHint", wrap=True)
        form.addRow("", self.note)
        self.subtitles = SubtitleFields(batch)
        self.subtitles.add_to(form)
        self.timestamps = QCheckBox("Timestamps in TXT and DOCX")
        self.timestamps.setAccessibleName("Timestamps in TXT and DOCX")
        self.speakers = QCheckBox("Speaker names in TXT and DOCX")
        self.speakers.setAccessibleName("Speaker names in TXT and DOCX")
        self.speakers.setChecked(True)
        form.addRow("", self.timestamps)
        form.addRow("", self.speakers)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setAccessibleName("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self._check()

    def _check(self) -> None:
        problem = ""
        try:
            NameTemplate(self.template.text())
        except ValueError as exc:
            problem = str(exc)
        if not any(box.isChecked() for box in self.formats.values()):
            problem = problem or "Choose at least one format."
        self.note.setText(problem or "Fields: " + " ".join(f"{{{name}}}" for name in FIELDS))
        set_role(self.note, "ErrorText" if problem else "SectionHint")
        self.export_button.setEnabled(not problem)

    def request(self, batch: BatchSettings) -> ExportRequest:
        subtitles = subtitle_options(self.subtitles.apply(batch))
        text = TextOptions(timestamps=self.timestamps.isChecked(), speakers=self.speakers.isChecked())
        folder = self.folder.text().strip()
        return ExportRequest(tuple(fmt for fmt, box in self.formats.items() if box.isChecked()),
                             Path(folder).expanduser() if folder else None, NameTemplate(self.template.text()),
                             ExportOptions(subtitles=subtitles, text=text))

    def remembered(self, batch: BatchSettings) -> BatchSettings:
        """The choices to keep for next time."""
        return self.subtitles.apply(batch).replace(
            export_formats=tuple(fmt for fmt, box in self.formats.items() if box.isChecked()),
            export_folder=self.folder.text().strip(), export_template=self.template.text().strip() or "{name}")
