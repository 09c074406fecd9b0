"""The sessions library in the Live workspace, on real recorded sessions: each is recorded first with the page's
Start and Stop (the real LiveSession and recorder, file-backed sources, the scripted local server), then
listed, searched, opened, played (click to seek, the playing word lit), renamed (kept with the session),
exported to every format and deleted — as a user does it, through the page's controls."""

from __future__ import annotations

import bisect
import json
from pathlib import Path

import srt
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.transcript import render
from studio.qt.live.library.model import describe
from studio.qt.live.page import LivePage
from studio.qt.media.clock import clock_text
from studio.storage.sessions import sessions_folder
from studio.storage.sessions_library import SessionLibrary
from tests.qt.conftest import StudioFactory
from tests.qt.live.conftest import ThreadedServer, tone_file
from tests.qt.live.library_helpers import library_of, live_page, open_in, paragraphs, record, word_point

SPEECH_SECONDS = 9.9
WELCOME = "Welcome to the studio."


def finals(transcript: object) -> list[tuple[str, float, float]]:
    return [(t.text, t.start, t.end) for t in transcript.all_finals()]  # type: ignore[attr-defined]


def test_the_library_lists_searches_and_opens_recorded_sessions(qtbot: QtBot, scripted_studio: Studio,
                                                                speech_file: Path, tmp_path: Path) -> None:
    page: LivePage = live_page(qtbot, scripted_studio)
    first = record(qtbot, page, speech_file)
    first_words = finals(page.transcript)
    them = tone_file(tmp_path / "them.wav", SPEECH_SECONDS)
    second = record(qtbot, page, speech_file, them)
    second_words = finals(page.transcript)
    assert first != second and first_words and second_words

    library = library_of(qtbot, page, count=2)
    model = library.sessions.model
    assert [s.id for s in model.sessions] == [second, first]  # newest first
    newest = model.sessions[0]
    row = describe(newest)
    assert "Me: Desk microphone" in row and "Them: Meeting audio" in row  # the sources
    assert newest.engine and newest.engine in row  # the engine
    assert abs(newest.duration - SPEECH_SECONDS) < 1.5 and clock_text(newest.duration) in row  # the duration
    assert newest.first_words.startswith(WELCOME) and newest.first_words in row  # the first words
    assert library.sessions.count.text() == "2 recorded sessions"

    # Searching: every word of the query, in words, sources, titles or names.
    qtbot.keyClicks(library.sessions.search, "meeting audio")
    qtbot.waitUntil(lambda: [s.id for s in model.sessions] == [second], timeout=5000)
    assert "with “meeting audio”" in library.sessions.count.text()
    library.sessions.search.setText("gorgonzola")
    qtbot.waitUntil(lambda: model.rowCount() == 0 and library.sessions.empty.isVisible(), timeout=5000)
    assert "gorgonzola" in library.sessions.empty.text()
    library.sessions.search.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)

    # A click opens a session: the transcript is what the live page showed, final for final, times included.
    rect = library.sessions.list.visualRect(model.index(model.row_of(first)))
    qtbot.mouseClick(library.sessions.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: library.showing == first, timeout=10000)
    reader = library.reader
    assert finals(reader.document.transcript) == first_words  # type: ignore[union-attr]
    assert reader.view.mode == "document" and paragraphs(reader.view)
    assert "words" in reader.details.text() and reader.title.placeholderText().startswith("Today ")
    assert "Me: Desk microphone" in reader.sources.text()
    assert reader.media.isVisible() and reader.media.player.source().toLocalFile().endswith("audio.wav")
    # … and the keyboard moves to the other one.
    library.sessions.list.setFocus()
    qtbot.keyClick(library.sessions.list, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: library.showing == second, timeout=10000)
    assert finals(reader.document.transcript) == second_words  # type: ignore[union-attr]

    # The title is edited in place and kept.
    reader.title.setText("Budget review")
    reader.title.editingFinished.emit()
    library_root = sessions_folder(scripted_studio.paths)
    qtbot.waitUntil(lambda: SessionLibrary(library_root).summary(second).title == "Budget review", timeout=5000)
    qtbot.waitUntil(lambda: model.sessions[model.row_of(second)].title == "Budget review", timeout=5000)
    library.sessions.search.setText("budget")
    qtbot.waitUntil(lambda: [s.id for s in model.sessions] == [second], timeout=5000)

    # Back to the live captions (Ctrl+L again), where the page is as it was.
    page.trigger("library")
    assert not page.tabs.library_showing and page.view.isVisible()


