"""Recovery in the app: a studio process (the real app, its Live page running a session from a file-backed
source against the local server in this test) is SIGKILLed mid-session; a new studio offers the interrupted
session at start-up, Recover opens it in the sessions library with every final the server had sent, and
"Transcribe the recording" sends its audio through the Batch queue. While the other studio still records,
this one never writes the session: it is not offered, and deleting, renaming or recovering it is refused in
plain words."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.api.endpoints import ENV_API_KEY, ENV_BATCH_URL, ENV_RT_URL
from studio.app import Studio
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import ServerConfig
from studio.qt.batch.page import BatchPage
from studio.qt.live.library.client import LOCKED_ELSEWHERE
from studio.qt.live.library.model import describe
from studio.qt.live.library.recovery import LOCKED, RecoveryDialog
from studio.qt.live.page import LivePage
from studio.services.engine import EngineKind, KeySource
from studio.services.live import SessionState
from studio.storage.paths import Paths
from studio.storage.sessions import sessions_folder
from studio.storage.sessions_journal import read_journal
from studio.storage.sessions_library import SessionLibrary
from tests.conftest import REPO
from tests.fakes.secrets import MemorySecretStore
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav
from tests.qt.batch.conftest import ServerThread
from tests.qt.batch.killing import Lines
from tests.qt.conftest import StudioFactory
from tests.qt.live.conftest import ThreadedServer
from tests.qt.live.library_helpers import library_of, live_page, open_in, paragraphs
from tests.services.live.timecode import RATE, TimecodeRecognizer, noise

SECONDS = 60.0


@pytest.fixture
def timecode() -> TimecodeRecognizer:
    return TimecodeRecognizer(noise(SECONDS).astype("float64"), SECONDS - 5)


@pytest.fixture
def realtime(timecode: TimecodeRecognizer) -> Iterator[ThreadedServer]:
    server = ThreadedServer(timecode)
    yield server
    server.close()


@pytest.fixture
def batch() -> Iterator[ServerThread]:
    server = ServerThread(ServerConfig(api_keys=frozenset({SERVER_KEY})))
    yield server
    server.stop()


@pytest.fixture
def child(studio_home: Paths, realtime: ThreadedServer, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A studio process recording a live session of 60 s of noise, twice real time; killed at the end."""
    recording = write_wav(tmp_path / "noise.wav", noise(SECONDS), RATE)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", STUDIO_HOME=os.environ["STUDIO_HOME"], PYTHONPATH=str(REPO),
               **{ENV_API_KEY: SERVER_KEY, ENV_RT_URL: realtime.endpoints.realtime})
    with open(tmp_path / "child.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.qt.live.recovery_child", str(recording), "2.0"],
                                   cwd=REPO, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=log)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def started(process: subprocess.Popen[str], tmp_path: Path) -> str:
    """The id of the session the child records, once it says so (what it did is in its log if it does not)."""
    try:
        line = Lines(process).next(120)
    except TimeoutError:
        raise AssertionError(f"the child did not start recording: {(tmp_path / 'child.log').read_text()}") from None
    assert line is not None and line.startswith("started "), (process.poll(), (tmp_path / "child.log").read_text())
    return line.split()[1]


def sent_words(recognizer: TimecodeRecognizer) -> list[tuple[str, float, float]]:
    return [(r["alternatives"][0]["content"], r["start_time"], r["end_time"]) for p in recognizer.sent
            if p["message"] == "AddTranscript" for r in p["results"]]


def journaled_finals(folder: Path) -> int:
    records, _torn = read_journal(folder / "journal.jsonl")
    return sum(1 for r in records if r["type"] == "final")


