"""The Settings dialog: API key, engine and region (or custom on-prem URLs), the built-in engine's Whisper model,
default language, theme."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.api.endpoints import ENV_BATCH_URL, ENV_RT_URL, ENV_TTS_URL, REGION_LABELS, url_problem
from studio.core.languages import LANGUAGES
from studio.core.settings import EngineChoice, Region, Settings, Theme
from studio.local.availability import PACKAGED, PACKAGED_NAME
from studio.qt.settings.api_key import ApiKeySection
from studio.qt.widgets.labels import make_label
from studio.services.app_state import AppState
from studio.services.credentials import Credentials

if TYPE_CHECKING:
    from studio.qt.bridge import AsyncBridge

K = TypeVar("K", bound=str)

ENGINE_LABELS = {
    EngineChoice.AUTO: "Automatic (Speechmatics with a key, else built-in)",
    EngineChoice.LOCAL: "Built-in engine (offline, on this computer)",
    EngineChoice.SPEECHMATICS: "Speechmatics",
}
PACKAGED_LABEL = f"Packaged: Whisper {PACKAGED_NAME} (offline)"
MODEL_NAMES = ("tiny", "base.en", "base", "small.en", "small", "medium.en", "medium", "large-v3",
               "distil-large-v3", "large-v3-turbo")
THEME_LABELS = {Theme.SYSTEM: "Follow the system", Theme.LIGHT: "Light", Theme.DARK: "Dark"}


def _combo(items: Mapping[K, str], current: str) -> QComboBox:
    combo = QComboBox()
    for value, label in items.items():
        combo.addItem(label, str(value))
    combo.setCurrentIndex(max(0, combo.findData(str(current))))
    return combo


class SettingsDialog(QDialog):
    def __init__(self, state: AppState, credentials: Credentials, bridge: AsyncBridge,
                 parent: QWidget | None = None, *, voice_cache: Path | None = None) -> None:
        """``voice_cache``: the voice preview cache's folder, for its "Clear" control (none without it)."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._state = state
        settings = state.settings

        self.api_key = ApiKeySection(state, credentials, bridge, self)

        self.engine_combo = _combo(ENGINE_LABELS, settings.engine)
        self.region_combo = _combo(REGION_LABELS, settings.region)
        self.region_combo.setItemText(self.region_combo.findData(Region.CUSTOM.value),
                                      "Custom URLs (on-premises or a proxy)")
        self.region_combo.currentIndexChanged.connect(self._region_changed)
        self.rt_edit = QLineEdit(settings.custom_realtime_url, placeholderText="ws://host:9000/v2")
        self.batch_edit = QLineEdit(settings.custom_batch_url, placeholderText="http://host:18000/v2")
        self.tts_edit = QLineEdit(settings.custom_tts_url,
                                  placeholderText="https://preview.tts.speechmatics.com (default)")
        self.custom_box = QWidget()
        custom_form = QFormLayout(self.custom_box)
        custom_form.setContentsMargins(0, 0, 0, 0)
        custom_form.addRow("Realtime URL", self.rt_edit)
        custom_form.addRow("Batch URL", self.batch_edit)
        custom_form.addRow("Text-to-speech URL", self.tts_edit)
        self.temporary_check = QCheckBox("Use short-lived temporary keys for live sessions")
        self.temporary_check.setChecked(settings.use_temporary_keys)
        self.temporary_check.setToolTip("Each live session gets a key that expires after an hour, made from your "
                                        "API key; the API key itself is then only sent to the key service.")
        self.env_note = make_label("", "SectionHint", wrap=True)
        overridden = [name for name in (ENV_RT_URL, ENV_BATCH_URL, ENV_TTS_URL) if state.env.get(name)]
        self.env_note.setText(f"Set in the environment, and used instead: {', '.join(overridden)}."
                              if overridden else "")
        self.env_note.setVisible(bool(overridden))
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.addItem(PACKAGED_LABEL, PACKAGED)
        for name in MODEL_NAMES:
            self.model_combo.addItem(name, name)
        self._set_model(settings.whisper_model)
        self.model_combo.setToolTip("The packaged model works offline. A model name is downloaded by "
                                    "faster-whisper the first time it is used; a folder must hold a "
                                    "CTranslate2 Whisper model.")
        self.model_folder_button = QPushButton("Folder…")
        self.model_folder_button.clicked.connect(self._choose_model_folder)
        model_row = QWidget()
        model_layout = QHBoxLayout(model_row)
        model_layout.setContentsMargins(0, 0, 0, 0)
        model_layout.addWidget(self.model_combo, 1)
        model_layout.addWidget(self.model_folder_button)
        self.local_label = make_label("", "SectionHint", wrap=True)
        self.local_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_combo.currentTextChanged.connect(lambda _text: self._describe_model())
        self._describe_model()

        engine_box = QGroupBox("Engine")
        engine_form = QFormLayout(engine_box)
        engine_form.addRow("Use", self.engine_combo)
        engine_form.addRow("Speechmatics region", self.region_combo)
        engine_form.addRow(self.custom_box)
        engine_form.addRow(self.temporary_check)
        engine_form.addRow(self.env_note)
        engine_form.addRow("Built-in model", model_row)
        engine_form.addRow(self.local_label)

        self.language_combo = _combo(dict(sorted(LANGUAGES.items(), key=lambda item: item[1])),
                                     settings.language)
        self.theme_combo = _combo(THEME_LABELS, settings.theme)
        general_box = QGroupBox("General")
        general_form = QFormLayout(general_box)
        general_form.addRow("Default language", self.language_combo)
        general_form.addRow("Theme", self.theme_combo)
        self.voice_cache: QWidget | None = None
        if voice_cache is not None:
            from studio.qt.voices.cache_control import VoiceCacheControl

            self.voice_cache = VoiceCacheControl(voice_cache, bridge)
            general_form.addRow("Voice previews", self.voice_cache)

        self.error_label = make_label("", "ErrorText", wrap=True)
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.api_key)
        layout.addWidget(engine_box)
        layout.addWidget(general_box)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self._region_changed()

    def model_setting(self) -> str:
        """The model setting chosen: the packaged model, a listed name, or what was typed (a name or folder)."""
        text = self.model_combo.currentText().strip()
        index = self.model_combo.findText(text)
        if index >= 0:
            return str(self.model_combo.itemData(index))
        return text

    def _set_model(self, setting: str) -> None:
        index = self.model_combo.findData(setting)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)
        else:
            self.model_combo.setEditText(setting)

    def _describe_model(self) -> None:
        """Which model the built-in engine would use, and where it lives."""
        info = self._state.probe_local(self.model_setting())
        if info.installed:
            text = f"Built-in engine: {info.model}, in {info.location}"
        else:
            text = f"Built-in engine: {info.model} cannot be used: {info.reason}"
        self.local_label.setText(text)
        self.local_label.setToolTip(f"Missing: {', '.join(info.missing)}" if info.missing else "")

    def _choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder with a CTranslate2 Whisper model")
        if folder:
            self._set_model(folder)

    def _region_changed(self) -> None:
        self.custom_box.setVisible(self.region_combo.currentData() == Region.CUSTOM.value)

    def chosen_settings(self) -> Settings:
        return self._state.settings.replace(
            engine=EngineChoice(self.engine_combo.currentData()),
            region=Region(self.region_combo.currentData()),
            custom_realtime_url=self.rt_edit.text().strip(),
            custom_batch_url=self.batch_edit.text().strip(),
            custom_tts_url=self.tts_edit.text().strip(),
            language=str(self.language_combo.currentData()),
            theme=Theme(self.theme_combo.currentData()),
            use_temporary_keys=self.temporary_check.isChecked(),
            whisper_model=self.model_setting(),
        )

    def _problem(self, settings: Settings) -> tuple[str, QWidget] | None:
        if settings.whisper_model != self._state.settings.whisper_model:
            info = self._state.probe_local(settings.whisper_model)
            if not info.installed and not info.missing:
                return f"The built-in engine's model cannot be used: {info.reason}.", self.model_combo
        if settings.region is not Region.CUSTOM:
            return None
        checks = [("realtime", self.rt_edit), ("batch", self.batch_edit)]
        if settings.custom_tts_url:
            checks.append(("tts", self.tts_edit))
        for service, edit in checks:
            problem = url_problem(service, edit.text())
            if problem:
                return problem, edit
        return None

    def accept(self) -> None:
        settings = self.chosen_settings()
        problem = self._problem(settings)
        if problem:
            self._show_error(problem[0])
            problem[1].setFocus()
            return
        try:
            self._state.save_settings(settings)
        except OSError as exc:
            self._show_error(f"The settings could not be saved: {exc.strerror or exc}.")
            return
        super().accept()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
