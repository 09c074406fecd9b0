"""Export the session's transcript to every format the exporters have, with their options.

The dialog picks the formats (TXT, SRT, VTT, JSON, DOCX — ``studio.core.exporters.FORMATS``), the folder and
the file name, the subtitle options (characters a line, lines a cue, longest cue, how speakers are named)
and the text options (timestamps, speaker names, paragraphs). Files are written off the GUI thread from a
``snapshot`` of the transcript taken when Export is pressed, so the session may go on meanwhile; an existing
file is only replaced after asking; a failure is said in the dialog in plain words and the dialog stays
open with every choice kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.exporters import FORMATS, DocxOptions, JsonOptions, Options, SubtitleOptions, TextOptions, export
from studio.core.transcript import Track, Transcript
from studio.qt.widgets.labels import make_label, set_role
from studio.services.advice import explain

if TYPE_CHECKING:
    from studio.qt.bridge import AsyncBridge

FORMAT_LABELS = {"txt": "Plain text (.txt)", "srt": "SubRip subtitles (.srt)", "vtt": "WebVTT subtitles (.vtt)",
                 "json": "JSON, Speechmatics json-v2 (.json)", "docx": "Word document (.docx)"}
SPEAKER_STYLES = {"voice": "Voice tags (VTT) / name prefix (SRT)", "prefix": "Name prefix", "none": "No names"}


def snapshot(transcript: Transcript) -> Transcript:
    """A copy of ``transcript``'s finals, speakers, bookmarks and translations that another thread may read
    while the original goes on changing (tokens are immutable; only the lists are copied)."""
    copy = Transcript(transcript.language, transcript.word_delimiter, transcript.writing_direction)
    for channel, track in transcript.tracks.items():
        copy.tracks[channel] = Track(list(track.finals), [], track.final_end, list(track.utterance_ends))
    for speaker in transcript.speakers:
        twin = copy.speakers.get(speaker.key)
        twin.name = speaker.name
    copy.translations = {language: list(s) for language, s in transcript.translations.items()}
    copy.extras = dict(transcript.extras)
    copy.metadata = dict(transcript.metadata)
    copy.bookmarks = list(transcript.bookmarks)
    return copy


@dataclass(frozen=True)
class ExportJob:
    fmt: str
    path: Path
    options: Options


def write_all(transcript: Transcript, jobs: Sequence[ExportJob]) -> list[Path]:
    """Writes every job (in a worker thread); each file appears whole or not at all."""
    written = []
    for job in jobs:
        data = export(transcript, job.fmt, job.options)
        job.path.parent.mkdir(parents=True, exist_ok=True)
        partial = job.path.with_name(job.path.name + ".part")
        partial.write_bytes(data)
        partial.replace(job.path)
        written.append(job.path)
    return written


class ExportDialog(QDialog):
    #: The files written, once they are.
    exported = Signal(list)

    def __init__(self, transcript: Transcript, bridge: Callable[[], AsyncBridge], *, folder: Path, name: str,
                 local: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the transcript")
        self.setAccessibleName("Export the transcript")
        self.setMinimumWidth(520)
        self._transcript = transcript
        self._bridge = bridge
        self._local = local
        self.written: list[Path] = []

        self.format_boxes: dict[str, QCheckBox] = {}
        formats = QGroupBox("Formats")
        column = QVBoxLayout(formats)
        for fmt in FORMATS:
            box = QCheckBox(FORMAT_LABELS.get(fmt, fmt.upper()))
            box.setAccessibleName(FORMAT_LABELS.get(fmt, fmt))
            box.setChecked(fmt in ("txt", "srt"))
            box.toggled.connect(self._update)
            column.addWidget(box)
            self.format_boxes[fmt] = box

        self.folder = QLineEdit(str(folder))
        self.folder.setAccessibleName("Folder")
        browse = QPushButton("Choose…")
        browse.setAccessibleName("Choose the folder")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.name = QLineEdit(name)
        self.name.setAccessibleName("File name")
        self.name.textChanged.connect(self._update)
        where = QFormLayout()
        where.addRow("Folder", folder_row)
        where.addRow("File name", self.name)

        self.chars = QSpinBox()
        self.chars.setRange(20, 80)
        self.chars.setValue(42)
        self.chars.setAccessibleName("Characters a line")
        self.lines = QSpinBox()
        self.lines.setRange(1, 3)
        self.lines.setValue(2)
        self.lines.setAccessibleName("Lines a cue")
        self.duration = QDoubleSpinBox()
        self.duration.setRange(1.0, 12.0)
        self.duration.setValue(7.0)
        self.duration.setSuffix(" s")
        self.duration.setAccessibleName("Longest cue")
        self.speaker_style = QComboBox()
        for value, label in SPEAKER_STYLES.items():
            self.speaker_style.addItem(label, value)
        self.speaker_style.setAccessibleName("Speaker names in subtitles")
        self.subtitles = QGroupBox("Subtitles (SRT, VTT)")
        sub_form = QFormLayout(self.subtitles)
        sub_form.addRow("Characters a line", self.chars)
        sub_form.addRow("Lines a cue", self.lines)
        sub_form.addRow("Longest cue", self.duration)
        sub_form.addRow("Speakers", self.speaker_style)

        self.timestamps = QCheckBox("Timestamps")
        self.timestamps.setAccessibleName("Timestamps in text")
        self.speakers = QCheckBox("Speaker names")
        self.speakers.setChecked(True)
        self.speakers.setAccessibleName("Speaker names in text")
        self.paragraphs = QCheckBox("Paragraphs (else one line a sentence)")
        self.paragraphs.setChecked(True)
        self.paragraphs.setAccessibleName("Paragraphs")
        self.text_options = QGroupBox("Text (TXT, DOCX)")
        text_column = QVBoxLayout(self.text_options)
        for box in (self.timestamps, self.speakers, self.paragraphs):
            text_column.addWidget(box)

        self.status = make_label("", "SectionHint", wrap=True)
        self.status.setAccessibleName("Export status")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setAccessibleName("Export")
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)

        options = QHBoxLayout()
        options.addWidget(self.subtitles)
        options.addWidget(self.text_options)
        layout = QVBoxLayout(self)
        layout.addWidget(formats)
        layout.addLayout(where)
        layout.addLayout(options)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._update()

    # -- choices ------------------------------------------------------------------------------------------
    def formats(self) -> list[str]:
        return [fmt for fmt, box in self.format_boxes.items() if box.isChecked()]

    def jobs(self) -> list[ExportJob]:
        folder = Path(self.folder.text().strip()).expanduser()
        stem = self.name.text().strip()
        subtitle = SubtitleOptions(max_chars_per_line=self.chars.value(), max_lines=self.lines.value(),
                                   max_duration=self.duration.value(),
                                   min_duration=min(1.0, self.duration.value()),
                                   speaker_style=self.speaker_style.currentData())
        text = TextOptions(timestamps=self.timestamps.isChecked(), speakers=self.speakers.isChecked(),
                           paragraphs=self.paragraphs.isChecked())
        docx = DocxOptions(timestamps=self.timestamps.isChecked(), speakers=self.speakers.isChecked(),
                           paragraphs=self.paragraphs.isChecked(), title=stem or "Transcript")
        options: dict[str, Options] = {"txt": text, "srt": subtitle, "vtt": subtitle, "json": JsonOptions(),
                                       "docx": docx}
        return [ExportJob(fmt, folder / f"{stem}.{fmt}", options[fmt]) for fmt in self.formats()]

    def _update(self) -> None:
        chosen = set(self.formats())
        self.subtitles.setEnabled(bool(chosen & {"srt", "vtt"}))
        self.text_options.setEnabled(bool(chosen & {"txt", "docx"}))
        self.export_button.setEnabled(bool(chosen) and bool(self.name.text().strip()))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        set_role(self.status, "ErrorText" if error else "SectionHint")

    # -- exporting ----------------------------------------------------------------------------------------
    def start_export(self, *, confirm_overwrite: bool = True) -> None:
        jobs = self.jobs()
        if not jobs:
            return
        if not self.folder.text().strip():
            self._say("Choose a folder to export to.", error=True)
            return
        existing = [job.path.name for job in jobs if job.path.exists()]
        if existing and confirm_overwrite:
            answer = QMessageBox.question(self, "Replace files?",
                                          f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} "
                                          "in that folder. Replace?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.export_button.setEnabled(False)
        self._say("Exporting…")
        copy = snapshot(self._transcript)
        self._bridge().submit(asyncio.to_thread(write_all, copy, jobs), on_result=self._done,
                              on_error=self._failed, owner=self)

    def _done(self, written: list[Path]) -> None:
        self.written = written
        self._update()
        names = ", ".join(path.name for path in written)
        self._say(f"Wrote {names} to {written[0].parent}." if written else "Nothing was written.")
        self.exported.emit(written)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._update()
        self._say(explain(error, local=self._local) + " Nothing you chose was lost; try another folder.", error=True)