def kill_mid_session(realtime: ThreadedServer, recognizer: TimecodeRecognizer, process: subprocess.Popen[str],
                     folder: Path) -> tuple[list[tuple[str, float, float]], int]:
    """SIGKILLs the studio at a moment when every final the server sent is in the journal (checked and killed in
    one step of the server's loop: it cannot send another in between); the words sent and the audio bytes fed."""

    async def watch() -> tuple[list[tuple[str, float, float]], int]:
        async with asyncio.timeout(150):
            while True:
                finals = [p for p in recognizer.sent if p["message"] == "AddTranscript"]
                if len(sent_words(recognizer)) >= 25 and journaled_finals(folder) == len(finals):
                    os.kill(process.pid, signal.SIGKILL)
                    return sent_words(recognizer), len(recognizer.sessions[0].audio)
                await asyncio.sleep(0.005)

    said, fed = asyncio.run_coroutine_threadsafe(watch(), realtime.loop).result(160)
    assert process.wait(30) == -signal.SIGKILL
    return said, fed


def test_a_killed_studio_s_session_is_offered_recovered_opened_and_sent_to_batch(
        qtbot: QtBot, make_studio: StudioFactory, studio_home: Paths, realtime: ThreadedServer,
        timecode: TimecodeRecognizer, batch: ServerThread, child: subprocess.Popen[str], tmp_path: Path) -> None:
    session_id = started(child, tmp_path)
    folder = sessions_folder(studio_home) / session_id
    said, fed = kill_mid_session(realtime, timecode, child, folder)
    assert 25 <= len(said) < 120  # mid-session: the script goes on well past it

    # The next studio offers the interrupted session once its window is up.
    studio = make_studio(env={ENV_API_KEY: SERVER_KEY, ENV_RT_URL: realtime.endpoints.realtime,
                              ENV_BATCH_URL: batch.urls.batch})
    studio.window.resize(1200, 800)
    studio.window.show()
    qtbot.waitExposed(studio.window)
    qtbot.waitUntil(lambda: studio.window.findChild(RecoveryDialog) is not None, timeout=15000)
    dialog = studio.window.findChild(RecoveryDialog)
    assert isinstance(dialog, RecoveryDialog) and dialog.isVisible()
    assert list(dialog.offers) == [session_id]
    offer = dialog.offers[session_id]
    assert offer.recover_button.isEnabled() and offer.discard_button.isEnabled() and dialog.later_button.isVisible()

    # Recover: the session opens in the library, with every final the server had sent, word for word and time
    # for time, and says what a batch job would add.
    with qtbot.waitSignal(dialog.recovered, timeout=20000):
        qtbot.mouseClick(offer.recover_button, Qt.MouseButton.LeftButton)
    page = studio.window.page("live")
    assert isinstance(page, LivePage) and studio.window.current_workspace() == "live"
    qtbot.waitUntil(lambda: page.library is not None and page.library.showing == session_id, timeout=15000)
    assert not dialog.isVisible()
    library = page.library
    assert library is not None
    reader = library.reader
    document = reader.document
    assert document is not None
    assert [(t.text, t.start, t.end) for t in document.transcript.all_finals()] == said
    assert "Recovered" in reader.banner.message and "Transcribe the recording" in reader.banner.message
    assert SessionLibrary(sessions_folder(studio_home)).summary(session_id).state == "recovered"
    with wave.open(str(folder / "audio.wav")) as audio:  # the recording is whole: what was captured, and decodes
        frames = audio.getnframes()
        assert fed // 2 <= frames <= fed // 2 + 2 * RATE
    qtbot.waitUntil(lambda: reader.media.player.duration() > 0, timeout=10000)
    assert abs(reader.media.player.duration() - frames * 1000 / RATE) < 100
    reader.view.flush()
    assert paragraphs(reader.view)

    # "Transcribe the recording": the audio goes through the Batch queue, and comes back transcribed.
    assert reader.batch_button.isEnabled()
    qtbot.mouseClick(reader.batch_button, Qt.MouseButton.LeftButton)
    batch_page = studio.window.page("batch")
    assert isinstance(batch_page, BatchPage) and studio.window.current_workspace() == "batch"
    qtbot.waitUntil(lambda: batch_page.runtime.ready and any(
        Path(job.path) == folder / "audio.wav" for job in batch_page.runtime.board.jobs), timeout=20000)
    job = next(job for job in batch_page.runtime.board.jobs if Path(job.path) == folder / "audio.wav")
    qtbot.waitUntil(lambda: all(not j.unfinished for j in batch_page.runtime.board.jobs), timeout=60000)
    job = next(j for j in batch_page.runtime.board.jobs if j.id == job.id)
    assert job.has_result

    # It is not offered again at the next start.
    again = make_studio(env={ENV_API_KEY: SERVER_KEY, ENV_RT_URL: realtime.endpoints.realtime})
    qtbot.waitUntil(lambda: again.recovery_check is not None and again.recovery_check.done, timeout=15000)
    assert again.window.findChild(RecoveryDialog) is None


