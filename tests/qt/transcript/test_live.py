"""The view in live mode, driven by a real Transcript fed the service's realtime messages."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QTextCharFormat
from pytestqt.qtbot import QtBot

from studio.core.exporters import export
from studio.core.transcript import Transcript
from studio.core.transcript.paragraphs import BookmarkRow, Paragraph
from studio.qt.transcript.model import Roles
from tests.qt.transcript.feed import (
    ViewFactory,
    conversation,
    final,
    name_point,
    paragraphs,
    partial,
    say,
    shown,
    turn,
)


def partial_formats(view: object, paragraph: Paragraph) -> list[tuple[int, int, bool]]:
    from studio.qt.transcript import TranscriptView

    assert isinstance(view, TranscriptView)
    layout = view.list.layout_for(view.model.row_of(paragraph))
    return [(f.start, f.length, f.format.fontItalic()) for f in layout.formats()]


def test_partials_appear_lighter_and_are_replaced_in_place_then_settle(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    results, end = say("Hello there", 0.5, "S1")
    t.apply(partial(results[:1], 0.0, 0.8))
    qtbot.waitUntil(lambda: shown(view) == [("Speaker 1", "Hello")], timeout=3000)  # the frame timer applied it
    live = paragraphs(view)[0]
    assert live.is_live and partial_formats(view, live) == [(0, 5, True)]  # italic, lighter: a partial
    assert view.model.data(view.model.index_of(0), Roles.LIVE) is True
    t.apply(partial(results, 0.0, end))
    view.flush()
    assert shown(view) == [("Speaker 1", "Hello there")]
    assert paragraphs(view)[0] is live  # replaced in place: the same row
    t.apply(final(results, 0.0, end))
    t.apply(partial([], end, end))
    view.flush()
    assert shown(view) == [("Speaker 1", "Hello there")]
    settled = paragraphs(view)[0]
    assert not settled.is_live and not settled.partial
    assert partial_formats(view, settled) == []  # full colour: no partial range left
    assert view.model.data(view.model.index_of(0), Roles.LIVE) is False


def test_a_turn_per_speaker_with_stable_colours(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    conversation(t)
    view.flush()
    assert [name for name, _ in shown(view)] == ["Speaker 1", "Speaker 2", "Speaker 1"]
    colours = [view.model.data(view.model.index_of(view.model.row_of(p)), Roles.COLOR_INDEX) for p in paragraphs(view)]
    assert colours == [0, 1, 0]
    for i in range(20):  # more turns do not reshuffle anyone's colour
        turn(t, f"Point number {i}.", 20 + i * 3, "S2" if i % 2 else "S3")
    view.flush()
    by_speaker = {p.speaker: view.model.data(view.model.index_of(view.model.row_of(p)), Roles.COLOR_INDEX)
                  for p in paragraphs(view)}
    assert by_speaker == {"S1": 0, "S2": 1, "S3": 2}


def test_two_channels_interleave_each_with_its_partial_at_its_edge(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    end = turn(t, "Can you hear me?", 0.5, channel="Me")
    end = turn(t, "Yes, loud and clear.", end + 0.4, channel="Them")
    me, me_end = say("Great, let us", end + 0.4)
    t.apply(partial(me, end, me_end, channel="Me"))
    them, them_end = say("Sure", me_end + 0.2)
    t.apply(partial(them, end, them_end, channel="Them"))
    view.flush()
    assert shown(view) == [("Me", "Can you hear me?"), ("Them", "Yes, loud and clear."), ("Me", "Great, let us"),
                           ("Them", "Sure")]
    assert [p.is_live for p in paragraphs(view)] == [False, False, True, True]
    t.apply(final(me, end, me_end, channel="Me"))
    view.flush()
    assert shown(view)[2] == ("Me", "Great, let us") and not paragraphs(view)[2].is_live
    assert paragraphs(view)[3].is_live  # Them's partial still open at its own edge


def test_clicking_a_name_renames_the_speaker_in_the_view_and_the_exports(qtbot: QtBot, make_view: ViewFactory
                                                                         ) -> None:
    t = Transcript()
    view = make_view(t)
    conversation(t)
    view.flush()
    first = paragraphs(view)[0]
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=name_point(view, first))
    editor = view.name_editor
    assert editor.isVisible() and editor.text() == "Speaker 1" and editor.accessibleName() == "Speaker name"
    editor.selectAll()
    qtbot.keyClicks(editor, "Alice")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert not editor.isVisible()
    view.flush()
    assert [name for name, _ in shown(view)] == ["Alice", "Speaker 2", "Alice"]
    assert view.model.data(view.model.index_of(0), Qt.ItemDataRole.DisplayRole).startswith("Alice: Good morning")
    srt = export(t, "srt").decode()
    assert "Alice" in srt and "Speaker 1" not in srt


def test_escape_leaves_the_name_as_it_was(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    conversation(t)
    view.flush()
    view.rename_speaker(paragraphs(view)[1])
    qtbot.keyClicks(view.name_editor, "Bob")
    qtbot.keyClick(view.name_editor, Qt.Key.Key_Escape)
    assert t.speakers.display("S2") == "Speaker 2"


def test_low_confidence_words_are_underlined_above_the_threshold_setting(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    conversation(t)
    view.flush()
    second = paragraphs(view)[1]
    text = view.model.paragraph_index.text(second).text
    view.set_low_confidence(0.6)
    layout = view.list.layout_for(view.model.row_of(second))
    dotted = [(f.start, f.length) for f in layout.formats()
              if f.format.underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine]
    assert [text[s:s + n] for s, n in dotted] == ["schedule"]
    view.set_low_confidence(None)
    layout = view.list.layout_for(view.model.row_of(second))
    assert layout.parts and not layout.formats()


def test_reading_mode_shows_finals_only(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    end = turn(t, "Finished sentence.", 0.5, "S1")
    results, pend = say("and then", end + 0.2, "S1")
    other, oend = say("Wait", pend + 0.1, "S2")
    t.apply(partial(results + other, end, oend))  # one partial: the channel's whole open region
    view.flush()
    assert shown(view) == [("Speaker 1", "Finished sentence. and then"), ("Speaker 2", "Wait")]
    view.set_show_partials(False)
    assert shown(view) == [("Speaker 1", "Finished sentence.")]
    view.set_show_partials(True)
    assert shown(view) == [("Speaker 1", "Finished sentence. and then"), ("Speaker 2", "Wait")]


def test_bookmarks_are_marked_in_the_flow(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    end = turn(t, "Before the mark.", 0.5, "S1")
    t.add_bookmark(end + 0.1, "Action item")
    turn(t, "After the mark.", end + 0.3, "S1")
    view.flush()
    kinds = [type(r).__name__ for r in view.model.rows]
    assert kinds == ["Paragraph", "BookmarkRow", "Paragraph"]
    bookmark = view.model.rows[1]
    assert isinstance(bookmark, BookmarkRow)
    assert view.model.data(view.model.index_of(1), Qt.ItemDataRole.DisplayRole) == "Bookmark at 00:01 — Action item"


def test_translations_go_under_their_paragraph(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    conversation(t)
    first = turn(t, "One more thing.", 30.0, "S2")
    t.apply({"message": "AddTranslation", "language": "de",
             "results": [{"content": "Noch etwas.", "start_time": 30.0, "end_time": first}]})
    view.set_translation("de")
    view.flush()
    last = paragraphs(view)[-1]
    layout = view.list.layout_for(view.model.row_of(last))
    assert layout.translations() == ["Noch etwas."]
    plain = view.list.layout_for(view.model.row_of(paragraphs(view)[0]))
    assert plain.translations() == []
    assert layout.height > plain.height  # the translation takes a line of its own


def test_the_view_follows_the_live_edge_pauses_when_scrolled_up_and_jumps_back(qtbot: QtBot, make_view: ViewFactory
                                                                              ) -> None:
    t = Transcript()
    view = make_view(t, size=(600, 300))
    at = 0.5
    for i in range(40):
        at = turn(t, f"Sentence number {i} of a long meeting with quite a few words in it.", at + 0.5,
                  "S1" if i % 2 else "S2")
    view.flush()
    bar = view.list.verticalScrollBar()
    assert view.following_live and bar.maximum() > 0 and bar.value() == bar.maximum()
    assert not view.jump_button.isVisible()
    bar.triggerAction(bar.SliderAction.SliderPageStepSub)  # the user scrolls up a page
    assert not view.following_live and view.jump_button.isVisible()
    assert view.jump_button.accessibleName() == "Jump to live"
    held = bar.value()
    top_row = view.list.geometry_.row_at(held)
    for i in range(10):
        at = turn(t, f"More words arrive {i} while the user reads above.", at + 0.5, "S1" if i % 2 else "S2")
    view.flush()
    assert bar.value() == held and view.list.geometry_.row_at(bar.value()) == top_row  # what was read stays put
    qtbot.mouseClick(view.jump_button, Qt.MouseButton.LeftButton)
    assert view.following_live and bar.value() == bar.maximum() and not view.jump_button.isVisible()
    bar.triggerAction(bar.SliderAction.SliderPageStepSub)
    assert not view.following_live
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_End)
    assert view.following_live and bar.value() == bar.maximum()
    turn(t, "And the newest words are shown.", at + 0.5, "S2")
    view.flush()
    assert bar.value() == bar.maximum()
    last_row = len(view.model.rows) - 1
    assert view.list.visualRect(view.model.index_of(last_row)).bottom() <= view.list.viewport().height()


def test_updates_are_coalesced_into_one_frame(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    results, end = say("one two three four five six seven eight", 0.5, "S1")
    frames = []
    view.list.painted.connect(lambda: frames.append(len(view.model.rows)))
    synced: list[bool] = []
    original = view.model.sync

    def counting_sync() -> bool:
        synced.append(True)
        return original()

    view.model.sync = counting_sync  # type: ignore[method-assign]
    for n in range(1, len(results) + 1):  # eight partials in one go, as a burst from the service
        t.apply(partial(results[:n], 0.0, end))
    qtbot.waitUntil(lambda: bool(synced), timeout=3000)
    qtbot.waitUntil(lambda: bool(frames), timeout=3000)
    assert len(synced) == 1  # one frame applied all eight
    assert shown(view) == [("Speaker 1", "one two three four five six seven eight")]


def test_the_view_follows_font_and_theme_changes(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    conversation(t)
    view.flush()
    before = view.list.geometry_.heights[0]
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    view.setFont(font)
    view.flush()
    view.list.layout_for(0)
    assert view.list.geometry_.heights[0] > before


def test_every_control_has_an_accessible_name(qtbot: QtBot, make_view: ViewFactory) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPlainTextEdit, QWidget

    t = Transcript()
    view = make_view(t, mode="document")
    conversation(t)
    view.flush()
    view.show_find()
    controls = [w for w in view.findChildren(QWidget)
                if isinstance(w, QAbstractButton | QLineEdit | QPlainTextEdit) or w is view.list]
    assert len(controls) >= 8
    assert [w for w in controls if not w.accessibleName()] == []
    menu = view.context_menu(paragraphs(view)[0])
    assert menu.accessibleName() and all(a.text() for a in menu.actions() if not a.isSeparator())


def test_screen_readers_read_each_paragraph(make_view: ViewFactory) -> None:
    from PySide6.QtGui import QAccessible

    t = Transcript()
    view = make_view(t)
    conversation(t)
    view.flush()
    accessible = QAccessible.queryAccessibleInterface(view.list)
    assert accessible.role() == QAccessible.Role.List
    names = [accessible.child(i).text(QAccessible.Text.Name) for i in range(accessible.childCount())]
    assert names[0] == "Speaker 1: Good morning everyone, thanks for joining."
    assert len(names) == 3
    assert accessible.childAt(*view.list.viewport().mapToGlobal(QPoint(40, 20)).toTuple()) is not None
