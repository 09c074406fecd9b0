"""The Voices page playing through the real audio device (PulseAudio's null sink) from the real local server:
streaming, the cache, A/B, click-to-play, Stop, "Speak this line" and what the sink heard."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.audio.capture import Capture
from studio.audio.playback import PlayState
from studio.core.settings import CompareMode
from studio.local.engine import make_synthesizer
from studio.qt.voices.page import VoicesPage
from studio.services.voices.clip import ClipState
from tests.audio.test_capture_device import best_alignment
from tests.audio.test_playback_device import Recorder, running_sink
from tests.qt.voices.conftest import TtsServer
from tests.services.voices.conftest import HeldSynthesizer

pytestmark = pytest.mark.usefixtures("desktop")

TEXT = "Welcome to the future of speech technology!"
LONG = 20_000  # ms: generous waits, for a loaded machine


def finished(page: VoicesPage) -> bool:
    return page.controller.player.state is PlayState.FINISHED and not page.controller.busy


def press_play(page: VoicesPage, qtbot: QtBot) -> None:
    qtbot.mouseClick(page.transport.play_button, Qt.MouseButton.LeftButton)


def test_play_starts_before_the_synthesis_ends(page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    held = HeldSynthesizer(hold=30)
    tts_server.server.synthesizer = held
    frames_at_first_frame: list[bool] = []

    def first_frame(_playback: object) -> None:  # the audio thread: note what the server had sent, release it
        frames_at_first_frame.append(held.last_chunk_sent)
        tts_server.soon(held.release.set)

    page.controller.player.on_first_frame = first_frame
    page.text.set_text(TEXT)
    press_play(page, qtbot)
    qtbot.waitUntil(lambda: bool(frames_at_first_frame), timeout=LONG)
    assert frames_at_first_frame == [False], "the first frame reached the device only after the last chunk"
    qtbot.waitUntil(lambda: "Playing Sarah" in page.transport.now_label.text(), timeout=LONG)
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)
    clip = page.controller.clip
    assert clip is not None and clip.state is ClipState.COMPLETE
    assert not held.released_by_timeout
    assert page.waveform.peak_count == -(-clip.pcm.frames // 160)  # drawn as it arrived, to the end
    assert tts_server.requests == 1
    qtbot.waitUntil(lambda: page.history.model.rowCount() == 1, timeout=LONG)
    qtbot.waitUntil(lambda: page.transport.now_label.text() == "Played Sarah", timeout=LONG)


def test_a_replay_comes_from_the_cache(page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    page.text.set_text(TEXT)
    press_play(page, qtbot)
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)
    first = page.controller.clip
    press_play(page, qtbot)
    qtbot.waitUntil(lambda: page.controller.clip is not first and finished(page), timeout=LONG)
    again = page.controller.clip
    assert again is not None and first is not None and again.from_cache
    assert np.array_equal(again.pcm.samples(), first.pcm.samples())
    assert tts_server.requests == 1, "the replay asked the server again"
    entry = page.history.model.entry(0)
    assert entry is not None
    page.history.replay_requested.emit(entry)  # from the history: the cache too
    qtbot.waitUntil(lambda: page.controller.clip is not again and finished(page), timeout=LONG)
    assert tts_server.requests == 1
    page.voices.choose("theo")  # another voice is another request
    press_play(page, qtbot)
    qtbot.waitUntil(lambda: page.controller.clip is not None and page.controller.clip.request.voice == "theo"
                    and finished(page), timeout=LONG)
    assert tts_server.requests == 2


def test_compare_plays_every_ticked_voice_one_after_the_other(page: VoicesPage, tts_server: TtsServer,
                                                               qtbot: QtBot) -> None:
    page.text.set_text("Hi there.")
    page.voices.model.set_compared(["megan", "jack"])
    qtbot.mouseClick(page.transport.compare_button, Qt.MouseButton.LeftButton)
    comparison = page.controller.comparison
    assert comparison is not None and [c.request.voice for c in comparison.clips] == ["megan", "jack"]
    assert len(page.compare.lanes) == 2 and page.compare.lanes_box.isVisibleTo(page)
    qtbot.waitUntil(lambda: comparison.played == [0, 1] and comparison.finished, timeout=LONG)
    assert all(clip.state is ClipState.COMPLETE for clip in comparison.clips)
    assert not np.array_equal(comparison.clips[0].pcm.samples()[:800], comparison.clips[1].pcm.samples()[:800])
    assert tts_server.requests == 2
    qtbot.waitUntil(lambda: page.history.model.rowCount() == 2, timeout=LONG)


def test_switching_voices_at_the_same_point(page: VoicesPage, qtbot: QtBot) -> None:
    page.text.set_text("One two three four five six seven eight nine ten, and on to twenty.")
    page.voices.model.set_compared(["sarah", "theo"])
    page.compare.set_mode(CompareMode.TOGGLE)
    comparison = page.compare_voices()
    assert comparison is not None and comparison.mode is CompareMode.TOGGLE
    qtbot.waitUntil(lambda: all(c.pcm.complete for c in comparison.clips), timeout=LONG)
    qtbot.waitUntil(lambda: page.controller.player.position > 0.5, timeout=LONG)
    a, b = comparison.clips
    qtbot.mouseClick(page.compare.lanes[1].button, Qt.MouseButton.LeftButton)
    player = page.controller.player
    qtbot.waitUntil(lambda: player.playback is not None and player.playback.buffer is b.pcm, timeout=LONG)
    assert player.playback is not None
    share_b = player.playback.start / b.pcm.frames
    assert 0.1 < share_b < 0.9  # from the middle, not the start
    assert comparison.current == 1 and comparison.played == [0, 1]
    qtbot.waitUntil(lambda: "2 of 2: Theo" in page.transport.now_label.text(), timeout=LONG)
    assert a.duration > 0 and b.duration > 0


def test_clicking_the_waveform_plays_from_there(page: VoicesPage, qtbot: QtBot) -> None:
    page.text.set_text(TEXT)
    press_play(page, qtbot)
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)
    clip = page.controller.clip
    assert clip is not None
    view = page.waveform
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 2, view.height() // 2))
    player = page.controller.player
    qtbot.waitUntil(lambda: player.playback is not None and player.playback.start > 0, timeout=LONG)
    assert player.playback is not None
    assert player.playback.start / clip.pcm.frames == pytest.approx(0.5, abs=0.05)
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)


def test_stop_cancels_the_request_in_flight(page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    held = HeldSynthesizer(hold=60)
    tts_server.server.synthesizer = held
    page.text.set_text(TEXT)
    press_play(page, qtbot)
    qtbot.waitUntil(lambda: page.controller.clip is not None and page.controller.clip.pcm.frames > 0, timeout=LONG)
    qtbot.keyClick(page.text.edit, Qt.Key.Key_Escape)  # the page's Esc
    clip = page.controller.clip
    assert clip is not None
    qtbot.waitUntil(lambda: clip.state is ClipState.CANCELLED, timeout=LONG)
    assert page.controller.player.state is PlayState.STOPPED
    tts_server.soon(held.release.set)  # the server finds the listener gone
    qtbot.waitUntil(lambda: held.closed.is_set(), timeout=LONG)
    assert not held.last_chunk_sent or clip.pcm.frames < held.chunks * held.chunk_frames
    qtbot.waitUntil(lambda: page.transport.now_label.text() == "Stopped Sarah", timeout=LONG)
    assert page.transport.error_label.isHidden()


def test_speak_this_line_plays_without_leaving_the_workspace(studio: Studio, tts_server: TtsServer,
                                                             qtbot: QtBot) -> None:
    studio.window.show_workspace("live")
    studio.context.speak_line("The line a transcript wants to hear.")
    assert studio.window.current_workspace() == "live"
    page = studio.window.built_pages()["voices"]
    assert isinstance(page, VoicesPage)
    assert "Speaking “The line a transcript wants to hear.” in Sarah" in studio.window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: "Sarah — a transcript line" in page.transport.now_label.text(), timeout=LONG)
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)
    assert page.text.text == ""  # the user's own text is left alone
    assert tts_server.requests == 1


def test_what_the_page_plays_is_heard_on_the_sink(page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    tts_server.server.synthesizer = make_synthesizer()  # eSpeak NG: real speech
    recorder = Recorder(10**9)
    with running_sink(), Capture("pulse", samplerate=16000, on_block=recorder):
        assert recorder.live()
        page.text.set_text("Every word of this sentence should come back from the monitor.")
        press_play(page, qtbot)
        qtbot.waitUntil(lambda: finished(page), timeout=LONG)
        more = recorder.more(16000)  # a second after the end
        qtbot.waitUntil(more.is_set, timeout=LONG)
    clip = page.controller.clip
    assert clip is not None and clip.duration > 2
    lag, correlation = best_alignment(recorder.recorded, (clip.pcm.samples() / 32768).astype(np.float32))
    assert correlation > 0.9, f"correlation {correlation:.3f} at lag {lag}"


def test_the_keyboard_plays_compares_and_stops(studio: Studio, page: VoicesPage, qtbot: QtBot) -> None:
    studio.window.show()
    qtbot.waitExposed(studio.window)
    studio.window.activateWindow()  # the window's shortcuts reach the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is studio.window, timeout=LONG)
    page.text.edit.setFocus()
    qtbot.keyClicks(page.text.edit, "Keys only.")
    qtbot.keyClick(page.text.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.controller.clip is not None, timeout=LONG)
    assert page.text.text == "Keys only."  # Ctrl+Return played; it did not add a line
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)
    page.voices.model.set_compared(["sarah", "megan"])
    qtbot.keyClick(page.text.edit, Qt.Key.Key_Return,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: page.controller.comparison is not None and page.controller.player.active,
                    timeout=LONG)
    comparison = page.controller.comparison
    assert comparison is not None
    qtbot.keyClick(page.text.edit, Qt.Key.Key_Escape)
    # The stop is carried out on the event loop: waited for as such. (The player alone goes idle between two
    # voices, too: on a loaded machine the first short clip may end before the stop arrives.)
    qtbot.waitUntil(lambda: comparison.stopped and not page.controller.player.active, timeout=LONG)
    assert comparison.finished and page.controller.comparison is comparison


def test_a_preview_heard_on_another_engine_replays_from_the_cache_or_on_this_one(
        page: VoicesPage, tts_server: TtsServer, qtbot: QtBot) -> None:
    from studio.services.voices.clip import BUILTIN, Clip, PreviewRequest
    from studio.services.voices.history import HistoryEntry

    cache = page.controller.service.cache
    assert cache is not None
    kept = PreviewRequest("Heard offline.", "sarah", BUILTIN)
    cache.put(kept, np.full(8000, 1000, np.int16))
    gone = PreviewRequest("Heard offline, and evicted since.", "sarah", BUILTIN)
    page.controller.replay(HistoryEntry.of(kept, 0.5))
    qtbot.waitUntil(lambda: finished(page), timeout=LONG)
    clip = page.controller.clip
    assert isinstance(clip, Clip) and clip.from_cache and clip.request.engine == BUILTIN
    page.controller.replay(HistoryEntry.of(gone, 0.5))
    qtbot.waitUntil(lambda: page.controller.clip is not clip and finished(page), timeout=LONG)
    again = page.controller.clip
    assert again is not None and again.request.engine == tts_server.urls.tts and not again.from_cache
    assert tts_server.requests == 1
