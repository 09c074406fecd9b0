"""Whole live sessions in the Live workspace, as a user runs them: the real studio window (offscreen), the
page's controls, file-backed sources at real-time pace, and a real local server — the scripted recogniser
(exact content) or the built-in Whisper engine (word error rate bound)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import srt
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.core.transcript import Transcript
from studio.core.transcript.changes import FinalsAppended, PartialReplaced
from studio.core.transcript.paragraphs import Paragraph
from studio.local.scripted import synthetic_script
from studio.qt.transcript import speaker_color
from studio.services.live import LiveSession, SessionState, SourceChoice, SourceKind
from tests.helpers.wer import word_error_rate, words
from tests.qt.conftest import StudioFactory
from tests.qt.live.conftest import tone_file
from tests.qt.live.library_helpers import live_page
from tests.services.live.conftest import RecordingRecognizer

WELCOME = "Welcome to the studio."
SCRIPTED = "This session is scripted, so every run is the same."
Pages = Callable[[Studio], Any]


@pytest.fixture
def live_pages(qtbot: QtBot) -> Callable[[Studio], Any]:
    return lambda studio: live_page(qtbot, studio)


@contextmanager
def running(qtbot: QtBot, page: Any) -> Iterator[LiveSession]:
    """A session started with the page's Start; ended however the test ends (else closing the window would
    stop to ask whether to stop it)."""
    session = page.start()
    assert session is not None
    try:
        yield session
    finally:
        if page.controller.active:
            page.controller.stop()
            qtbot.waitUntil(lambda: not page.controller.active, timeout=60000)


def finals_text(transcript: Transcript, channel: str | None) -> str:
    from studio.core.transcript import render

    return render(transcript.finals(channel), transcript.word_delimiter)


def shown(page: Any) -> list[tuple[str | None, str, str]]:
    """What the transcript view shows: (channel, final words, partial words) per paragraph."""
    from studio.core.transcript import render

    out = []
    for row in page.view.list.rows:
        if isinstance(row, Paragraph):
            finals = page.transcript.track(row.channel).finals[row.first:row.stop]
            out.append((row.channel, render(finals), render(list(row.partial))))
    return out


def expected_finals(audio_seconds: float) -> list[str]:
    """The scripted recogniser's finals for a channel that sent ``audio_seconds`` of audio: those due by then,
    and those its end of stream releases (up to 1.5 s later)."""
    texts = []
    for entry in synthetic_script():
        if entry.audio_ts > audio_seconds + 1.5:
            break
        payload = entry.payload
        if payload["message"] == "AddTranscript" and payload["results"]:
            texts.append(payload["metadata"]["transcript"].strip())
    return texts


def test_a_scripted_session_from_files_end_to_end(qtbot: QtBot, live_pages: Pages, scripted_studio: Studio,
                                                  recognizer: RecordingRecognizer, tmp_path: Path) -> None:
    page = live_pages(scripted_studio)
    me, them = tone_file(tmp_path / "me.wav", 8.0), tone_file(tmp_path / "them.wav", 8.0)
    page.picker.set_choice(SourceChoice(SourceKind.BOTH, f"file:{me}", f"file:{them}"))
    seen: list[list[tuple[str | None, str, str]]] = []
    page.view.painted.connect(lambda: seen.append(shown(page)))
    applied: list[tuple[str, str | None, str]] = []  # what the transcript was told, in order

    def record(change: object) -> None:
        from studio.core.transcript import render

        if isinstance(change, PartialReplaced | FinalsAppended):
            kind = "partial" if isinstance(change, PartialReplaced) else "final"
            applied.append((kind, change.channel, render(list(change.tokens))))

    page.transcript.changes.subscribe(record)

    with running(qtbot, page) as session:
        qtbot.waitUntil(lambda: session.state is SessionState.RUNNING, timeout=20000)
        assert page.start_button.text() == "Stop" and not page.picker.kind.isEnabled()
        assert not page.session_settings.language.isEnabled()
        assert "stop and start again" in page.session_settings.language.toolTip()
        transcript = page.transcript
        qtbot.waitUntil(lambda: WELCOME in finals_text(transcript, "Me") and WELCOME in finals_text(transcript, "Them"),
                        timeout=20000)

        # Partials came before their finals, and the painted view shows the finals in their place. (Whether a
        # partial is ever painted depends on a frame falling between it and its final — a loaded machine can
        # stall the GUI thread past both; the transcript view's own tests paint partials frame by frame.)
        first_partial = applied.index(("partial", "Me", "Welcome to"))
        first_final = next(i for i, (kind, c, text) in enumerate(applied) if kind == "final" and c == "Me"
                           and WELCOME in text)
        assert first_partial < first_final
        qtbot.waitUntil(lambda: bool(seen) and any(c == "Me" and WELCOME in f for c, f, _p in seen[-1]),
                        timeout=10000)
        assert not any(c == "Me" and "Welcome" in p for c, _f, p in seen[-1])

        # Speakers: "Me" and "Them" in colours of their own, the same in the view, the waveform and the overlay.
        colours = {key: transcript.speakers.get(key).colour for key in ("Me", "Them")}
        assert colours["Me"] != colours["Them"]
        lanes = {label.text(): label.styleSheet() for label in page.waveform._name_labels}
        palette = scripted_studio.theme.colors
        assert speaker_color(colours["Me"], palette).name() in lanes["Me"]
        assert speaker_color(colours["Them"], palette).name() in lanes["Them"]
        page.trigger("overlay")
        overlay = page.overlay
        assert overlay is not None and overlay.isVisible() and page.overlay_button.isChecked()
        qtbot.waitUntil(lambda: "Them: " in overlay.caption_text() or "Me: " in overlay.caption_text())

        # A mid-session change the protocol allows is sent with SetRecognitionConfig.
        page.session_settings.max_delay.setValue(3.0)
        qtbot.waitUntil(lambda: any(c.get("max_delay") == 3.0 for s in recognizer.sessions for c in s.configs),
                        timeout=10000)

        page.trigger("bookmark")
        qtbot.waitUntil(lambda: len(transcript.bookmarks) == 1, timeout=5000)

        # Renaming "Them" in the view reaches the view, the overlay and (below) the export.
        paragraph = next(r for r in page.view.list.rows if isinstance(r, Paragraph) and r.speaker == "Them")
        page.view.rename_speaker(paragraph)
        editor = page.view.name_editor
        assert editor.isVisible()
        editor.setText("Alice")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        assert transcript.speakers.display("Them") == "Alice"
        overlay.set_style(overlay.style_.__class__(font_size=16, lines=6))
        overlay.resize(3000, overlay.fitting_height())
        qtbot.waitUntil(lambda: "Alice: " in overlay.caption_text(), timeout=10000)

        qtbot.waitUntil(lambda: SCRIPTED in finals_text(transcript, "Them"), timeout=20000)
        page.trigger("start_stop")
        qtbot.waitUntil(lambda: session.state is SessionState.STOPPED and page.start_button.text() == "Start",
                        timeout=30000)  # stopped, and the page has heard of it
        assert page.picker.kind.isEnabled() and page.session_settings.language.isEnabled()
        assert colours == {key: transcript.speakers.get(key).colour for key in ("Me", "Them")}  # stable to the end

        # Exactly what the script says for the audio each channel sent, final, and no partial left over.
        heard = sorted(s.audio_seconds for s in recognizer.sessions)
        for channel in ("Me", "Them"):
            assert not transcript.track(channel).partial
        got = sorted([finals_text(transcript, "Me"), finals_text(transcript, "Them")])
        assert got == sorted(" ".join(expected_finals(seconds)) for seconds in heard)

        # The session was recorded as it ran: audio, every final, the bookmark and the rename, on disk.
        qtbot.waitUntil(lambda: page.detail.text().startswith("Saved"), timeout=20000)
        folder = page.controller.recording.folder
        assert folder is not None
        info = json.loads((folder / "session.json").read_text())
        assert info["state"] == "finished" and info["channels"] == ["Me", "Them"]
        journal = [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]
        assert {"type": "rename", "speaker": "Them", "name": "Alice"}.items() <= next(
            r for r in journal if r.get("type") == "rename").items()
        assert (folder / "audio.wav").stat().st_size > 16000 * 2 * 2 * 5  # two channels, several seconds

        # Stop keeps the session: it exports to every format, the new name and the bookmark included.
        page.trigger("export")
        dialog = page.export_dialog
        dialog.folder.setText(str(tmp_path / "out"))
        dialog.name.setText("meeting")
        for box in dialog.format_boxes.values():
            box.setChecked(True)
        with qtbot.waitSignal(dialog.exported, timeout=20000):
            dialog.start_export()
        out = tmp_path / "out"
        assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".json", ".srt", ".txt", ".vtt"]
        cues = list(srt.parse((out / "meeting.srt").read_text()))
        assert any(cue.content.startswith("Alice: ") for cue in cues)
        assert any(cue.content.startswith("Me: ") for cue in cues)
        text = (out / "meeting.txt").read_text()
        assert "Alice: " in text and "bookmark" in text.lower()
        document = json.loads((out / "meeting.json").read_text())
        assert document["results"] and "Alice" in json.dumps(document)
        assert page.exported


def test_auto_scroll_pauses_when_the_user_scrolls_up_and_resumes(qtbot: QtBot, live_pages: Pages,
                                                                 scripted_studio: Studio,
                                                                 tmp_path: Path) -> None:
    page = live_pages(scripted_studio)
    page.left.setSizes([300, 200])  # a short transcript pane, so that it scrolls soon
    speech = tone_file(tmp_path / "me.wav", 60.0)
    clock = ScaledClock(4.0)  # the file plays four times faster than real time, the session on its clock
    page.controller.clock = clock
    page.controller.source_factory = lambda _channel, _id: FileSource(speech, clock=clock)
    settings = page.session_settings
    settings.diarization.setCurrentIndex(settings.diarization.findData("speaker"))  # turns: a paragraph each
    with running(qtbot, page) as session:
        view, bar = page.view, page.view.list.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=30000)
        assert view.following_live and not view.jump_button.isVisible()
        bar.setValue(0)  # the user scrolls up to read
        qtbot.waitUntil(lambda: not view.following_live and view.jump_button.isVisible(), timeout=5000)
        grown = bar.maximum()
        qtbot.waitUntil(lambda: bar.maximum() > grown, timeout=20000)  # more words arrive …
        assert bar.value() == 0  # … and the view stays where the user is reading
        qtbot.mouseClick(view.jump_button, Qt.MouseButton.LeftButton)
        assert view.following_live
        grown = bar.maximum()
        qtbot.waitUntil(lambda: bar.maximum() > grown and bar.value() == bar.maximum(), timeout=20000)
        page.trigger("start_stop")
        qtbot.waitUntil(lambda: session.state is SessionState.STOPPED, timeout=30000)


AUDIO_08 = "Hello. Goodbye. Banana. Breakaway. Before. After."
AUDIO_09 = "How are you getting on, buddy?"


def test_microphone_and_system_audio_on_the_built_in_engine(qtbot: QtBot, live_pages: Pages, make_studio: StudioFactory,
                                                            shared_audio: Path) -> None:
    studio = make_studio()  # no API key: the built-in engine (Whisper tiny.en), started on first use
    page = live_pages(studio)
    page.picker.set_choice(SourceChoice(SourceKind.BOTH, f"file:{shared_audio / 'audio_08_16kHz.wav'}",
                                        f"file:{shared_audio / 'audio_09_16kHz.wav'}"))
    with running(qtbot, page) as session:
        qtbot.waitUntil(lambda: session.state is SessionState.RUNNING, timeout=60000)
        partials: list[object] = []
        page.transcript.changes.subscribe(lambda change: partials.append(change)
                                          if isinstance(change, PartialReplaced) and change.tokens else None)
        qtbot.waitUntil(lambda: session.audio_time() > 14.0, timeout=60000)  # both recordings played
        page.trigger("start_stop")
        qtbot.waitUntil(lambda: session.state is SessionState.STOPPED and not page.controller.active, timeout=60000)
        qtbot.waitUntil(lambda: not any(t.partial for t in page.transcript.tracks.values()), timeout=5000)
        me, them = finals_text(page.transcript, "Me"), finals_text(page.transcript, "Them")
        assert word_error_rate(AUDIO_08, me) <= 0.34, me
        assert word_error_rate(AUDIO_09, them) <= 0.34, them
        assert not set(words(me)) & set(words(AUDIO_09))
        assert partials  # words appeared as partials before they were final
        shown_names = {page.transcript.speakers.display(r.speaker) for r in page.view.list.rows
                       if isinstance(r, Paragraph)}
        assert shown_names == {"Me", "Them"}
        assert not page.banner.message


def test_what_the_engine_cannot_do_is_said_before_start(qtbot: QtBot, live_pages: Pages,
                                                        make_studio: StudioFactory) -> None:
    from studio.qt.live.word_lists import TranslationDialog

    page = live_pages(make_studio())  # the built-in engine: Whisper tiny.en
    settings = page.session_settings
    assert not page.engine_note.isVisible()
    settings.translation_button.click()
    dialog = settings.findChild(TranslationDialog)
    assert dialog is not None and dialog.isVisible()
    model = dialog.model
    model.setData(model.index(model.codes.index("de")), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    dialog.accept()
    assert settings.translation_button.text() == "German…"
    assert page.engine_note.isVisible() and "cannot translate" in page.engine_note.text()
    settings.language.setCurrentIndex(settings.language.findData("fr"))
    assert "English only" in page.engine_note.text()
