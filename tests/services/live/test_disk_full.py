"""A full disk or an unwritable folder: recording stops (or never starts) with a clear message, the captions
go on to the end, and what was written before reads back — the WAV's header describes whole frames, the
journal's finals are the ones the views got."""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from studio.api import messages as m
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import LocalServer
from studio.services.live import LiveConfig, LiveSession, SessionState, Severity, SourceChoice, SourceKind
from studio.services.live.events import RecordingChanged
from studio.services.live.recorder import SessionRecorder
from studio.storage.sessions import SessionStore
from studio.storage.sessions_journal import read_journal
from studio.storage.sessions_library import SessionLibrary
from tests.services.live.conftest import RATE, EventLog, connect_to, file_factory, tone, wav
from tests.services.live.test_session_scripted import run_until_played


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real file system with 64 KiB of room (tmpfs; the tests run as root, as CI does)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"this test mounts a small tmpfs and needs root: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def finals(log: EventLog) -> list[dict[str, object]]:
    return [dict(x.raw) for x in log.messages if isinstance(x, m.Transcript) and not x.partial]


async def test_a_full_disk_stops_the_recording_and_the_captions_go_on(scripted: LocalServer, small_disk: Path,
                                                                     tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(12.0, 440))}, clock,
                                                      made=made), clock=clock)
    store = SessionStore(small_disk / "sessions")
    recorder = SessionRecorder(store)
    assert await recorder.attach(session)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: any(isinstance(x, RecordingChanged) and x.state == "failed" for x in e.pull()))
    (problem,) = [p for p in log.problems if "Recording stopped" in p.text]
    assert problem.severity is Severity.WARNING and "the disk is full" in problem.text
    assert "captions go on" in problem.text
    assert session.state is SessionState.RUNNING
    journaled_when_full = len(finals(log))

    # The captions go on: finals keep arriving after the disk filled, to the end.
    await log.wait_for(lambda e: len([f for f in finals(e) if f["results"]]) >= journaled_when_full + 3)
    await run_until_played(made)
    await session.stop()
    await recorder.closed()
    assert log.states[-1] is SessionState.STOPPED
    assert not [p for p in log.problems if p.severity is Severity.ERROR]

    # What was written before reads back: a valid WAV of whole frames, of the tone; journal lines whole.
    folder = recorder.folder
    assert folder is not None
    with wave.open(str(folder / "audio.wav")) as kept:
        frames = kept.getnframes()
        audio = np.frombuffer(kept.readframes(frames), dtype="<i2")
    assert frames > 0.2 * RATE and len(audio) == frames
    assert (folder / "audio.wav").stat().st_size == 80 + 2 * frames
    assert np.abs(audio[RATE // 10:]).max() > 5000  # the tone, not silence or garbage
    records, _torn = read_journal(folder / "journal.jsonl")
    journaled = [r["message"] for r in records if r["type"] == "final"]
    assert journaled == finals(log)[:len(journaled)]
    # The library still opens it, with what was journaled.
    document = SessionLibrary(store.root).open(folder.name)
    assert document.audio == folder / "audio.wav"
    assert len(document.transcript.all_finals()) == sum(len(f["results"]) for f in journaled)


async def test_a_sessions_folder_that_cannot_be_written_leaves_the_session_unrecorded(
        scripted: LocalServer, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the sessions folder should be")
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(4.0, 440))}, clock,
                                                      made=made), clock=clock)
    recorder = SessionRecorder(SessionStore(blocker / "sessions"))
    log = EventLog(session)
    assert not await recorder.attach(session)
    (problem,) = log.problems
    assert "not being recorded" in problem.text and str(blocker / "sessions") in problem.text
    assert "captions go on" in problem.text
    await session.start()
    await run_until_played(made)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED and finals(log)