def test_click_to_seek_plays_from_the_word_and_lights_the_playing_word(qtbot: QtBot, scripted_studio: Studio,
                                                                       speech_file: Path) -> None:
    page: LivePage = live_page(qtbot, scripted_studio)
    session_id = record(qtbot, page, speech_file)
    library = library_of(qtbot, page, count=1)
    open_in(qtbot, library, session_id)
    reader = library.reader
    view, player = reader.view, reader.media.player
    qtbot.waitUntil(lambda: player.mediaStatus() in (QMediaPlayer.MediaStatus.LoadedMedia,
                                                     QMediaPlayer.MediaStatus.BufferedMedia), timeout=10000)
    assert player.duration() >= (SPEECH_SECONDS - 0.5) * 1000  # the whole recording is there to play
    row = next(r for r, item in enumerate(view.list.rows) if item in paragraphs(view))
    text = view.model.paragraph_index.text(view.list.rows[row])  # type: ignore[arg-type]
    later = next(i for i, token in enumerate(text.tokens) if token.start >= 2.0 and not token.is_punctuation)
    point, start = word_point(view, row, later)
    with qtbot.waitSignal(view.seek_requested, timeout=5000) as seek:
        qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert seek.args == [start]
    qtbot.waitUntil(lambda: player.playbackState() is QMediaPlayer.PlaybackState.PlayingState, timeout=10000)
    qtbot.waitUntil(lambda: player.position() >= start * 1000 + 300, timeout=15000)  # playing on from the word
    reader.media.pause()
    qtbot.waitUntil(lambda: view.list.playing is not None, timeout=5000)
    at = player.position() / 1000
    lit_item, (lit_start, _end) = view.list.playing  # type: ignore[misc]
    lit_text = view.model.paragraph_index.text(lit_item)  # type: ignore[arg-type]
    lit = next(token for i, token in enumerate(lit_text.tokens) if lit_text.span(i)[0] == lit_start)
    words = [t for t in reader.document.transcript.all_finals() if not t.is_punctuation]  # type: ignore[union-attr]
    expected = words[bisect.bisect_right([w.start for w in words], at) - 1]
    assert (lit.text, lit.start) == (expected.text, expected.start)  # the word being played, not another
    # The keys: Alt+Right skips 5 s on.
    before = player.position()
    reader.view.list.setFocus()
    qtbot.keyClick(reader.view.list, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: player.position() >= before + 4500 or player.position() >= player.duration() - 50,
                    timeout=5000)


