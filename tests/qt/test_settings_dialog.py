from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.settings import EngineChoice
from studio.qt.settings.api_key import ApiKeySection
from studio.qt.settings.dialog import SettingsDialog
from studio.services.engine import KeySource
from studio.storage.secrets import KeyringSecretStore
from tests.fakes.secrets import MemorySecretStore
from tests.qt.conftest import StudioFactory

KEY = "dialog-test-key-0123456789abcdef"


def key_section(qtbot: QtBot, dialog: SettingsDialog) -> ApiKeySection:
    """The dialog's key section once its own keychain check has finished."""
    section = dialog.api_key
    qtbot.waitUntil(lambda: not section.busy, timeout=3000)
    return section


def choose(combo_owner: SettingsDialog, name: str, value: str) -> None:
    combo = getattr(combo_owner, name)
    combo.setCurrentIndex(combo.findData(value))


def test_shortcut_opens_settings(qtbot: QtBot, make_studio: StudioFactory) -> None:
    studio = make_studio()
    studio.window.show()
    qtbot.waitExposed(studio.window)
    studio.window.settings_action.trigger()
    assert studio.settings_dialog is not None and studio.settings_dialog.isVisible()
    assert studio.open_settings() is studio.settings_dialog  # a second request raises the same dialog


def test_custom_urls_are_validated_inline(qtbot: QtBot, make_studio: StudioFactory) -> None:
    studio = make_studio()
    dialog = studio.open_settings()
    choose(dialog, "region_combo", "custom")
    assert dialog.custom_box.isVisibleTo(dialog)
    dialog.rt_edit.setText("http://box:9000/v2")
    dialog.batch_edit.setText("http://box:18000/v2")
    dialog.accept()
    assert dialog.isVisible()
    assert "must start with ws:// or wss://" in dialog.error_label.text()
    assert studio.state.settings.region.value == "eu"  # nothing saved
    dialog.rt_edit.setText("ws://box:9000/v2")
    dialog.accept()
    assert not dialog.isVisible()
    assert studio.state.settings.region.value == "custom"
    assert studio.window.indicator.engine_button.text().startswith("● Built-in engine")
    saved = json.loads(studio.paths.settings_file.read_text())
    assert saved["custom_realtime_url"] == "ws://box:9000/v2"


def test_engine_language_and_theme_are_saved(make_studio: StudioFactory) -> None:
    studio = make_studio(secrets=MemorySecretStore(KEY))
    dialog = studio.open_settings()
    choose(dialog, "engine_combo", "local")
    choose(dialog, "language_combo", "ja")
    choose(dialog, "theme_combo", "dark")
    dialog.temporary_check.setChecked(True)
    dialog.accept()
    settings = studio.state.settings
    assert settings.engine is EngineChoice.LOCAL and settings.language == "ja"
    assert settings.use_temporary_keys
    assert studio.window.indicator.engine_button.text().startswith("● Built-in engine")


def test_cancel_changes_nothing(make_studio: StudioFactory) -> None:
    studio = make_studio()
    dialog = studio.open_settings()
    choose(dialog, "language_combo", "de")
    dialog.reject()
    assert studio.state.settings.language == "en"
    assert not studio.paths.settings_file.exists()


def test_invalid_key_is_explained_where_it_was_typed(qtbot: QtBot, make_studio: StudioFactory) -> None:
    store = MemorySecretStore()
    studio = make_studio(secrets=store)
    section = key_section(qtbot, studio.open_settings())
    qtbot.keyClicks(section.key_edit, "tooshort")
    qtbot.mouseClick(section.save_button, Qt.MouseButton.LeftButton)
    assert section.message_label.text() == "That is too short to be an API key."
    assert "set" not in store.calls


def test_refused_write_shows_a_message_and_keeps_the_typed_key(qtbot: QtBot,
                                                               make_studio: StudioFactory) -> None:
    studio = make_studio(secrets=MemorySecretStore(fail_writes=True))
    section = key_section(qtbot, studio.open_settings())
    section.key_edit.setText(KEY)
    section.save_button.click()
    qtbot.waitUntil(lambda: "refused" in section.message_label.text(), timeout=3000)
    assert section.message_label.objectName() == "ErrorText"
    assert section.key_edit.text() == KEY
    assert section.save_button.isEnabled()


def test_no_keychain_disables_saving_and_says_why(qtbot: QtBot, make_studio: StudioFactory) -> None:
    studio = make_studio(secrets=MemorySecretStore(unavailable=True))
    section = key_section(qtbot, studio.open_settings())
    assert "No system keychain is available" in section.status_label.text()
    assert not section.save_button.isEnabled() and not section.key_edit.isEnabled()


def test_closing_the_dialog_during_a_save_still_updates_the_status_bar(qtbot: QtBot,
                                                                       make_studio: StudioFactory) -> None:
    studio = make_studio()
    dialog = studio.open_settings()
    key_section(qtbot, dialog)
    dialog.api_key.key_edit.setText(KEY)
    dialog.api_key.save_button.click()
    dialog.reject()
    dialog.deleteLater()
    qtbot.waitUntil(lambda: studio.state.key.source is KeySource.KEYCHAIN, timeout=3000)
    assert studio.window.indicator.engine_button.text() == "● Speechmatics EU"


@pytest.mark.usefixtures("keychain")
def test_set_replace_remove_the_key_in_the_real_keychain(qtbot: QtBot, make_studio: StudioFactory) -> None:
    studio = make_studio(secrets=KeyringSecretStore())
    section = key_section(qtbot, studio.open_settings())
    assert section.save_button.text() == "Save key" and not section.remove_button.isEnabled()

    qtbot.keyClicks(section.key_edit, KEY)
    qtbot.keyClick(section.key_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.message_label.text() == "Saved in the system keychain.", timeout=5000)
    assert KeyringSecretStore().get_api_key() == KEY
    assert section.key_edit.text() == ""
    assert section.save_button.text() == "Replace key" and section.remove_button.isEnabled()
    assert studio.window.indicator.key_button.text() == "API key set (system keychain)"
    assert studio.window.indicator.engine_button.text() == "● Speechmatics EU"

    section.key_edit.setText(KEY[::-1])
    section.save_button.click()
    assert section.busy
    qtbot.waitUntil(lambda: not section.busy, timeout=5000)
    assert KeyringSecretStore().get_api_key() == KEY[::-1]

    section.remove_button.click()
    qtbot.waitUntil(lambda: section.message_label.text() == "Removed from the system keychain.", timeout=5000)
    assert KeyringSecretStore().get_api_key() is None
    assert studio.window.indicator.key_button.text() == "No API key"
    assert studio.window.indicator.engine_button.text().startswith("● Built-in engine")
