"""The session settings panel: language, operating point, delay, partials, speakers, custom words, entities,
translation and end of utterance, as one ``LiveConfig``.

``config()`` is what the controls say now; ``changed(config)`` is emitted on every edit (the page keeps it
in the settings and says what the engine cannot do). ``set_running(True)`` greys out what the protocol does
not let a running session change, each with ``LiveConfig.why_fixed`` as its tooltip; what it does allow
(delay, partials, end of utterance) stays editable and is sent with SetRecognitionConfig by the page.
``set_sources(kind)`` explains how speakers are labelled with "Microphone + system audio".
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.api.config import VocabEntry
from studio.core.languages import LANGUAGES
from studio.qt.live.word_lists import TranslationDialog, VocabDialog
from studio.qt.widgets.labels import make_label
from studio.services.live import LiveConfig

DIARIZATION_LABELS = {"none": "One speaker (no labels)", "speaker": "Tell speakers apart",
                      "channel": "Label by source (Me / Them)"}
OPERATING_POINT_LABELS = {"standard": "Standard (faster)", "enhanced": "Enhanced (more accurate)"}

_TOOLTIPS = {
    "enable_entities": "Numbers, dates, amounts and the like are written as such (“£10”, “2 May”).",
    "max_delay": "How long the service may wait for more audio before a word is final: longer is more "
                 "accurate, shorter is sooner. Can change during a session.",
    "enable_partials": "Words appear as they are heard, then settle. Can change during a session.",
    "speaker_sensitivity": "Higher finds more speakers; lower merges similar voices.",
    "end_of_utterance_silence": "Mark the end of each utterance after this much silence. Can change "
                                "during a session.",
}


def _spin(low: float, high: float, step: float, suffix: str, decimals: int = 1) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    return spin


class SessionSettingsPanel(QWidget):
    changed = Signal(object)  # LiveConfig

    def __init__(self, config: LiveConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SessionSettings")
        self.setAccessibleName("Session settings")
        self._vocab: tuple[VocabEntry, ...] = config.vocab
        self._targets: tuple[str, ...] = config.translation_targets
        self._kind = "mic"
        self._running = False
        self._loading = True

        self.language = QComboBox()
        for code in sorted(LANGUAGES, key=lambda c: LANGUAGES[c]):
            self.language.addItem(LANGUAGES[code], code)
        self.operating_point = QComboBox()
        for value, label in OPERATING_POINT_LABELS.items():
            self.operating_point.addItem(label, value)
        self.max_delay = _spin(0.7, 4.0, 0.1, " s")
        self.partials = QCheckBox("Show partial words")
        self.diarization = QComboBox()
        for value, label in DIARIZATION_LABELS.items():
            self.diarization.addItem(label, value)
        self.speakers_hint = make_label("", "SectionHint", wrap=True)
        self.max_speakers = QSpinBox()
        self.max_speakers.setRange(1, 50)
        self.max_speakers.setSpecialValueText("No limit")
        self.sensitivity = _spin(0.0, 1.0, 0.05, "", 2)
        self.vocab_button = QPushButton()
        self.vocab_button.clicked.connect(self._edit_vocab)
        self.entities = QCheckBox("Format entities")
        self.translation_button = QPushButton()
        self.translation_button.clicked.connect(self._edit_translation)
        self.end_of_utterance = _spin(0.0, 2.0, 0.1, " s")
        self.end_of_utterance.setSpecialValueText("Off")

        for widget, name in ((self.language, "Language"), (self.operating_point, "Operating point"),
                             (self.max_delay, "Maximum delay"), (self.partials, "Show partial words"),
                             (self.diarization, "Speakers"), (self.max_speakers, "Maximum number of speakers"),
                             (self.sensitivity, "Speaker sensitivity"), (self.vocab_button, "Custom words"),
                             (self.entities, "Format entities"), (self.translation_button, "Translation languages"),
                             (self.end_of_utterance, "End of utterance after silence")):
            widget.setAccessibleName(name)

        for combo in (self.language, self.operating_point, self.diarization):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Language", self.language)
        form.addRow("Accuracy", self.operating_point)
        form.addRow("Max delay", self.max_delay)
        form.addRow("", self.partials)
        form.addRow("Speakers", self.diarization)
        form.addRow("", self.speakers_hint)
        form.addRow("Max speakers", self.max_speakers)
        form.addRow("Sensitivity", self.sensitivity)
        form.addRow("Custom words", self.vocab_button)
        form.addRow("", self.entities)
        form.addRow("Translate", self.translation_button)
        form.addRow("End of utterance", self.end_of_utterance)
        self._form = form
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addStretch(1)

        self.set_config(config)
        for combo in (self.language, self.operating_point, self.diarization):
            combo.currentIndexChanged.connect(self._edited)
        for spin in (self.max_delay, self.sensitivity, self.end_of_utterance):
            spin.valueChanged.connect(self._edited)
        self.max_speakers.valueChanged.connect(self._edited)
        for box in (self.partials, self.entities):
            box.toggled.connect(self._edited)
        self._loading = False
        self._update_enabled()

    # -- the config -----------------------------------------------------------------------------------------
    def set_config(self, config: LiveConfig) -> None:
        loading, self._loading = self._loading, True
        self.language.setCurrentIndex(max(0, self.language.findData(config.language)))
        self.operating_point.setCurrentIndex(max(0, self.operating_point.findData(config.operating_point)))
        self.max_delay.setValue(config.max_delay)
        self.partials.setChecked(config.enable_partials)
        self.diarization.setCurrentIndex(max(0, self.diarization.findData(config.diarization)))
        self.max_speakers.setValue(config.max_speakers if config.max_speakers and config.max_speakers >= 2 else 1)
        self.sensitivity.setValue(config.speaker_sensitivity)
        self._vocab = tuple(config.vocab)
        self.entities.setChecked(config.enable_entities)
        self._targets = tuple(config.translation_targets)
        self.end_of_utterance.setValue(config.end_of_utterance_silence)
        self._loading = loading
        self._refresh_buttons()
        self._update_enabled()

    def config(self) -> LiveConfig:
        speakers = self.max_speakers.value()
        return LiveConfig(
            language=str(self.language.currentData()), operating_point=str(self.operating_point.currentData()),
            max_delay=round(self.max_delay.value(), 2), enable_partials=self.partials.isChecked(),
            diarization=str(self.diarization.currentData()),  # type: ignore[arg-type]
            max_speakers=speakers if speakers >= 2 else None, speaker_sensitivity=round(self.sensitivity.value(), 2),
            vocab=self._vocab, enable_entities=self.entities.isChecked(), translation_targets=self._targets,
            end_of_utterance_silence=round(self.end_of_utterance.value(), 2))

    def _edited(self) -> None:
        self._update_enabled()
        if not self._loading:
            self.changed.emit(self.config())

    # -- state ----------------------------------------------------------------------------------------------
    def set_sources(self, kind: str) -> None:
        self._kind = kind
        self._update_enabled()

    def set_running(self, running: bool) -> None:
        self._running = running
        self._update_enabled()

    def _fields(self) -> dict[str, QWidget]:
        return {"language": self.language, "operating_point": self.operating_point, "max_delay": self.max_delay,
                "enable_partials": self.partials, "diarization": self.diarization,
                "max_speakers": self.max_speakers, "speaker_sensitivity": self.sensitivity,
                "vocab": self.vocab_button, "enable_entities": self.entities,
                "translation_targets": self.translation_button, "end_of_utterance_silence": self.end_of_utterance}

    def _update_enabled(self) -> None:
        speakers = self.diarization.currentData() == "speaker"
        for field, widget in self._fields().items():
            fixed = self._running and not LiveConfig.changeable_mid_session(field)
            enabled = not fixed
            if field in ("max_speakers", "speaker_sensitivity"):
                enabled = enabled and speakers
            widget.setEnabled(enabled)
            widget.setToolTip((LiveConfig.why_fixed(field) or "") if fixed else _TOOLTIPS.get(field, ""))
        if self._kind == "both":
            self.speakers_hint.setText("Your words are “Me”, the meeting's “Them”; “Tell speakers apart” also "
                                       "separates the people in “Them” where the engine can.")
        else:
            self.speakers_hint.setText("")
        self.speakers_hint.setVisible(bool(self.speakers_hint.text()))


    # -- the two lists --------------------------------------------------------------------------------------
    def _refresh_buttons(self) -> None:
        count = len(self._vocab)
        self.vocab_button.setText(f"{count} word{'s' if count != 1 else ''}…" if count else "Add words…")
        names = [LANGUAGES.get(code, code) for code in self._targets]
        self.translation_button.setText(", ".join(names) + "…" if names else "None…")

    def _edit_vocab(self) -> None:
        dialog = VocabDialog(self._vocab, self)
        dialog.accepted.connect(lambda: self._set_vocab(dialog.entries()))
        dialog.open()

    def _set_vocab(self, entries: tuple[VocabEntry, ...]) -> None:
        self._vocab = entries
        self._refresh_buttons()
        self._edited()

    def _edit_translation(self) -> None:
        dialog = TranslationDialog(self._targets, str(self.language.currentData()), self)
        dialog.accepted.connect(lambda: self._set_targets(dialog.targets()))
        dialog.open()

    def _set_targets(self, targets: tuple[str, ...]) -> None:
        self._targets = targets
        self._refresh_buttons()
        self._edited()
