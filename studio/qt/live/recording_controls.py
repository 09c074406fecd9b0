"""The Live side panel's "Recording" settings: whether sessions are recorded, and the live text file.

- **Record each session** (``record_sessions``): audio and every final kept on disk as the session runs, so
  a crash loses nothing; listed in Recorded sessions.
- **Live text file** (``live_text_file``, "" = off), for OBS's "Read from file" text source or any app that
  reads a file: **Every final, appended** (``live_text_mode`` "transcript") or **The last lines**
  ("captions", ``live_text_lines`` of them, partial words included).

Changes apply from the next Start (the running session keeps what it started with). A file in a folder that
does not exist is refused where the user is looking, and nothing is saved until it is fixed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio.qt.widgets.labels import make_label, set_role

MODES = {"transcript": "Every final, appended", "captions": "The last lines (captions)"}
MAX_LINES = 10


class RecordingControls(QGroupBox):
    #: LiveSettings fields to save.
    changed = Signal(dict)

    def __init__(self, record: bool, live_text_file: str, mode: str, lines: int,
                 parent: QWidget | None = None) -> None:
        super().__init__("Recording", parent)
        self.setAccessibleName("Recording settings")
        self.record = QCheckBox("Record each session (audio and words)")
        self.record.setAccessibleName("Record each session")
        self.record.setToolTip("Kept on disk as it runs, so a crash loses nothing; see Recorded sessions (Ctrl+L)")
        self.record.setChecked(record)
        self.file = QLineEdit(live_text_file)
        self.file.setAccessibleName("Live text file")
        self.file.setPlaceholderText("Off")
        self.file.setClearButtonEnabled(True)
        self.file.setToolTip("A text file the captions are written to as they arrive — for OBS's “Read from "
                             "file” text source, or any app that reads a file. Empty: off.")
        self.choose = QPushButton("Choose…")
        self.choose.setAccessibleName("Choose the live text file")
        self.choose.clicked.connect(self._choose)
        self.mode = QComboBox()
        self.mode.setAccessibleName("What the live text file holds")
        for value, label in MODES.items():
            self.mode.addItem(label, value)
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))
        self.lines = QSpinBox()
        self.lines.setRange(1, MAX_LINES)
        self.lines.setValue(min(MAX_LINES, max(1, lines)))
        self.lines.setAccessibleName("Lines in the live text file")
        self.lines.setToolTip("How many caption lines the file keeps (up to 42 characters each)")
        self.hint = make_label("Used from the next Start.", "SectionHint", wrap=True)
        self.hint.setAccessibleName("About the live text file")
        file_row = QHBoxLayout()
        file_row.setContentsMargins(0, 0, 0, 0)
        file_row.addWidget(self.file, 1)
        file_row.addWidget(self.choose)
        form = QFormLayout(self)
        form.addRow(self.record)
        form.addRow("Live text file", file_row)
        form.addRow("It holds", self.mode)
        form.addRow("Lines", self.lines)
        form.addRow(self.hint)
        self.record.toggled.connect(lambda on: self.changed.emit({"record_sessions": on}))
        self.file.editingFinished.connect(self._file_edited)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.lines.valueChanged.connect(lambda value: self.changed.emit({"live_text_lines": int(value)}))
        self._saved_file = live_text_file
        self._enable()

    def _enable(self) -> None:
        on = bool(self.file.text().strip())
        self.mode.setEnabled(on)
        self.lines.setEnabled(on and self.mode.currentData() == "captions")

    def _choose(self) -> None:
        start = self.file.text().strip() or str(Path.home() / "live-captions.txt")
        path, _filter = QFileDialog.getSaveFileName(self, "Write the live captions to", start,
                                                    "Text files (*.txt);;All files (*)")
        if path:
            self.file.setText(path)
            self._file_edited()

    def _file_edited(self) -> None:
        text = self.file.text().strip()
        self._enable()
        if text == self._saved_file:
            return
        if text:
            folder = Path(text).expanduser().parent
            if not folder.is_dir():
                self._say(f"The folder {folder} does not exist; choose a file in a folder that does.", error=True)
                return
            if Path(text).expanduser().is_dir():
                self._say("That is a folder; choose a file name for the captions.", error=True)
                return
        self._saved_file = text
        self._say("Used from the next Start." if text else "No live text file.")
        self.changed.emit({"live_text_file": text})

    def _mode_changed(self) -> None:
        self._enable()
        self.changed.emit({"live_text_mode": str(self.mode.currentData())})

    def _say(self, text: str, error: bool = False) -> None:
        self.hint.setText(text)
        set_role(self.hint, "ErrorText" if error else "SectionHint")
