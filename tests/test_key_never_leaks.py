"""Runs the studio's flows with a known API key, then searches every file it wrote and every log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio import logs
from studio.api.endpoints import ENV_API_KEY
from studio.app import Studio
from studio.core.redaction import Redactor
from studio.services.engine import KeySource
from studio.storage.paths import Paths
from studio.storage.secrets import KeyringSecretStore
from tests.fakes.secrets import MemorySecretStore

KEY = "LEAKCHECK-3f9a1c7e5b2d4068a1b2c3d4e5f60718"


@pytest.fixture
def logging_to_file(studio_home: Paths) -> Iterator[Redactor]:
    redactor = Redactor()
    undo = logs.configure(studio_home.log_file, redactor, level=logging.DEBUG)
    yield redactor
    undo()


def everything_written(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


@pytest.mark.usefixtures("keychain")
def test_the_key_never_reaches_settings_logs_or_messages(qapp: QApplication, qtbot: QtBot,
                                                         studio_home: Paths,
                                                         logging_to_file: Redactor,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    studio = Studio(qapp, {}, studio_home, secrets=KeyringSecretStore(), redactor=logging_to_file)
    qtbot.addWidget(studio.window)
    studio.window.show()
    studio.start()
    qtbot.waitUntil(lambda: studio.state.key.source is KeySource.NONE, timeout=3000)

    # Save the key through the dialog, change every setting, reopen the dialog.
    dialog = studio.open_settings()
    section = dialog.api_key
    qtbot.waitUntil(lambda: not section.busy, timeout=3000)
    section.key_edit.setText(KEY)
    section.save_button.click()
    qtbot.waitUntil(lambda: studio.state.key.source is KeySource.KEYCHAIN, timeout=5000)
    dialog.region_combo.setCurrentIndex(dialog.region_combo.findData("custom"))
    dialog.rt_edit.setText("ws://onprem.lan:9000/v2")
    dialog.batch_edit.setText("http://onprem.lan:18000/v2")
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.accept()
    dialog = studio.open_settings()
    qtbot.waitUntil(lambda: not dialog.api_key.busy, timeout=3000)
    dialog.reject()
    # Something fails while the key is known: its report goes to the log and the status bar.
    logging.getLogger("studio.test").error("request failed with headers %s",
                                           {"Authorization": f"Bearer {KEY}"})
    studio.window.close()

    # A second run with the key in the environment, and a keychain that refuses writes.
    env_studio = Studio(qapp, {ENV_API_KEY: KEY}, studio_home,
                        secrets=MemorySecretStore(fail_writes=True), redactor=logging_to_file)
    qtbot.addWidget(env_studio.window)
    env_studio.start()
    qtbot.waitUntil(lambda: env_studio.state.key.source is KeySource.ENVIRONMENT, timeout=3000)
    section = env_studio.open_settings().api_key
    qtbot.waitUntil(lambda: not section.busy, timeout=3000)
    section.key_edit.setText(KEY)
    section.save_button.click()
    qtbot.waitUntil(lambda: "refused" in section.message_label.text(), timeout=3000)
    shown = " ".join([section.message_label.text(), section.status_label.text(),
                      env_studio.window.statusBar().currentMessage(),
                      env_studio.window.indicator.key_button.text(),
                      env_studio.window.indicator.engine_button.toolTip()])
    env_studio.window.close()

    assert KeyringSecretStore().get_api_key() == KEY  # the flows really did use the key
    written = everything_written(studio_home.config.parent)
    assert studio_home.log_file.stat().st_size > 0 and studio_home.settings_file.exists()
    assert KEY.encode() not in written
    assert KEY[8:24].encode() not in written
    assert b"[REDACTED]" in written  # the deliberate error line was written, masked
    assert "[REDACTED]" in caplog.text and KEY not in caplog.text
    assert KEY not in shown
