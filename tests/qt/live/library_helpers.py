"""Recording real sessions with the Live page, and reaching the sessions library, for the library's tests.

``record(qtbot, page, me, them=None)`` runs a whole session with the page's Start and Stop: file-backed sources
paced by a fast clock, the real LiveSession and recorder, the server the studio talks to; it returns the
session's id once the page says it is saved. ``library_of(qtbot, page)`` shows the Recorded sessions tab and
waits for its list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.core.transcript.paragraphs import Paragraph
from studio.qt.live.library.view import SessionsView
from studio.qt.live.page import LivePage
from studio.qt.transcript import TranscriptView
from studio.services.live import SessionState, SourceChoice, SourceKind

LABELS = {"Me": "Desk microphone", "Them": "Meeting audio"}


def live_page(qtbot: QtBot, studio: Studio) -> LivePage:
    """The studio's window on screen (offscreen) with the Live workspace showing."""
    window = studio.window
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    page = window.show_workspace("live")
    assert isinstance(page, LivePage)
    qtbot.waitUntil(lambda: page.waveform is not None, timeout=10000)
    return page


def record(qtbot: QtBot, page: LivePage, me: Path, them: Path | None = None, *, speed: float = 4.0,
           until: Callable[[], bool] | None = None) -> str:
    """A whole session recorded through the page; its id."""
    clock = ScaledClock(speed)
    files = {"Me": me, "Them": them}
    page.controller.clock = clock
    page.controller.source_factory = lambda channel, _id: FileSource(files[channel] or me, clock=clock,
                                                                      label=LABELS[channel])
    page.picker.set_choice(SourceChoice(SourceKind.BOTH if them is not None else SourceKind.MIC))
    page.exported = True  # the last session's transcript is not asked about
    session = page.start()
    assert session is not None
    qtbot.waitUntil(lambda: session.state is SessionState.RUNNING, timeout=30000)
    qtbot.waitUntil(until or (lambda: session.audio_time() >= _seconds(me) + 0.5), timeout=60000)
    page.controller.stop()
    qtbot.waitUntil(lambda: session.state is SessionState.STOPPED and page.detail.text().startswith("Saved"),
                    timeout=60000)
    recorder = page.controller.recording.recorder
    assert recorder is not None and recorder.session_id
    return recorder.session_id


def _seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as wav:
        return float(wav.getnframes() / wav.getframerate())


def library_of(qtbot: QtBot, page: LivePage, count: int | None = None) -> SessionsView:
    page.trigger("library")
    library = page.library
    assert library is not None and page.tabs.library_showing
    qtbot.waitUntil(lambda: library.sessions.loaded and (count is None or library.sessions.model.rowCount() == count),
                    timeout=10000)
    return library


def open_in(qtbot: QtBot, library: SessionsView, session_id: str) -> None:
    library.open_session(session_id)
    qtbot.waitUntil(lambda: library.showing == session_id, timeout=10000)
    library.reader.view.flush()


def paragraphs(view: TranscriptView) -> list[Paragraph]:
    return [row for row in view.list.rows if isinstance(row, Paragraph)]


def word_point(view: TranscriptView, row: int, token: int) -> tuple[QPoint, float]:
    """Where the ``token``-th token of list row ``row`` is drawn, and its start time."""
    lst = view.list
    item = lst.rows[row]
    assert isinstance(item, Paragraph)
    text = view.model.paragraph_index.text(item)
    start, end = text.span(token)
    layout = lst.layout_for(row)
    caret = lst.delegate_.caret_rect(layout, (start + end) // 2)
    top = lst.visualRect(view.model.index_of(row)).top()
    return QPoint(int(caret.center().x()), top + int(caret.center().y())), text.tokens[token].start