def test_a_renamed_speaker_is_kept_with_the_session_and_exported(qtbot: QtBot, make_studio: StudioFactory,
                                                                 scripted_server: ThreadedServer, speech_file: Path,
                                                                 tmp_path: Path) -> None:
    from studio.api.endpoints import ENV_API_KEY, ENV_RT_URL
    from tests.fakes.server import SERVER_KEY

    env = {ENV_API_KEY: SERVER_KEY, ENV_RT_URL: scripted_server.endpoints.realtime}
    studio = make_studio(env=env)
    page: LivePage = live_page(qtbot, studio)
    them = tone_file(tmp_path / "them.wav", SPEECH_SECONDS)
    session_id = record(qtbot, page, speech_file, them)
    library = library_of(qtbot, page, count=1)
    open_in(qtbot, library, session_id)
    reader = library.reader
    paragraph = next(p for p in paragraphs(reader.view) if p.speaker == "Them")
    reader.view.rename_speaker(paragraph)
    editor = reader.view.name_editor
    assert editor.isVisible()
    editor.setText("Alice")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert reader.document.transcript.speakers.display("Them") == "Alice"  # type: ignore[union-attr]
    root = sessions_folder(studio.paths)
    qtbot.waitUntil(lambda: SessionLibrary(root).open(session_id).transcript.speakers.display("Them") == "Alice",
                    timeout=5000)  # journaled with the session

    # Reopened — in another studio, from disk — the name is there; the search finds it by that name.
    again = make_studio(env=env)
    page2: LivePage = live_page(qtbot, again)
    library2 = library_of(qtbot, page2, count=1)
    library2.sessions.search.setText("alice")
    qtbot.waitUntil(lambda: [s.id for s in library2.sessions.model.sessions] == [session_id], timeout=5000)
    open_in(qtbot, library2, session_id)
    names = {library2.reader.document.transcript.speakers.display(p.speaker)  # type: ignore[union-attr]
             for p in paragraphs(library2.reader.view)}
    assert names == {"Me", "Alice"}

    # Export: every format, with the exporters' options, the new name in each.
    page2.trigger("export")
    dialog = library2.reader.export_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.name.setText("meeting")
    for box in dialog.format_boxes.values():
        box.setChecked(True)
    dialog.chars.setValue(32)
    with qtbot.waitSignal(dialog.exported, timeout=20000):
        dialog.start_export()
    out = tmp_path / "out"
    assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".json", ".srt", ".txt", ".vtt"]
    cues = list(srt.parse((out / "meeting.srt").read_text()))
    assert any(cue.content.startswith("Alice: ") for cue in cues)
    assert any(cue.content.startswith("Me: ") for cue in cues)
    assert all(len(line) <= 32 for cue in cues for line in cue.content.splitlines())  # the option was used
    assert "Alice: " in (out / "meeting.txt").read_text()
    assert "Alice" in (out / "meeting.vtt").read_text()
    assert json.loads((out / "meeting.json").read_text())["results"]
    assert (out / "meeting.docx").stat().st_size > 1000


def test_delete_asks_first_and_removes_the_session(qtbot: QtBot, scripted_studio: Studio, speech_file: Path) -> None:
    page: LivePage = live_page(qtbot, scripted_studio)
    keep = record(qtbot, page, speech_file)
    gone = record(qtbot, page, speech_file)
    library = library_of(qtbot, page, count=2)
    open_in(qtbot, library, gone)
    folder = sessions_folder(scripted_studio.paths) / gone
    words = render(library.reader.document.transcript.all_finals())  # type: ignore[union-attr]

    library.reader.delete_button.click()
    box = library.reader.delete_box
    assert box is not None and box.isVisible() and "for good" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert folder.is_dir() and library.showing == gone  # kept

    # The Delete key on the list asks the same (listed in F1).
    assert dict(scripted_studio.window.shortcut_rows()).get(
        "Live: Delete the recorded session chosen in the list (asks first)") == "Delete"
    library.sessions.list.setFocus()
    qtbot.keyClick(library.sessions.list, Qt.Key.Key_Delete)
    box = library.reader.delete_box
    assert box is not None and box.isVisible() and "for good" in box.text()
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    delete.click()
    qtbot.waitUntil(lambda: not folder.exists() and library.showing is None, timeout=10000)
    qtbot.waitUntil(lambda: [s.id for s in library.sessions.model.sessions] == [keep], timeout=10000)
    assert library.placeholder.isVisible()
    assert [s.id for s in SessionLibrary(sessions_folder(scripted_studio.paths)).list()] == [keep]
    assert words  # it had words: a real session went


