"""The Voices page as a user meets it: the voices and their filter, the counter, every error in plain words,
saving in every format, choices remembered — in the studio's real window against the real local server."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.api.endpoints import ENV_API_KEY, ENV_TTS_URL
from studio.app import Studio
from studio.core.settings import CompareMode, EngineChoice, Settings, VoicesSettings
from studio.local.faults import HttpFault
from studio.local.scripted import ToneSynthesizer
from studio.local.server import LocalServer
from studio.qt.voices.page import VoicesPage
from studio.services.voices.clip import SPEECHMATICS_TEXT_LIMIT, ClipState
from studio.storage.paths import Paths
from studio.storage.settings_store import SettingsStore
from tests.fakes.server import SERVER_KEY
from tests.qt.conftest import StudioFactory
from tests.qt.voices.conftest import TtsServer, voices_page

TEXT = "Welcome to the future of speech technology!"
LONG = 20_000


def error_shown(page: VoicesPage) -> str:
    label = page.transport.error_label
    return label.text() if label.isVisibleTo(page) else ""


def wait_error(page: VoicesPage, qtbot: QtBot) -> str:
    qtbot.waitUntil(lambda: bool(error_shown(page)), timeout=LONG)
    text = error_shown(page)
    assert "Traceback" not in text and "Error" not in text.split()[0]
    return text


def test_the_page_is_built_when_first_shown(studio: Studio, qtbot: QtBot) -> None:
    assert "voices" not in studio.window.built_pages()
    page = voices_page(studio, qtbot)
    assert [page.voices.model.voices[i].id for i in range(4)] == ["sarah", "theo", "megan", "jack"]
    assert page.engine_note.text().endswith("Speechmatics voices")
    assert page.text.counter.text() == f"0 / {SPEECHMATICS_TEXT_LIMIT:,} characters"
    assert not page.transport.play_button.isEnabled()  # nothing to say yet
    page.text.set_text(TEXT)
    assert page.transport.play_button.isEnabled()
    assert page.text.counter.text() == f"{len(TEXT)} / 5,000 characters"
    for widget in (page.transport.play_button, page.transport.stop_button, page.transport.compare_button,
                   page.transport.save_button, page.transport.device_combo, page.text.edit, page.text.samples,
                   page.text.recent, page.voices.view, page.voices.language_combo, page.history.view,
                   page.compare.sequence, page.compare.toggle, page.waveform):
        assert widget.accessibleName(), widget


def test_samples_and_recent_texts_fill_the_box(page: VoicesPage, qtbot: QtBot) -> None:
    page.text.samples.setCurrentIndex(2)
    page.text.samples.activated.emit(2)
    assert page.text.text.startswith("Your appointment is on Tuesday")
    page.text.edit.undo()  # what was there before is one Ctrl+Z away
    assert page.text.text == ""
    page.text.set_recent(["First text", "Second text"])
    assert page.text.recent.isEnabled() and page.text.recent.count() == 3
    page.text.recent.activated.emit(2)
    assert page.text.text == "Second text"


def test_text_over_the_limit_is_refused_before_sending(page: VoicesPage, tts_server: TtsServer,
                                                       qtbot: QtBot) -> None:
    page.text.set_text("a" * (SPEECHMATICS_TEXT_LIMIT + 1))
    assert page.text.over_limit and page.text.counter.objectName() == "ErrorText"
    qtbot.mouseClick(page.transport.play_button, Qt.MouseButton.LeftButton)
    text = wait_error(page, qtbot)
    assert text == ("The text is 5,001 characters long, and Speechmatics takes at most 5,000 at a time — "
                    "shorten it, or speak it in parts.")
    assert tts_server.requests == 0
    assert page.text.text == "a" * (SPEECHMATICS_TEXT_LIMIT + 1)  # nothing typed is lost


def test_quota_is_said_in_plain_words(page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    tts_server.server.faults.http.insert(0, HttpFault("/generate", status=429, retry_after="0", times=50))
    page.text.set_text(TEXT)
    page.play()
    text = wait_error(page, qtbot)
    assert "busy (rate limited)" in text
    assert page.controller.clip is not None and page.controller.clip.state is ClipState.FAILED
    assert "not played" in page.transport.now_label.text() or page.controller.clip.state is ClipState.FAILED


def test_a_voice_the_engine_does_not_have(page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    class NoJack(ToneSynthesizer):
        def voices(self) -> list[str]:
            return ["sarah", "theo", "megan"]

    tts_server.server.synthesizer = NoJack()
    page.voices.choose("jack")
    page.text.set_text(TEXT)
    page.play()
    assert wait_error(page, qtbot).startswith("Speechmatics has no voice called “jack”; choose another")


def test_a_rejected_key(make_studio: StudioFactory, tts_server: TtsServer, qtbot: QtBot) -> None:
    studio = make_studio({ENV_API_KEY: "not-the-key-0123456", ENV_TTS_URL: tts_server.urls.tts})
    page = voices_page(studio, qtbot)
    page.text.set_text(TEXT)
    page.play()
    assert wait_error(page, qtbot) == "Your API key was rejected. Check the API key in Settings (Ctrl+,)."


def test_no_key_at_all(make_studio: StudioFactory, studio_home: Paths, qtbot: QtBot) -> None:
    SettingsStore(studio_home.settings_file).save(Settings(engine=EngineChoice.SPEECHMATICS))
    studio = make_studio({})
    page = voices_page(studio, qtbot)
    page.text.set_text(TEXT)
    page.play()
    assert wait_error(page, qtbot).startswith("No API key — add one in Settings (Ctrl+,)")
    assert "No API key" in studio.window.statusBar().currentMessage()


def test_an_engine_that_cannot_be_reached(make_studio: StudioFactory, qtbot: QtBot) -> None:
    import asyncio

    async def closed_port() -> str:
        async with LocalServer() as gone:
            return gone.urls.tts

    studio = make_studio({ENV_API_KEY: SERVER_KEY, ENV_TTS_URL: asyncio.run(closed_port())})
    page = voices_page(studio, qtbot)
    page.text.set_text(TEXT)
    page.play()
    text = wait_error(page, qtbot)  # after the client's retries
    assert "could not be reached" in text and "Check your network connection" in text


def test_save_writes_a_wav_that_wave_reads_back(studio: Studio, page: VoicesPage, tts_server: TtsServer,
                                                tmp_path: Path, qtbot: QtBot) -> None:
    page.text.set_text(TEXT)
    wav_path = tmp_path / "hello.wav"
    page.save_to(wav_path)  # nothing played yet: synthesised for the file, not played
    qtbot.waitUntil(wav_path.exists, timeout=LONG)
    expected = int(len(TEXT) * 0.06 * 16000)  # the tone voice's length
    with wave.open(str(wav_path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() == expected
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    assert tts_server.requests == 1
    pcm_path = tmp_path / "hello.pcm"
    page.save_to(pcm_path)  # the same preview, now from the cache: no request
    qtbot.waitUntil(pcm_path.exists, timeout=LONG)
    assert pcm_path.read_bytes() == samples.tobytes()
    assert tts_server.requests == 1
    qtbot.waitUntil(lambda: studio.window.statusBar().currentMessage() == f"Saved {pcm_path}", timeout=LONG)


def test_a_save_that_cannot_be_written_says_so(page: VoicesPage, qtbot: QtBot) -> None:
    page.text.set_text(TEXT)
    page.save_to(Path("/proc/no-such-folder/hello.wav"))
    assert "could not be used" in wait_error(page, qtbot)


def test_the_built_in_engine_lists_its_voices_by_language(make_studio: StudioFactory, studio_home: Paths,
                                                          qtbot: QtBot) -> None:
    SettingsStore(studio_home.settings_file).save(Settings(engine=EngineChoice.LOCAL))
    studio = make_studio({})
    page = studio.window.show_workspace("voices")
    assert isinstance(page, VoicesPage)
    qtbot.waitUntil(lambda: page.voices.model.rowCount() > 50, timeout=LONG)  # eSpeak NG's, loaded off the GUI
    assert page.engine_note.text() == "Built-in engine: eSpeak NG voices, offline"
    assert page.text.counter.text().endswith("/ 100,000 characters")
    combo = page.voices.language_combo
    french = combo.findData("French")
    assert french > 0 and combo.itemText(french).startswith("French (")
    combo.setCurrentIndex(french)
    shown = [page.voices.filter.index(row, 0).data() for row in range(page.voices.filter.rowCount())]
    assert shown and all(name.startswith("French") for name in shown)
    assert "French (France)" in shown
    combo.setCurrentIndex(0)
    assert page.voices.filter.rowCount() == page.voices.model.rowCount()


@pytest.mark.usefixtures("desktop")  # the real audio devices, listed
def test_choices_are_remembered(make_studio: StudioFactory, tts_server: TtsServer, qtbot: QtBot) -> None:
    env = {ENV_API_KEY: SERVER_KEY, ENV_TTS_URL: tts_server.urls.tts}
    studio = make_studio(env)
    page = voices_page(studio, qtbot)
    page.voices.choose("megan")
    page.voices.model.set_compared(["megan", "theo", "jack"])
    page.compare.set_mode(CompareMode.TOGGLE)
    qtbot.waitUntil(lambda: page.transport.device_combo.count() > 1, timeout=LONG)  # the devices, listed
    assert page.transport.device_combo.itemText(0) == "System default output"
    names = [page.transport.device_combo.itemData(i) for i in range(page.transport.device_combo.count())]
    pick = names.index("pulse") if "pulse" in names else len(names) - 1
    page.transport.device_combo.setCurrentIndex(pick)
    page.transport.device_combo.activated.emit(pick)
    qtbot.waitUntil(lambda: studio.state.settings.voices.voice == "megan", timeout=LONG)  # saved soon after
    saved = studio.state.settings.voices
    assert saved == VoicesSettings(voice="megan", compare_voices=("megan", "theo", "jack"),
                                   compare_mode=CompareMode.TOGGLE, output_device=names[pick])
    studio.window.close()
    again = voices_page(make_studio(env), qtbot)
    assert again.chosen_voice == "megan" and again.voices.model.compared == ["megan", "theo", "jack"]
    assert again.compare.mode is CompareMode.TOGGLE
    assert again.controller.player.device == names[pick]
    qtbot.waitUntil(lambda: again.transport.device_combo.currentData() == names[pick], timeout=LONG)


@pytest.mark.usefixtures("studio_home")
def test_a_remembered_device_that_is_gone_falls_back_to_the_default(make_studio: StudioFactory,
                                                                    studio_home: Paths, qtbot: QtBot) -> None:
    SettingsStore(studio_home.settings_file).save(Settings(voices=VoicesSettings(output_device="Unplugged USB")))
    studio = make_studio({})
    page = voices_page(studio, qtbot)
    qtbot.waitUntil(lambda: "not connected" in page.transport.device_combo.toolTip(), timeout=LONG)
    assert page.transport.device_combo.currentIndex() == 0


def test_a_saved_preview_is_named_after_its_voice_and_words() -> None:
    from studio.qt.voices.status import default_file_name
    from studio.services.voices.clip import PreviewRequest

    assert default_file_name(PreviewRequest("Welcome to the future, of speech!", "sarah")) == \
        "sarah-welcome-to-the-future-of.wav"
    assert default_file_name(PreviewRequest("¿…?", "fr-fr")) == "fr-fr-preview.wav"


def test_the_save_dialogs_answer_decides_the_format() -> None:
    from studio.qt.voices.status import save_filters, save_target

    wav_filter, pcm_filter = save_filters().split(";;")
    assert save_target(Path("/x/hello.wav"), pcm_filter) == (Path("/x/hello.wav"), "wav_16000")  # the name wins
    assert save_target(Path("/x/hello.PCM"), wav_filter) == (Path("/x/hello.PCM"), "pcm_16000")
    assert save_target(Path("/x/hello"), pcm_filter) == (Path("/x/hello.pcm"), "pcm_16000")  # else the filter
    assert save_target(Path("/x/take.2"), wav_filter) == (Path("/x/take.2.wav"), "wav_16000")
