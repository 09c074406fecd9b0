"""The results viewer: a click on a word seeks playback there, the playing word is highlighted, speed and
keys work, edits are saved with the job and reach the SRT, and the audio-intelligence tabs (including the
built-in engine's "not available") seek on a click."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtMultimedia import QMediaPlayer
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.jobs import Job
from studio.core.transcript.paragraphs import Paragraph
from studio.qt.batch.export_dialog import ExportDialog
from studio.qt.batch.page import BatchPage
from studio.qt.batch.viewer.insights import EntryList
from studio.qt.batch.viewer.results import ResultsViewer
from studio.storage.jobs_store import JobStore
from tests.qt.batch.conftest import batch_page, drop, wait_finished
from tests.qt.batch.test_drop import copy


def opened(studio: Studio, qtbot: QtBot, tmp_path: Path) -> tuple[BatchPage, ResultsViewer, Job]:
    page = batch_page(studio, qtbot)
    drop(page, [copy(tmp_path / "talk.wav")])
    (job,) = wait_finished(qtbot, page, 1)
    page.open_result(job.id)
    qtbot.waitUntil(lambda: page.viewer is not None and page.viewer.job_id == job.id, timeout=10000)
    assert page.viewer is not None
    page.viewer.view.flush()
    return page, page.viewer, job


def word_point(viewer: ResultsViewer, row: int, token: int) -> tuple[QPoint, float]:
    """Where the ``token``-th token of list row ``row`` is drawn, and its start time."""
    lst = viewer.view.list
    item = lst.rows[row]
    assert isinstance(item, Paragraph)
    text = viewer.view.model.paragraph_index.text(item)
    start, end = text.span(token)
    layout = lst.layout_for(row)
    caret = lst.delegate_.caret_rect(layout, (start + end) // 2)
    top = lst.visualRect(viewer.view.model.index_of(row)).top()
    return QPoint(int(caret.center().x()), top + int(caret.center().y())), text.tokens[token].start


def test_a_click_on_a_word_plays_from_there_and_the_playing_word_is_lit(studio: Studio, qtbot: QtBot,
                                                                        tmp_path: Path) -> None:
    _page, viewer, _job = opened(studio, qtbot, tmp_path)
    row = next(row for row, item in enumerate(viewer.view.list.rows) if isinstance(item, Paragraph))
    paragraph = viewer.view.list.rows[row]
    assert isinstance(paragraph, Paragraph)
    tokens = viewer.view.model.paragraph_index.text(paragraph).tokens
    later = next(index for index, token in enumerate(tokens) if token.start >= 2.0 and not token.is_punctuation)
    point, start = word_point(viewer, row, later)
    with qtbot.waitSignal(viewer.view.seek_requested, timeout=5000) as seek:
        qtbot.mouseClick(viewer.view.list.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert seek.args == [start]
    player = viewer.media.player
    qtbot.waitUntil(lambda: player.playbackState() is QMediaPlayer.PlaybackState.PlayingState, timeout=10000)
    qtbot.waitUntil(lambda: player.position() >= start * 1000 + 300, timeout=15000)  # playing on from there
    viewer.media.pause()
    qtbot.waitUntil(lambda: viewer.view.list.playing is not None, timeout=5000)
    at = player.position() / 1000
    playing = viewer.view.list.playing
    assert playing is not None
    lit_item, (lit_start, _lit_end) = playing
    assert isinstance(lit_item, Paragraph)
    text = viewer.view.model.paragraph_index.text(lit_item)
    lit = next(token for index, token in enumerate(text.tokens) if text.span(index)[0] == lit_start)
    words = [t for t in viewer.transcript.all_finals() if not t.is_punctuation]
    expected = words[bisect.bisect_right([w.start for w in words], at) - 1]
    assert (lit.text, lit.start) == (expected.text, expected.start)  # the word being played, not another


def test_speed_and_keys(studio: Studio, qtbot: QtBot, tmp_path: Path) -> None:
    _page, viewer, _job = opened(studio, qtbot, tmp_path)
    viewer.media.speed.setCurrentIndex(viewer.media.speed.findData(2.0))
    assert viewer.media.player.playbackRate() == 2.0
    assert studio.state.settings.batch.playback_rate == 2.0  # remembered
    viewer.media.speed.setCurrentIndex(viewer.media.speed.findData(0.5))
    assert viewer.media.player.playbackRate() == 0.5
    studio.window.show()
    qtbot.waitExposed(studio.window)
    handle = studio.window.windowHandle()
    assert handle is not None
    handle.requestActivate()
    with qtbot.waitActive(studio.window, timeout=5000):
        pass  # keyboard shortcuts reach the active window only
    viewer.view.list.setFocus()
    qtbot.keyClick(viewer.view.list, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: viewer.media.playing, timeout=5000)
    qtbot.keyClick(viewer.view.list, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: viewer.media.position >= 5.0, timeout=5000)  # skipped 5 s on
    qtbot.keyClick(viewer.view.list, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not viewer.media.playing, timeout=5000)


def test_edits_are_saved_with_the_job_and_reach_the_srt(studio: Studio, qtbot: QtBot, tmp_path: Path) -> None:
    page, viewer, job = opened(studio, qtbot, tmp_path)
    paragraph = next(item for item in viewer.view.list.rows if isinstance(item, Paragraph))
    original = viewer.view.model.paragraph_index.segment(paragraph).text
    words = original.split()
    edited = " ".join(["Gorgonzola", *words[1:]])
    viewer.view.edit_words(paragraph, edited)
    store_path = page.runtime.path

    def saved() -> bool:
        store = JobStore(store_path)
        try:
            document = store.result(job.id) or {}
        finally:
            store.close()
        return any(r["alternatives"][0]["content"] == "Gorgonzola" for r in document.get("results", []))

    qtbot.waitUntil(saved, timeout=10000)
    first = viewer.transcript.segments()[0]
    assert first.tokens[0].text == "Gorgonzola" and first.tokens[0].start == paragraph_start(viewer)
    viewer.export()
    dialog = viewer.findChild(ExportDialog)
    assert dialog is not None
    out = tmp_path / "out"
    dialog.folder.setText(str(out))
    for fmt, box in dialog.formats.items():
        box.setChecked(fmt == "srt")
    dialog.export_button.click()
    qtbot.waitUntil(lambda: (out / "talk.srt").exists(), timeout=10000)
    assert "Gorgonzola" in (out / "talk.srt").read_text()
    viewer.view.undo_stack.undo()
    assert viewer.transcript.segments()[0].tokens[0].text == words[0]


def paragraph_start(viewer: ResultsViewer) -> float:
    return next(t for t in viewer.transcript.all_finals() if not t.is_punctuation).start


INSIGHTS: dict[str, Any] = {
    "summary": {"content": "The team agreed to ship on Friday."},
    "chapters": [{"title": "Welcome", "summary": "Hello", "start_time": 0.5, "end_time": 3.0},
                 {"title": "The plan", "summary": "Dates", "start_time": 4.25, "end_time": 9.0}],
    "sentiment_analysis": {"segments": [{"text": "Welcome to the studio.", "sentiment": "positive",
                                         "start_time": 0.5, "end_time": 2.0, "confidence": 0.9}],
                           "summary": {"overall": {"positive_count": 1, "negative_count": 0,
                                                   "neutral_count": 2}}},
    "topics": {"segments": [{"text": "ship on Friday", "start_time": 6.0, "end_time": 7.0,
                             "topics": [{"topic": "Business"}]}], "summary": {"overall": {"Business": 1}}},
}


def test_intelligence_tabs_seek_and_say_what_is_not_available(studio: Studio, qtbot: QtBot,
                                                               tmp_path: Path) -> None:
    _page, viewer, job = opened(studio, qtbot, tmp_path)
    document = viewer.transcript.to_json_v2()
    viewer.show_result(job, {**document, **INSIGHTS})
    titles = [viewer.insights.tabText(i) for i in range(viewer.insights.count())]
    assert titles == ["Summary", "Sentiment", "Topics", "Chapters"]
    chapters = viewer.insights.widget(3)
    assert chapters is not None
    from PySide6.QtWidgets import QListView

    view = chapters.findChild(QListView)
    assert view is not None and isinstance(view.model(), EntryList)
    assert view.model().index(1, 0).data() == "0:04  The plan"
    with qtbot.waitSignal(viewer.insights.seek_requested, timeout=5000) as seek:
        view.clicked.emit(view.model().index(1, 0))
    assert seek.args == [4.25]
    qtbot.waitUntil(lambda: viewer.media.player.position() >= 4250, timeout=10000)
    sentiment = viewer.insights.widget(1)
    assert sentiment is not None and "Overall: 1 positive, 2 neutral, 0 negative" in _texts(sentiment)

    # The built-in engine's answer to a summary request: shown as not available, not as an empty tab.
    missing = {**document, "metadata": {**document["metadata"], "summarization_errors": [
        {"type": "summarization_failed", "message": "Summaries are not available in the built-in engine"}]}}
    viewer.show_result(job, missing)
    assert [viewer.insights.tabText(i) for i in range(viewer.insights.count())] == ["Summary (n/a)"]
    tab = viewer.insights.widget(0)
    assert tab is not None
    assert "Not available: Summaries are not available in the built-in engine" in _texts(tab)
    viewer.show_result(job, document)  # nothing asked for: no panel at all
    assert viewer.insights.count() == 0 and viewer.insights.isHidden()


def _texts(widget: Any) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in widget.findChildren(QLabel))