def test_a_session_being_recorded_is_read_but_not_deleted_or_renamed(qtbot: QtBot, scripted_studio: Studio,
                                                                     tmp_path: Path) -> None:
    from studio.audio.clock import ScaledClock
    from studio.audio.file_source import FileSource
    from studio.services.live import SessionState

    page: LivePage = live_page(qtbot, scripted_studio)
    long = tone_file(tmp_path / "long.wav", 120.0)
    clock = ScaledClock(1.0)
    page.controller.clock = clock
    page.controller.source_factory = lambda _channel, _id: FileSource(long, clock=clock, label="Desk microphone")
    session = page.start()
    assert session is not None
    try:
        qtbot.waitUntil(lambda: WELCOME in render(page.transcript.all_finals()), timeout=30000)
        recorder = page.controller.recording.recorder
        assert recorder is not None and recorder.state == "recording"
        session_id = recorder.session_id
        library = library_of(qtbot, page, count=1)
        (summary,) = library.sessions.model.sessions
        assert summary.live and "Recording now" in describe(summary, session_id)
        open_in(qtbot, library, session_id)
        reader = library.reader
        assert WELCOME in render(reader.document.transcript.all_finals())  # type: ignore[union-attr]  # saved so far
        assert "being recorded now" in reader.banner.message
        assert not reader.batch_button.isEnabled()

        reader.delete_button.click()
        assert "cannot be deleted. Stop it in Live captions first." in reader.banner.message
        assert reader.delete_box is None  # not even asked
        assert (sessions_folder(scripted_studio.paths) / session_id).is_dir()

        paragraph = paragraphs(reader.view)[0]
        reader.view.rename_speaker(paragraph)
        reader.view.name_editor.setText("Zed")
        qtbot.keyClick(reader.view.name_editor, Qt.Key.Key_Return)
        assert reader.document.transcript.speakers.display(paragraph.speaker) != "Zed"  # type: ignore[union-attr]
        assert "Rename its speakers in Live captions" in reader.banner.message
    finally:
        page.controller.stop()
        qtbot.waitUntil(lambda: session.state is SessionState.STOPPED, timeout=60000)


def test_a_two_channel_session_reads_each_channel_under_its_own_name(qtbot: QtBot, scripted_studio: Studio,
                                                                     speech_file: Path, tmp_path: Path) -> None:
    page: LivePage = live_page(qtbot, scripted_studio)
    them = tone_file(tmp_path / "them.wav", SPEECH_SECONDS)
    session_id = record(qtbot, page, speech_file, them)
    library = library_of(qtbot, page, count=1)
    open_in(qtbot, library, session_id)
    view = library.reader.view
    shown = paragraphs(view)
    assert {p.channel for p in shown} == {"Me", "Them"}
    for paragraph in shown:  # each paragraph is its channel's speaker, with that channel's words
        assert paragraph.speaker == paragraph.channel
        tokens = view.model.paragraph_index.text(paragraph).tokens
        assert tokens and all(token.channel == paragraph.channel for token in tokens)


def test_open_in_library_after_stop_and_the_recording_settings(qtbot: QtBot, scripted_studio: Studio,
                                                               speech_file: Path, tmp_path: Path) -> None:
    page: LivePage = live_page(qtbot, scripted_studio)
    controls = page.recording_settings
    state = scripted_studio.state

    # The live text file: a folder that does not exist is refused where the user is looking …
    controls.file.setText(str(tmp_path / "nowhere" / "captions.txt"))
    controls.file.editingFinished.emit()
    assert "does not exist" in controls.hint.text() and controls.hint.objectName() == "ErrorText"
    # … a good one is kept in the settings, and the session writes its words there as they come.
    captions = tmp_path / "obs" / "captions.txt"
    captions.parent.mkdir()
    controls.file.setText(str(captions))
    controls.file.editingFinished.emit()
    qtbot.waitUntil(lambda: state.settings.live.live_text_file == str(captions), timeout=5000)
    assert controls.mode.isEnabled() and not controls.lines.isEnabled()  # lines: for the captions mode only
    session_id = record(qtbot, page, speech_file)
    assert WELCOME in captions.read_text()

    # "Open in library" once it is saved.
    button = page.session_status.library_button
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    library = page.library
    assert library is not None and page.tabs.library_showing
    qtbot.waitUntil(lambda: library.showing == session_id, timeout=10000)

    # Not recording: the next session leaves no folder behind (and says nothing of saving).
    page.trigger("library")
    controls.record.setChecked(False)
    qtbot.waitUntil(lambda: not state.settings.live.record_sessions, timeout=5000)
    before = {p.name for p in sessions_folder(scripted_studio.paths).iterdir()}
    page.exported = True
    session = page.start()
    assert session is not None
    qtbot.waitUntil(lambda: WELCOME in render(page.transcript.all_finals()), timeout=30000)
    page.controller.stop()
    qtbot.waitUntil(lambda: not page.controller.active, timeout=30000)
    assert {p.name for p in sessions_folder(scripted_studio.paths).iterdir()} == before
    assert not button.isVisible() and page.controller.recording.recorder is None