def test_later_keeps_it_and_discard_asks_then_deletes(qtbot: QtBot, make_studio: StudioFactory, studio_home: Paths,
                                                     realtime: ThreadedServer, timecode: TimecodeRecognizer,
                                                     child: subprocess.Popen[str], tmp_path: Path) -> None:
    session_id = started(child, tmp_path)
    folder = sessions_folder(studio_home) / session_id
    kill_mid_session(realtime, timecode, child, folder)
    env = {ENV_API_KEY: SERVER_KEY, ENV_RT_URL: realtime.endpoints.realtime}

    first = make_studio(env=env)
    qtbot.waitUntil(lambda: first.window.findChild(RecoveryDialog) is not None, timeout=15000)
    dialog = first.window.findChild(RecoveryDialog)
    assert isinstance(dialog, RecoveryDialog)
    qtbot.mouseClick(dialog.later_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and folder.is_dir()
    assert SessionLibrary(sessions_folder(studio_home)).summary(session_id).unfinished  # as it was
    # The library lists it as interrupted and can recover it there too (not now: the next start asks again).
    page = live_page(qtbot, first)
    library = library_of(qtbot, page, count=1)
    open_in(qtbot, library, session_id)
    assert "Interrupted" in describe(library.sessions.model.sessions[0])
    assert library.reader.recover_button.isVisible() and "interrupted" in library.reader.banner.message

    second = make_studio(env=env)  # offered again
    qtbot.waitUntil(lambda: second.window.findChild(RecoveryDialog) is not None, timeout=15000)
    dialog = second.window.findChild(RecoveryDialog)
    assert isinstance(dialog, RecoveryDialog)
    offer = dialog.offers[session_id]
    qtbot.mouseClick(offer.discard_button, Qt.MouseButton.LeftButton)
    box = dialog.discard_box
    assert box is not None and box.isVisible() and "deleted for good" in box.text()
    box.button(box.StandardButton.Cancel).click()
    assert folder.is_dir() and session_id in dialog.offers  # cancelled: nothing happened
    qtbot.mouseClick(offer.discard_button, Qt.MouseButton.LeftButton)
    box = dialog.discard_box
    assert box is not None
    with qtbot.waitSignal(dialog.discarded, timeout=10000):
        next(b for b in box.buttons() if b.text() == "Discard").click()
    assert not folder.exists() and not dialog.isVisible()


def test_a_second_studio_never_writes_a_session_another_is_recording(
        qtbot: QtBot, make_studio: StudioFactory, studio_home: Paths, realtime: ThreadedServer,
        child: subprocess.Popen[str], tmp_path: Path) -> None:
    session_id = started(child, tmp_path)
    root = sessions_folder(studio_home)
    studio = make_studio(env={ENV_API_KEY: SERVER_KEY, ENV_RT_URL: realtime.endpoints.realtime})
    qtbot.waitUntil(lambda: studio.recovery_check is not None and studio.recovery_check.done, timeout=15000)
    assert studio.window.findChild(RecoveryDialog) is None  # being recorded: not offered

    page = live_page(qtbot, studio)
    library = library_of(qtbot, page, count=1)
    (summary,) = library.sessions.model.sessions
    assert summary.id == session_id and summary.live
    assert "Being recorded in another studio window" in describe(summary, page.own_live())
    qtbot.waitUntil(lambda: bool(SessionLibrary(root).open(session_id).transcript.all_finals()), timeout=30000)
    open_in(qtbot, library, session_id)
    reader = library.reader
    assert reader.document is not None and reader.document.transcript.all_finals()  # readable meanwhile
    assert reader.banner.message == LOCKED_ELSEWHERE

    reader.delete_button.click()
    assert reader.delete_box is None and reader.banner.message == LOCKED_ELSEWHERE
    assert (root / session_id).is_dir()
    paragraph = paragraphs(reader.view)[0]
    reader.view.rename_speaker(paragraph)
    reader.view.name_editor.setText("Zed")
    qtbot.keyClick(reader.view.name_editor, Qt.Key.Key_Return)
    assert reader.document.transcript.speakers.display(paragraph.speaker) != "Zed"
    journal = (root / session_id / "journal.jsonl").read_text()
    assert "Zed" not in journal

    # Recovering it is refused with the same plain words (as if it had been offered just before it was taken).
    dialog = RecoveryDialog(studio.context, root, [summary], lambda _id, _r: None, studio.window)
    dialog.open()
    dialog.recover(session_id)
    offer = dialog.offers[session_id]
    qtbot.waitUntil(lambda: offer.status.text() == LOCKED, timeout=10000)
    assert not offer.recover_button.isEnabled() and offer.status.objectName() == "ErrorText"
    assert SessionLibrary(root).summary(session_id).state == "recording"  # untouched
    dialog.reject()

    # Once the other studio stops, the session is an ordinary finished one here too.
    assert child.stdin is not None
    child.stdin.write("quit\n")
    child.stdin.flush()
    assert child.wait(60) == 0
    qtbot.waitUntil(lambda: not library.sessions.model.sessions[0].live
                    and library.sessions.model.sessions[0].state == "finished", timeout=15000)


class GatedSecretStore(MemorySecretStore):
    """A keychain that answers only once ``answer`` is set (as one waiting to be unlocked does)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.answer = threading.Event()

    def get_api_key(self) -> str | None:
        self.answer.wait(60)
        return super().get_api_key()


def test_a_start_before_the_keychain_answered_waits_for_it_and_uses_the_key(
        qtbot: QtBot, qapp: QApplication, studio_home: Paths, realtime: ThreadedServer, timecode: TimecodeRecognizer,
        tmp_path: Path) -> None:
    """Right after start-up the keychain may not have answered yet; Automatic must not pick the built-in engine
    for want of a key it has not been told about."""
    store = GatedSecretStore(SERVER_KEY)
    studio = Studio(qapp, {ENV_RT_URL: realtime.endpoints.realtime}, studio_home, secrets=store)
    qtbot.addWidget(studio.window)
    studio.start()
    try:
        page = live_page(qtbot, studio)
        recording = write_wav(tmp_path / "noise.wav", noise(SECONDS), RATE)
        clock = ScaledClock(2.0)
        page.controller.clock = clock
        page.controller.source_factory = lambda _channel, _id: FileSource(recording, clock=clock, label="Mic")
        assert studio.state.key.source is KeySource.UNKNOWN
        assert page.start() is None and page.controller.session is None  # not yet: no engine is decided
        assert "keychain" in page.status.text()
        assert page.start() is None  # a second press does not start a second session

        store.answer.set()
        qtbot.waitUntil(lambda: page.controller.session is not None
                        and page.controller.session.state is SessionState.RUNNING, timeout=30000)
        assert studio.state.engine.kind is EngineKind.SPEECHMATICS and len(timecode.sessions) == 1
        page.controller.stop()
        qtbot.waitUntil(lambda: not page.controller.active, timeout=30000)
    finally:
        store.answer.set()
        if studio.window.isVisible():
            studio.window.close()
        else:
            studio.shutdown()
