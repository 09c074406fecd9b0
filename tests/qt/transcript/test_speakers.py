"""Speakers of a two-channel session with speaker diarization (``channel_and_speaker``): Me's "S1" and Them's
"S1" are different people in the view, the caption overlay and the exports."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from studio.core.exporters import export
from studio.core.transcript import Transcript
from studio.qt.live.overlay import CaptionOverlay, OverlayStyle
from studio.qt.theme import LIGHT
from studio.qt.transcript import speaker_color
from studio.qt.transcript.model import Roles
from tests.qt.transcript.feed import ViewFactory, name_point, paragraphs, partial, say, shown, turn


def meeting(transcript: Transcript) -> None:
    end = turn(transcript, "Can everyone hear me?", 0.5, "S1", channel="Me")
    end = turn(transcript, "Yes, loud and clear.", end + 0.6, "S1", channel="Them")
    end = turn(transcript, "Same here.", end + 0.6, "S2", channel="Them")
    end = turn(transcript, "Great, let us start.", end + 0.6, "S1", channel="Me")
    results, pend = say("I have the agenda", end + 0.6, "S1")
    transcript.apply(partial(results, end, pend, channel="Them"))


def test_each_channels_speakers_have_their_own_names_and_colours(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    overlay = CaptionOverlay(t, lambda: LIGHT, lambda i: speaker_color(i, LIGHT), OverlayStyle(font_size=14, lines=8))
    qtbot.addWidget(overlay)
    overlay.resize(2400, overlay.fitting_height())
    meeting(t)
    view.flush()
    assert [name for name, _words in shown(view)] == ["Me", "Them 1", "Them 2", "Me", "Them 1"]
    colours = {p.speaker: view.model.data(view.model.index_of(view.model.row_of(p)), Roles.COLOR_INDEX)
               for p in paragraphs(view)}
    assert colours == {"Me": 0, "Them/S1": 1, "Them/S2": 2}
    assert "Them 1: Yes, loud and clear." in overlay.caption_text() and "Me: Great, let us start." in \
        overlay.caption_text()

    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=name_point(view, paragraphs(view)[1]))
    assert view.name_editor.isVisible() and view.name_editor.text() == "Them 1"
    view.name_editor.selectAll()
    qtbot.keyClicks(view.name_editor, "Alice")
    qtbot.keyClick(view.name_editor, Qt.Key.Key_Return)
    view.flush()
    assert [name for name, _words in shown(view)] == ["Me", "Alice", "Them 2", "Me", "Alice"]  # Me is not Alice
    caption = overlay.caption_text()
    assert "Alice: Yes, loud and clear." in caption and "Me: Can everyone hear me?" in caption
    assert "Alice: I have the agenda" in caption  # the partial of Them's first speaker too
    srt = export(t, "srt").decode()
    assert "Alice: Yes, loud and clear." in srt and "Them 2: Same here." in srt and "Me: Can everyone" in srt
    again = Transcript.from_json_v2(t.to_json_v2())
    assert [again.speakers.display(k) for k in ("Me", "Them/S1", "Them/S2")] == ["Me", "Alice", "Them 2"]
    assert QColor(speaker_color(colours["Them/S1"], LIGHT)) != QColor(speaker_color(colours["Me"], LIGHT))
