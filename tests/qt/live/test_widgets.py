"""The Live workspace's widgets on their own: the caption overlay, the session settings panel, the source
picker, the export dialog and the waveform pane, offscreen with pytest-qt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import srt
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication
from pytestqt.qtbot import QtBot

from studio.api.config import VocabEntry
from studio.audio.ring import AudioRing
from studio.core.transcript import Transcript
from studio.qt.bridge import AsyncBridge
from studio.qt.live.export_dialog import ExportDialog, snapshot
from studio.qt.live.overlay import CaptionOverlay, OverlayStyle
from studio.qt.live.regions import SpeechRegions
from studio.qt.live.session_settings import SessionSettingsPanel
from studio.qt.live.source_picker import SourcePicker
from studio.qt.live.word_lists import LanguageChecklist, VocabModel
from studio.qt.theme import DARK, LIGHT, Colors
from studio.services.live import LiveConfig, SourceChoice, SourceInfo, SourceKind, Sources
from tests.qt.live.test_envelope_regions_captions import message, words

COLOURS = ["#2563eb", "#c2410c", "#15803d"]


def colors() -> Colors:
    return LIGHT


def conversation() -> Transcript:
    transcript = Transcript()
    transcript.apply(message("AddTranscript", words("Good morning everyone, thanks for joining.", 0.0), "Me"))
    transcript.apply(message("AddTranscript", words("Morning. Can you hear me all right?", 4.0), "Them"))
    transcript.apply(message("AddTranscript", words("Yes, loud and clear.", 8.0), "Me"))
    return transcript


@pytest.fixture
def bridge(qtbot: QtBot) -> Iterator[AsyncBridge]:
    made = AsyncBridge()
    yield made
    made.shutdown()


# -- the overlay ---------------------------------------------------------------------------------------------
def make_overlay(qtbot: QtBot, transcript: Transcript, style: OverlayStyle | None = None) -> CaptionOverlay:
    overlay = CaptionOverlay(transcript, colors, lambda i: QColor(COLOURS[i % 3]), style or OverlayStyle())
    qtbot.addWidget(overlay)
    overlay.place(())
    overlay.show()
    qtbot.waitExposed(overlay)
    return overlay


def test_overlay_is_frameless_on_top_and_shows_the_last_lines_with_names(qtbot: QtBot) -> None:
    transcript = conversation()
    overlay = make_overlay(qtbot, transcript, OverlayStyle(font_size=24, lines=2))
    flags = overlay.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint and flags & Qt.WindowType.WindowStaysOnTopHint
    assert not overlay.click_through
    overlay.resize(2000, overlay.height())  # wide enough for a turn a line
    lines = overlay.visible_lines()
    assert len(lines) == 2
    assert lines[0][0] == ("name", "Them: ") and lines[1][0] == ("name", "Me: ")
    assert overlay.caption_text().endswith("Me: Yes, loud and clear.")
    transcript.apply(message("AddPartialTranscript", words("let us begin", 10.0), "Me"))
    assert overlay.visible_lines()[-1][-1] == ("partial", "let us begin")
    overlay.set_style(OverlayStyle(font_size=24, lines=2, reading_mode=True))
    assert "let us begin" not in overlay.caption_text()  # reading mode: finals only
    transcript.speakers.rename("Them", "Alice")
    overlay.set_style(OverlayStyle(font_size=24, lines=3))
    assert "Alice: Morning." in overlay.caption_text()


def test_overlay_wraps_and_keeps_only_its_lines_at_a_very_large_size(qtbot: QtBot) -> None:
    overlay = make_overlay(qtbot, conversation(), OverlayStyle(font_size=140, lines=2))
    overlay.resize(600, overlay.fitting_height())
    assert overlay.height() >= 2 * 140
    assert len(overlay.visible_lines()) == 2
    assert overlay.visible_lines()[-1][-1][1].strip().endswith("clear.")


def test_overlay_keeps_the_speaker_name_on_the_top_line_of_a_long_turn(qtbot: QtBot) -> None:
    transcript = Transcript()
    transcript.apply(message("AddTranscript", words("Short question?", 0.0), "Me"))
    monologue = " ".join(f"word{i}" for i in range(60)) + "."
    transcript.apply(message("AddTranscript", words(monologue, 2.0, step=0.3), "Them"))
    overlay = make_overlay(qtbot, transcript, OverlayStyle(font_size=24, lines=2))
    overlay.resize(700, overlay.fitting_height())
    lines = overlay.visible_lines()
    assert len(lines) == 2
    assert lines[0][0] == ("name", "Them: … ")  # the turn began earlier, and it is still Them speaking
    assert lines[-1][-1][1].endswith("word59.")
    shown = "".join(text for line in lines for kind, text in line if kind != "name").split()
    assert shown == [f"word{i}" for i in range(60 - len(shown), 59)] + ["word59."]  # the newest words, in order


def test_overlay_click_through_and_placement(qtbot: QtBot) -> None:
    overlay = make_overlay(qtbot, conversation())
    overlay.set_style(OverlayStyle(click_through=True))
    assert overlay.click_through and overlay.isVisible()
    screen = QGuiApplication.primaryScreen().availableGeometry()
    overlay.place((screen.right() + 5000, screen.bottom() + 5000, 500, 100))  # a screen that is gone
    assert screen.contains(overlay.geometry().center())
    overlay.place((screen.x() + 10, screen.y() + 20, 400, 90))
    assert overlay.geometry() == QRect(screen.x() + 10, screen.y() + 20, 400, 90)
    with qtbot.waitSignal(overlay.geometry_changed, timeout=3000) as moved:
        overlay.move(screen.x() + 30, screen.y() + 40)
    assert moved.args[0][:2] == (screen.x() + 30, screen.y() + 40)


def test_overlay_context_menu_changes_its_style(qtbot: QtBot) -> None:
    overlay = make_overlay(qtbot, conversation(), OverlayStyle(font_size=20, lines=2))
    menu = overlay.context_menu()
    larger = next(a for a in menu.actions() if a.text() == "Larger text")
    with qtbot.waitSignal(overlay.style_changed) as changed:
        larger.trigger()
    assert changed.args[0].font_size == 25 and overlay.style_.font_size == 25


# -- the session settings panel -------------------------------------------------------------------------------
def test_settings_panel_round_trips_a_config_and_greys_out_what_cannot_change(qtbot: QtBot) -> None:
    config = LiveConfig(language="de", operating_point="enhanced", max_delay=1.5, enable_partials=False,
                        diarization="speaker", max_speakers=4, speaker_sensitivity=0.7,
                        vocab=(VocabEntry("Speechmatics", ("speech matics",)),), enable_entities=True,
                        translation_targets=("fr", "es"), end_of_utterance_silence=0.8)
    panel = SessionSettingsPanel(config)
    qtbot.addWidget(panel)
    assert panel.config() == config
    assert panel.vocab_button.text() == "1 word…" and panel.translation_button.text() == "French, Spanish…"
    with qtbot.waitSignal(panel.changed) as changed:
        panel.max_delay.setValue(3.0)
    assert changed.args[0].max_delay == 3.0
    panel.set_running(True)
    assert not panel.language.isEnabled() and "fixed when the session starts" in panel.language.toolTip()
    assert not panel.vocab_button.isEnabled() and not panel.translation_button.isEnabled()
    assert panel.max_delay.isEnabled() and panel.partials.isEnabled() and panel.end_of_utterance.isEnabled()
    panel.set_running(False)
    assert panel.language.isEnabled()
    panel.diarization.setCurrentIndex(panel.diarization.findData("none"))
    assert not panel.max_speakers.isEnabled()  # only for telling speakers apart
    for widget in panel.findChildren(type(panel.language)):
        assert widget.accessibleName()


def test_word_list_models_edit_plain_lists() -> None:
    vocab = VocabModel([VocabEntry("gnocchi", ("nyohki",))])
    index = vocab.add()
    vocab.setData(index, "Hyprnote")
    vocab.setData(vocab.index(1, 1), "hyper note, hype note")
    assert vocab.entries() == (VocabEntry("gnocchi", ("nyohki",)), VocabEntry("Hyprnote", ("hyper note", "hype note")))
    languages = LanguageChecklist(["fr"], limit=2, exclude="en")
    assert "en" not in languages.codes
    rows = {code: languages.index(i) for i, code in enumerate(languages.codes)}
    assert languages.setData(rows["de"], Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert not languages.setData(rows["es"], Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert not languages.flags(rows["es"]) & Qt.ItemFlag.ItemIsUserCheckable  # the limit is reached
    assert languages.checked == ["fr", "de"]


# -- the source picker ----------------------------------------------------------------------------------------
SOURCES = Sources(
    microphones=(SourceInfo("pulse:mic_a", "Desk microphone", SourceKind.MIC, True),
                 SourceInfo("pulse:mic_b", "Headset", SourceKind.MIC)),
    system=(SourceInfo("pulse:out.monitor", "Monitor of Speakers", SourceKind.SYSTEM, True),))


def test_source_picker_keeps_the_remembered_device_and_says_when_it_is_missing(qtbot: QtBot) -> None:
    picker = SourcePicker(colors, SourceChoice(SourceKind.BOTH, "pulse:mic_b", None))
    qtbot.addWidget(picker)
    picker.show()
    picker.set_sources(SOURCES)
    assert picker.choice() == SourceChoice(SourceKind.BOTH, "pulse:mic_b", None)
    assert picker.microphone_label.text() == "Me" and picker.system.isVisible()
    unplugged = Sources(SOURCES.microphones[:1], SOURCES.system)
    picker.set_sources(unplugged)
    assert picker.microphone.currentText() == "mic_b (not connected)"
    assert picker.choice().microphone_id == "pulse:mic_b"
    picker.set_sources(SOURCES)  # plugged in again: chosen again, under its own name
    assert picker.microphone.currentText() == "Headset"
    with qtbot.waitSignal(picker.choice_changed) as changed:
        picker.kind.setCurrentIndex(picker.kind.findData("mic"))
    assert changed.args[0].kind is SourceKind.MIC and not picker.system.isVisible()
    picker.set_levels({"Me": 0.5})
    assert picker.meters["Me"].active and picker.meters["Me"].db == pytest.approx(-6.0, abs=0.1)
    picker.set_running(True)
    assert not picker.kind.isEnabled() and "fixed while a session runs" in picker.kind.toolTip()


def test_source_picker_shows_the_system_audio_note_where_it_is_chosen(qtbot: QtBot) -> None:
    picker = SourcePicker(colors, SourceChoice(SourceKind.MIC))
    qtbot.addWidget(picker)
    picker.show()
    note = "System audio needs a virtual audio device such as BlackHole."
    picker.set_sources(Sources(SOURCES.microphones, (), note))
    assert not picker.note.isVisible()
    picker.kind.setCurrentIndex(picker.kind.findData("system"))
    assert picker.note.isVisible() and picker.note.text() == note


# -- the export dialog ----------------------------------------------------------------------------------------
def test_export_writes_every_format_with_the_subtitle_options(qtbot: QtBot, bridge: AsyncBridge,
                                                              tmp_path: Path) -> None:
    transcript = conversation()
    transcript.speakers.rename("Them", "Alice")
    transcript.add_bookmark(5.0, "budget")
    dialog = ExportDialog(transcript, lambda: bridge, folder=tmp_path, name="meeting")
    qtbot.addWidget(dialog)
    for box in dialog.format_boxes.values():
        box.setChecked(True)
    dialog.chars.setValue(30)
    dialog.lines.setValue(1)
    with qtbot.waitSignal(dialog.exported, timeout=10000) as done:
        dialog.start_export()
    assert sorted(p.name for p in done.args[0]) == [f"meeting.{f}" for f in ("docx", "json", "srt", "txt", "vtt")]
    cues = list(srt.parse((tmp_path / "meeting.srt").read_text()))
    assert cues and all(len(c.content) <= 30 + len("Alice: ") and "\n" not in c.content for c in cues)
    assert any(c.content.startswith("Alice: ") for c in cues)
    text = (tmp_path / "meeting.txt").read_text()
    assert "Alice: Morning." in text and "budget" in text
    assert "<v Alice>" in (tmp_path / "meeting.vtt").read_text()


def test_export_failure_is_said_in_the_dialog_and_keeps_the_choices(qtbot: QtBot, bridge: AsyncBridge,
                                                                   tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    dialog = ExportDialog(conversation(), lambda: bridge, folder=blocker / "sub", name="meeting")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start_export()
    qtbot.waitUntil(lambda: dialog.status.objectName() == "ErrorText", timeout=10000)
    assert "could not be used" in dialog.status.text() and "Traceback" not in dialog.status.text()
    assert dialog.isVisible() and dialog.export_button.isEnabled() and dialog.name.text() == "meeting"


def test_snapshot_is_independent_of_the_live_transcript() -> None:
    transcript = conversation()
    copy = snapshot(transcript)
    transcript.apply(message("AddTranscript", words("more words", 20.0), "Me"))
    transcript.speakers.rename("Me", "Sam")
    assert len(copy.finals("Me")) < len(transcript.finals("Me"))
    assert copy.speakers.display("Me") == "Me"
    assert [s.key for s in copy.speakers] == [s.key for s in transcript.speakers]  # same colours


# -- the waveform pane ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("palette", [LIGHT, DARK])
def test_waveform_draws_two_lanes_at_display_rate_and_zooms(qtbot: QtBot, palette: Colors) -> None:
    from studio.qt.live.waveform import Lane, WaveformPane

    me, them = AudioRing(16000 * 30), AudioRing(16000 * 30)
    me.write((np.sin(np.arange(16000 * 4) / 5) * 0.5).astype(np.float32))
    them.write(np.zeros(16000 * 4, dtype=np.float32))
    transcript = conversation()
    pane = WaveformPane(lambda: palette, seconds=10)
    qtbot.addWidget(pane)
    pane.set_lanes([Lane("Me", me, 16000, "Me"), Lane("Them", them, 16000, "Them")])
    pane.set_regions(SpeechRegions(transcript))
    pane.resize(800, 160)
    pane.show()
    qtbot.waitExposed(pane)
    assert pane.running
    frames = pane.frames
    qtbot.waitUntil(lambda: pane.frames >= frames + 3, timeout=3000)  # its own timer draws it
    image = pane.plot_widget.grab().toImage()
    background = QColor(palette.base).rgb()
    pixels = {image.pixel(x, y) for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert len(pixels - {background}) > 3  # something drawn besides the background
    assert [label.text() for label in pane._name_labels] == ["Me", "Them"]
    with qtbot.waitSignal(pane.seconds_changed) as zoomed:
        pane.set_seconds(30)
    assert zoomed.args[0] == 30.0
    pane.set_seconds(500)
    assert pane.seconds == 60.0
    pane.set_lanes([])
    assert not pane.running
