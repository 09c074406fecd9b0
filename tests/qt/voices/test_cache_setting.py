"""Settings → "Clear the voice preview cache": what it says the cache holds, and that the Voices page then
asks the engine again."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.qt.voices.cache_control import VoiceCacheControl
from tests.qt.voices.conftest import TtsServer, voices_page

LONG = 20_000


def test_clearing_the_cache_from_settings(studio: Studio, tts_server: TtsServer, tmp_path: Path,
                                          qtbot: QtBot) -> None:
    page = voices_page(studio, qtbot)
    page.text.set_text("Cache me if you can.")
    first = tmp_path / "first.wav"
    page.save_to(first)
    qtbot.waitUntil(first.exists, timeout=LONG)
    second = tmp_path / "second.wav"
    page.save_to(second)
    qtbot.waitUntil(second.exists, timeout=LONG)
    assert tts_server.requests == 1  # the second came from the cache

    dialog = studio.open_settings()
    control = dialog.voice_cache
    assert isinstance(control, VoiceCacheControl)
    qtbot.waitUntil(lambda: control.label.text().startswith("Cached: 1 clip,"), timeout=LONG)
    assert control.button.isEnabled() and control.button.accessibleName()
    qtbot.mouseClick(control.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: control.label.text().startswith("Cleared 1 clip"), timeout=LONG)
    assert not control.button.isEnabled()
    dialog.reject()

    third = tmp_path / "third.wav"
    page.save_to(third)
    qtbot.waitUntil(third.exists, timeout=LONG)
    assert tts_server.requests == 2  # asked again once the cache was cleared
    assert third.read_bytes() == first.read_bytes()