def test_every_control_is_named_and_reached_by_the_keyboard(qtbot: QtBot, scripted_studio: Studio,
                                                            speech_file: Path) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSlider,
        QAbstractSpinBox,
        QApplication,
        QComboBox,
        QLineEdit,
        QScrollBar,
        QTabBar,
        QWidget,
    )

    from studio.qt.live.library.recovery import RecoveryDialog
    from studio.storage.sessions import SessionInfo, SessionStore

    controls = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QTabBar)

    def unnamed(root: QWidget) -> list[QWidget]:
        # Scroll bars are left out: they belong to their view (its keys and wheel scroll it, Qt names them for
        # screen readers) and show only when the content is taller than the view — which, as rows are measured,
        # depends on timing.
        return [w for w in root.findChildren(QWidget) if isinstance(w, controls) and w.isVisible()
                and not isinstance(w, QScrollBar)
                and (not w.accessibleName() or w.focusPolicy() == Qt.FocusPolicy.NoFocus)
                and w.parent() is not None and not isinstance(w.parent(), QScrollBar)]

    page: LivePage = live_page(qtbot, scripted_studio)
    session_id = record(qtbot, page, speech_file)
    window = scripted_studio.window
    rows = dict(window.shortcut_rows())
    assert rows.get("Show recorded sessions (or the live captions)") == "Ctrl+L"  # listed in F1
    window.workspace_action_map[("live", "library")].trigger()  # Ctrl+L
    library = page.library
    assert library is not None and page.tabs.library_showing
    qtbot.waitUntil(lambda: library.sessions.loaded and library.sessions.model.rowCount() == 1, timeout=10000)
    open_in(qtbot, library, session_id)
    assert unnamed(library) == [] and page.tabs.bar.accessibleName()

    # From the search field the Tab key reaches the list, and the arrow keys choose a session.
    library.sessions.search.setFocus()
    qtbot.keyClick(library.sessions.search, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is library.sessions.list

    # The recovery offer, for a session left unfinished.
    store = SessionStore(sessions_folder(scripted_studio.paths))
    store.create(SessionInfo(engine="Speechmatics (EU)", first_words="So the plan for Thursday")).release()
    unfinished = SessionLibrary(store.root).unfinished()
    dialog = RecoveryDialog(scripted_studio.context, store.root, unfinished, lambda _id, _r: None, window)
    dialog.open()
    qtbot.waitExposed(dialog)
    assert unnamed(dialog) == [] and dialog.accessibleName()
    offer = next(iter(dialog.offers.values()))
    assert offer.recover_button.isDefault() and dialog.focusWidget() is offer.recover_button
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc is Later
    assert not dialog.isVisible() and SessionLibrary(store.root).unfinished()

    # Decided later: it is listed as interrupted, the arrow keys reach it, and the reader offers Recover there.
    library.refresh()
    qtbot.waitUntil(lambda: library.sessions.model.rowCount() == 2, timeout=10000)
    interrupted = unfinished[0].id
    assert [s.id for s in library.sessions.model.sessions] == [interrupted, session_id]  # newest first
    library.sessions.list.setFocus()
    qtbot.keyClick(library.sessions.list, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: library.showing == interrupted, timeout=10000)
    reader = library.reader
    assert reader.recover_button.isVisible() and "interrupted" in reader.banner.message
    assert unnamed(library) == []
    qtbot.mouseClick(reader.recover_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reader.banner.message.startswith("Recovered"), timeout=10000)
    assert not reader.recover_button.isVisible()
    assert SessionLibrary(store.root).summary(interrupted).state == "recovered"
    assert not SessionLibrary(store.root).unfinished()
