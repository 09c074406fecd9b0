"""The view in document mode (batch results, recorded sessions): seek, playback, edits with undo, the menu."""

from __future__ import annotations

import srt
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.exporters import export
from studio.core.transcript import Transcript
from tests.qt.transcript.feed import (
    ViewFactory,
    conversation,
    paragraphs,
    shown,
    time_point,
    turn,
    word_edge,
    word_point,
)


def document() -> Transcript:
    """A batch result: a two-speaker conversation read back from json-v2."""
    t = Transcript()
    conversation(t)
    return Transcript.from_json_v2(t.to_json_v2())


def test_clicking_a_word_or_a_time_seeks_there(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = document()
    view = make_view(t, mode="document")
    second = paragraphs(view)[1]
    tokens = view.model.paragraph_index.text(second).tokens
    release = next(i for i, token in enumerate(tokens) if token.text == "release")
    with qtbot.waitSignal(view.seek_requested, timeout=2000) as seek:
        qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word_point(view, second, release))
    assert seek.args == [tokens[release].start]
    with qtbot.waitSignal(view.seek_requested, timeout=2000) as seek:
        qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=time_point(view, second))
    assert seek.args == [second.start]


def test_live_mode_selects_rather_than_seeks(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    conversation(t)
    view = make_view(t)
    seeks: list[float] = []
    view.seek_requested.connect(seeks.append)
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word_point(view, paragraphs(view)[0], 1))
    assert seeks == [] and view.selected_text() == "morning"


def test_the_word_being_played_is_highlighted_and_followed(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    at = 0.5
    for i in range(30):
        at = turn(t, f"Paragraph {i} has several words to read aloud.", at + 0.5, "S1" if i % 2 else "S2")
    view = make_view(t, mode="document", size=(600, 300))
    bar = view.list.verticalScrollBar()
    assert bar.value() == 0
    target = paragraphs(view)[25]
    tokens = view.model.paragraph_index.text(target).tokens
    view.set_playback_time(tokens[2].start + 0.05)  # the third word, "has"
    assert view.list.playing is not None and view.list.playing[0] is target
    start, end = view.list.playing[1]
    assert view.model.paragraph_index.text(target).text[start:end] == "has"
    playing = view.playing_token()
    assert playing is not None and playing.text == "has" and playing is tokens[2]
    word = view.word_rect(target, 2)  # where "has" is drawn: a click there plays it again
    assert view.list.viewport().rect().contains(word.center())
    seeks: list[float] = []
    view.seek_requested.connect(seeks.append)
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word.center())
    assert seeks == [tokens[2].start]
    rect = view.list.visualRect(view.model.index_of(view.model.row_of(target)))
    assert 0 <= rect.top() < view.list.viewport().height()  # followed: on screen
    view.set_follow_playback(False)
    bar.setValue(0)
    view.set_playback_time(tokens[4].start + 0.05)
    assert bar.value() == 0  # not followed
    start, end = view.list.playing[1]
    assert view.model.paragraph_index.text(target).text[start:end] == "words"
    view.set_playback_time(None)
    assert view.list.playing is None and view.playing_token() is None


def test_an_edit_keeps_the_timing_reaches_the_srt_and_undoes(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = document()
    view = make_view(t, mode="document")
    before = list(srt.parse(export(t, "srt").decode()))
    third = paragraphs(view)[2]
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word_point(view, third, 1))
    editor = view.paragraph_editor
    assert editor.isVisible() and editor.toPlainText() == "Yes. The beta ships on Friday."
    editor.selectAll()
    qtbot.keyClicks(editor, "Yes. The beta ships on Thursday.")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert not editor.isVisible()
    assert shown(view)[2] == ("Speaker 1", "Yes. The beta ships on Thursday.")
    words = {tok.text: (tok.start, tok.end) for tok in t.finals() if tok.start >= third.start}
    old = {tok.text: (tok.start, tok.end) for tok in document().finals() if tok.start >= third.start}
    assert words["Thursday"] == old["Friday"] and words["beta"] == old["beta"]  # the words keep their timing
    after = list(srt.parse(export(t, "srt").decode()))
    assert "Thursday" in after[-1].content and "Friday" not in after[-1].content
    assert [c.start for c in after] == [c.start for c in before]  # (a longer word may lengthen its cue's end)
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    view.flush()
    assert shown(view)[2] == ("Speaker 1", "Yes. The beta ships on Friday.")
    assert [c.content for c in srt.parse(export(t, "srt").decode())] == [c.content for c in before]
    qtbot.keyClick(view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    view.flush()
    assert shown(view)[2] == ("Speaker 1", "Yes. The beta ships on Thursday.")
    assert view.undo_stack.count() == 1 and view.undo_stack.undoText().startswith("Edit")


def test_an_edit_that_empties_a_paragraph_deletes_its_words_and_undo_brings_them_back(qtbot: QtBot,
                                                                                      make_view: ViewFactory) -> None:
    t = document()
    view = make_view(t, mode="document")
    before = shown(view)
    second = paragraphs(view)[1]
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word_point(view, second, 1))
    editor = view.paragraph_editor
    assert editor.isVisible()
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    view.flush()
    assert shown(view) == [before[0], before[2]]  # gone (Speaker 1 paused longer than a paragraph's pause)
    assert "release schedule" not in export(t, "txt").decode()
    assert view.undo_stack.undoText().startswith("Delete “Morning!")
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    view.flush()
    assert shown(view) == before
    assert "release schedule" in export(t, "txt").decode()


