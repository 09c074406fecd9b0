"""Find (Ctrl+F, next/previous, match count) and select + copy across paragraphs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.core.transcript import Transcript
from tests.qt.transcript.feed import ViewFactory, conversation, paragraphs, turn, word_edge


def test_ctrl_f_finds_with_a_count_and_steps_both_ways(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    at = 0.5
    for i in range(30):
        at = turn(t, f"Item {i}: the release is {'ready' if i % 3 == 0 else 'pending'}.", at + 0.5,
                  "S1" if i % 2 else "S2")
    view = make_view(t, size=(600, 300))
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view, timeout=3000)
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = view.find_bar
    assert bar.isVisible() and bar.edit.hasFocus()
    qtbot.keyClicks(bar.edit, "READY")
    qtbot.waitUntil(lambda: view.match_count == 10, timeout=3000)
    first = view.list.matches.current
    assert first is not None and bar.count.text().endswith("of 10")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)  # next
    second = view.list.matches.current
    assert second is not None and second[0] is not first[0]
    ordinal = view.list.matches.ordinal(view.list.rows)
    assert bar.count.text() == f"{ordinal} of 10"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # previous
    assert view.list.matches.current == first
    qtbot.keyClick(bar.edit, Qt.Key.Key_F3)
    assert view.list.matches.current == second
    row = view.model.row_of(second[0])
    rect = view.list.visualRect(view.model.index_of(row))
    assert 0 <= rect.top() < view.list.viewport().height()  # the match is shown
    bar.case.setChecked(True)
    assert view.match_count == 0 and bar.count.text() == "No matches"
    bar.case.setChecked(False)
    turn(t, "A late addition: ready.", at + 1, "S1")  # a live transcript keeps its count current
    view.flush()
    assert view.match_count == 11 and bar.count.text().endswith("of 11")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Escape)
    assert not bar.isVisible() and view.match_count == 0 and view.list.hasFocus()


def test_find_wraps_around(make_view: ViewFactory) -> None:
    t = Transcript()
    conversation(t)
    view = make_view(t)
    assert view.search("the") == 2  # "the release", "The beta"
    first = view.list.matches.current
    view.find_next()
    view.find_next()
    assert view.list.matches.current == first
    view.find_previous()
    assert view.list.matches.ordinal(view.list.rows) == 2


def test_dragging_selects_across_paragraphs_and_ctrl_c_copies_with_names(qtbot: QtBot, make_view: ViewFactory
                                                                         ) -> None:
    t = Transcript()
    conversation(t)
    view = make_view(t)
    first, _second, third = paragraphs(view)
    viewport = view.list.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=word_edge(view, first, 4))  # "thanks"
    qtbot.mouseMove(viewport, pos=word_edge(view, third, 3))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=word_edge(view, third, 3))  # before "beta"
    qtbot.keyClick(view.list, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == (
        "Speaker 1: thanks for joining.\n\n"
        "Speaker 2: Morning! Should we start with the release schedule?\n\n"
        "Speaker 1: Yes. The ")
    assert view.selected_text() == QApplication.clipboard().text()


def test_copy_within_a_paragraph_is_just_the_words_and_select_all_takes_everything(qtbot: QtBot,
                                                                                  make_view: ViewFactory) -> None:
    t = Transcript()
    conversation(t)
    view = make_view(t, mode="document")
    second = paragraphs(view)[1]
    viewport = view.list.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=word_edge(view, second, 2))
    qtbot.mouseMove(viewport, pos=word_edge(view, second, 5))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=word_edge(view, second, 5))
    assert view.selected_text() == "Should we start "
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view.list, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QApplication.clipboard().text()
    assert copied.startswith("[00:00] Speaker 1: Good morning everyone, thanks for joining.\n\n[00:03] Speaker 2:")
    assert copied.endswith("Speaker 1: Yes. The beta ships on Friday.")
    qtbot.keyClick(view.list, Qt.Key.Key_Escape)
    assert view.selected_text() == ""


def test_the_selection_survives_new_paragraphs(make_view: ViewFactory) -> None:
    t = Transcript()
    conversation(t)
    view = make_view(t)
    view.list.select_all()
    selected = view.selected_text()
    turn(t, "Something new arrives.", 40.0, "S2")
    view.flush()
    assert view.selected_text() == selected  # new rows are outside it


def brute_ordinal(view: object) -> int:
    from studio.qt.transcript import TranscriptView

    assert isinstance(view, TranscriptView)
    matches = view.list.matches
    assert matches.current is not None
    item, number = matches.current
    before = 0
    for row in view.list.rows:
        if row is item:
            return before + number + 1
        before += len(matches.hits(row))
    raise AssertionError("the current match is not shown")


def test_the_match_number_follows_changes_before_it_and_not_the_live_edge(make_view: ViewFactory) -> None:
    t = Transcript()
    at = 0.5
    for i in range(12):
        at = turn(t, f"Item {i} is ready.", at + 0.5, "S1" if i % 2 else "S2")
    view = make_view(t, mode="document")
    view.show_find()
    assert view.search("ready") == 12
    for _ in range(5):
        view.find_next()
    assert view.list.matches.ordinal() == brute_ordinal(view) == 6
    turn(t, "Also ready, and ready again.", at + 4.0, "S1")  # new words after the current match
    view.flush()
    assert view.match_count == 14 and view.list.matches.ordinal() == 6
    assert view.find_bar.count.text() == "6 of 14"
    earlier = paragraphs(view)[1]
    view.edit_words(earlier, "Item 1 is ready, really ready.")  # one more match before the current one
    assert view.match_count == 15 and view.list.matches.ordinal() == brute_ordinal(view) == 7
    view.edit_words(paragraphs(view)[0], "")  # a paragraph with a match before it deleted
    assert view.match_count == 14 and view.list.matches.ordinal() == brute_ordinal(view) == 6
    assert view.find_bar.count.text() == "6 of 14"
    view.undo_stack.undo()
    view.flush()
    assert view.list.matches.ordinal() == brute_ordinal(view) == 7
