"""The settings of a job (or of the queue's new jobs): language, operating point, diarization, vocabulary,
entities, translation and the audio-intelligence features — and, as they change, what the active engine
cannot do of them (said before anything is submitted)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.core.jobs import JobSettings
from studio.core.languages import LANGUAGES
from studio.qt.widgets.labels import make_label
from studio.services.batch.options import settings_problems
from studio.services.capabilities import Capabilities

DIARIZATION = (("none", "None"), ("speaker", "Speakers (one channel)"), ("channel", "Channels (one per speaker)"))
POINTS = (("standard", "Standard (faster)"), ("enhanced", "Enhanced (more accurate)"))


def _combo(name: str, items: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for value, label in items:
        combo.addItem(label, value)
    return combo


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)


class JobSettingsForm(QWidget):
    """Edits a ``JobSettings``; ``problems`` shows what ``capabilities()`` says the engine cannot do."""

    def __init__(self, settings: JobSettings, capabilities: Callable[[], Capabilities],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._capabilities = capabilities
        languages = [("auto", "Detect automatically"), *sorted(LANGUAGES.items(), key=lambda item: item[1])]
        self.language = _combo("Language", languages)
        self.operating_point = _combo("Operating point", POINTS)
        self.diarization = _combo("Diarization", DIARIZATION)
        self.sensitivity = QDoubleSpinBox()
        self.sensitivity.setAccessibleName("Speaker sensitivity")
        self.sensitivity.setRange(-0.05, 1.0)
        self.sensitivity.setSingleStep(0.05)
        self.sensitivity.setDecimals(2)
        self.sensitivity.setSpecialValueText("The service's default")
        self.sensitivity.setToolTip("Higher finds more speakers; lower merges similar voices.")
        self.vocab = QPlainTextEdit()
        self.vocab.setAccessibleName("Custom vocabulary")
        self.vocab.setPlaceholderText("Names and jargon, one per line")
        self.vocab.setFixedHeight(72)
        self.entities = QCheckBox("Format entities (dates, numbers, money)")
        self.entities.setAccessibleName("Format entities")
        self.translation = QLineEdit()
        self.translation.setAccessibleName("Translate into")
        self.translation.setPlaceholderText("Language codes, e.g. de, fr (at most 5)")
        self.summary = QCheckBox("Summary")
        self.sentiment = QCheckBox("Sentiment")
        self.topics = QCheckBox("Topics")
        self.chapters = QCheckBox("Chapters")
        features = QHBoxLayout()
        for box in (self.summary, self.sentiment, self.topics, self.chapters):
            box.setAccessibleName(box.text())
            features.addWidget(box)
        features.addStretch(1)
        self.problems = make_label("", "SectionHint", wrap=True)
        self.problems.setAccessibleName("What the engine cannot do")

        form = QFormLayout(self)
        form.addRow("Language", self.language)
        form.addRow("Operating point", self.operating_point)
        form.addRow("Diarization", self.diarization)
        form.addRow("Speaker sensitivity", self.sensitivity)
        form.addRow("Custom vocabulary", self.vocab)
        form.addRow("", self.entities)
        form.addRow("Translate into", self.translation)
        form.addRow("Audio intelligence", features)
        form.addRow(self.problems)
        self.set_settings(settings)
        for combo in (self.language, self.operating_point, self.diarization):
            combo.currentIndexChanged.connect(self._changed)
        for box in (self.summary, self.sentiment, self.topics, self.chapters, self.entities):
            box.toggled.connect(self._changed)
        self.translation.textChanged.connect(self._changed)

    def set_settings(self, settings: JobSettings) -> None:
        _select(self.language, settings.language)
        _select(self.operating_point, settings.operating_point)
        _select(self.diarization, settings.diarization)
        self.sensitivity.setValue(settings.speaker_sensitivity if settings.speaker_sensitivity is not None else -0.05)
        self.vocab.setPlainText("\n".join(settings.vocab))
        self.entities.setChecked(settings.entities)
        self.translation.setText(", ".join(settings.translation))
        for box, on in ((self.summary, settings.summary), (self.sentiment, settings.sentiment),
                        (self.topics, settings.topics), (self.chapters, settings.chapters)):
            box.setChecked(on)
        self._changed()

    def settings(self) -> JobSettings:
        sensitivity = self.sensitivity.value()
        targets = [code.strip() for code in self.translation.text().replace(";", ",").split(",") if code.strip()]
        return JobSettings(
            language=str(self.language.currentData()), operating_point=str(self.operating_point.currentData()),
            diarization=str(self.diarization.currentData()),
            speaker_sensitivity=round(sensitivity, 2) if sensitivity >= 0 else None,
            vocab=tuple(line.strip() for line in self.vocab.toPlainText().splitlines() if line.strip()),
            entities=self.entities.isChecked(), translation=tuple(targets[:5]), summary=self.summary.isChecked(),
            sentiment=self.sentiment.isChecked(), topics=self.topics.isChecked(), chapters=self.chapters.isChecked())

    def problem_lines(self) -> list[str]:
        problems = settings_problems(self._capabilities(), self.settings())
        if len([c for c in self.translation.text().split(",") if c.strip()]) > 5:
            problems.append("At most 5 translation languages: only the first 5 will be used.")
        return problems

    def _changed(self) -> None:
        self.sensitivity.setEnabled(self.diarization.currentData() == "speaker")
        problems = self.problem_lines()
        self.problems.setText(" ".join(problems))
        self.problems.setVisible(bool(problems))


class JobSettingsDialog(QDialog):
    """Settings for the selected queued jobs."""

    def __init__(self, settings: JobSettings, capabilities: Callable[[], Capabilities], count: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Settings of {count} job{'s' if count != 1 else ''}")
        self.form = JobSettingsForm(settings, capabilities)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(make_label("Jobs that are already being sent keep their settings.", "SectionHint", wrap=True))
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