def test_f2_edits_the_current_paragraph_and_escape_cancels(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = document()
    view = make_view(t, mode="document")
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    assert view.list.currentIndex().row() == 1
    qtbot.keyClick(view.list, Qt.Key.Key_F2)
    assert view.paragraph_editor.isVisible()
    qtbot.keyClicks(view.paragraph_editor, "nonsense")
    qtbot.keyClick(view.paragraph_editor, Qt.Key.Key_Escape)
    assert shown(view)[1][1] == "Morning! Should we start with the release schedule?"
    with qtbot.waitSignal(view.seek_requested, timeout=2000) as seek:
        qtbot.keyClick(view.list, Qt.Key.Key_Return)  # Enter plays from the current paragraph
    assert seek.args == [paragraphs(view)[1].start]


def test_the_context_menu_speaks_plays_and_copies(qtbot: QtBot, make_view: ViewFactory) -> None:
    from PySide6.QtWidgets import QApplication

    t = document()
    view = make_view(t, mode="document")
    second = paragraphs(view)[1]
    menu = view.context_menu(second, when=4.0)
    actions = {a.text(): a for a in menu.actions() if not a.isSeparator()}
    assert list(actions) == ["Copy", "Speak this line", "Play from here", "Rename “Speaker 2”…", "Edit text…",
                             "Add a bookmark here", "Select all"]
    with qtbot.waitSignal(view.speak_requested, timeout=2000) as spoken:
        actions["Speak this line"].trigger()
    assert spoken.args == ["Morning! Should we start with the release schedule?"]
    with qtbot.waitSignal(view.seek_requested, timeout=2000) as seek:
        actions["Play from here"].trigger()
    assert seek.args == [4.0]
    actions["Copy"].trigger()
    assert QApplication.clipboard().text() == "Morning! Should we start with the release schedule?"
    actions["Add a bookmark here"].trigger()
    view.flush()
    assert [b.time for b in t.bookmarks] == [4.0]
    bookmark_row = next(r for r in view.model.rows if type(r).__name__ == "BookmarkRow")
    remove = next(a for a in view.context_menu(bookmark_row).actions() if a.text() == "Remove bookmark")
    remove.trigger()
    view.flush()
    assert t.bookmarks == [] and all(type(r).__name__ == "Paragraph" for r in view.model.rows)
    live = view.context_menu(second)
    view.set_mode("live")
    assert "Play from here" not in [a.text() for a in view.context_menu(second).actions()]
    assert "Play from here" in [a.text() for a in live.actions()]


def test_a_menu_over_a_selection_speaks_the_selected_words(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = document()
    view = make_view(t, mode="document")
    first, second = paragraphs(view)[:2]
    qtbot.mousePress(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word_edge(view, first, 4))
    qtbot.mouseMove(view.list.viewport(), pos=word_edge(view, second, 2))
    qtbot.mouseRelease(view.list.viewport(), Qt.MouseButton.LeftButton, pos=word_edge(view, second, 2))
    menu = view.context_menu(second)
    with qtbot.waitSignal(view.speak_requested, timeout=2000) as spoken:
        next(a for a in menu.actions() if a.text() == "Speak this line").trigger()
    words = spoken.args[0]
    assert words == "thanks for joining. Morning!"  # words only, no names


def test_opening_another_document_replaces_the_view_and_its_history(make_view: ViewFactory) -> None:
    t = document()
    view = make_view(t, mode="document")
    view.edit_words(paragraphs(view)[0], "Hello everyone.")
    assert view.undo_stack.count() == 1
    other = Transcript()
    turn(other, "A different recording.", 0.2, "S1")
    view.set_transcript(other)
    view.flush()
    assert shown(view) == [("Speaker 1", "A different recording.")]
    assert view.undo_stack.count() == 0
    turn(t, "Changes to the old transcript are not shown.", 40.0, "S1")
    turn(other, "Changes to the new one are.", 5.0, "S1")
    view.flush()
    assert shown(view) == [("Speaker 1", "A different recording."), ("Speaker 1", "Changes to the new one are.")]


def test_a_resize_keeps_the_paragraph_being_read_at_the_top(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    at = 0.5
    for i in range(60):
        at = turn(t, f"Paragraph {i} is long enough to wrap onto a second line when the window is narrow.",
                  at + 0.5, "S1" if i % 2 else "S2")
    view = make_view(t, mode="document", size=(700, 320))
    geometry = view.list.geometry_
    qtbot.waitUntil(lambda: all(geometry.is_exact(r) for r in range(len(geometry))), timeout=10000)
    target = paragraphs(view)[30]
    view.list.scroll_to_y(geometry.top(view.model.row_of(target)))
    view.resize(380, 320)
    qtbot.waitUntil(lambda: all(geometry.is_exact(r) for r in range(len(geometry))), timeout=10000)
    assert view.model.rows[geometry.row_at(view.list.verticalScrollBar().value())] is target
    assert view.list.visualRect(view.model.index_of(view.model.row_of(target))).top() == 0
