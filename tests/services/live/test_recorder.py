"""Recorded as it runs: a whole live session against the real local server is written to its folder while it
runs — a WAV with one channel per source whose header is valid at every moment, a journal with every final,
bookmark and rename the moment it arrives, the live text file — and completed at Stop."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.api import messages as m
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import LocalServer
from studio.services.capabilities import SPEECHMATICS
from studio.services.live import LiveConfig, LiveSession, SessionState, SourceChoice, SourceKind
from studio.services.live.events import RecordingChanged
from studio.services.live.recorder import SessionRecorder
from studio.storage.sessions import SessionStore
from studio.storage.sessions_journal import read_journal
from studio.storage.sessions_library import SessionLibrary
from tests.services.live.conftest import RATE, EventLog, connect_to, file_factory, tone, wav
from tests.services.live.test_session_scripted import dominant_frequency, run_until_played


def finals(log: EventLog) -> list[dict[str, object]]:
    return [dict(x.raw) for x in log.messages if isinstance(x, m.Transcript) and not x.partial]


def journal_finals(folder: Path) -> list[dict[str, object]]:
    records, torn = read_journal(folder / "journal.jsonl")
    assert not torn
    return [r["message"] for r in records if r["type"] == "final"]


async def test_a_two_source_session_is_recorded_as_it_runs_and_completed_at_stop(
        scripted: LocalServer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    me = wav(tmp_path / "me.wav", tone(12.0, 440))
    them = wav(tmp_path / "them.wav", tone(12.0, 660, rate=48000), rate=48000)
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.BOTH, "mic-1", "out-1"),
                          LiveConfig(), source_factory=file_factory({"Me": me, "Them": them}, clock, made=made),
                          clock=clock, capabilities=SPEECHMATICS)
    store = SessionStore(tmp_path / "sessions")
    live_text = tmp_path / "obs" / "captions.txt"
    recorder = SessionRecorder(store, engine="Scripted test engine", live_text=live_text)
    assert await recorder.attach(session)
    log = EventLog(session)
    folder = recorder.folder
    assert folder is not None and folder.parent == store.root
    await session.start()
    # Keyed as the Transcript's registry keys speakers (what the Live page renames): the second person heard on
    # the Them channel, before they first speak (6.6 s of audio in).
    await recorder.rename_speaker("Them/S2", "Guests")

    # While it runs: every final that reached the views is already in the journal, and the WAV is valid.
    await log.wait_for(lambda e: len(finals(e)) >= 4)
    seen = finals(log)
    assert journal_finals(folder)[:len(seen)] == seen
    await log.wait_for(lambda _e: recorder.audio_seconds >= 2.0)
    recorder._writer.flush()  # type: ignore[union-attr]  # what the half-second timer does
    with wave.open(str(folder / "audio.wav")) as growing:
        assert growing.getnchannels() == 2 and growing.getframerate() == RATE and growing.getsampwidth() == 2
        assert growing.getnframes() >= 2 * RATE
    info = json.loads((folder / "session.json").read_text())
    assert info["state"] == "recording" and info["channels"] == ["Me", "Them"]
    assert info["source_kind"] == "both" and info["settings"]["diarization"] == "speaker"

    at = await session.bookmark("decision")
    records, _ = read_journal(folder / "journal.jsonl")
    assert {"type": "bookmark", "time": at, "label": "decision"} in records
    assert {"type": "rename", "speaker": "Them/S2", "name": "Guests"} in records

    await run_until_played(made)
    await session.stop()
    await recorder.closed()
    assert log.states[-1] is SessionState.STOPPED
    changes = [e for e in log.pull() if isinstance(e, RecordingChanged)]
    assert [c.state for c in changes] == ["recording", "stopped"]

    # Completed: every final, in order; an end record; the audio, one channel per source, as long as captured.
    records, torn = read_journal(folder / "journal.jsonl")
    assert not torn and records[-1]["type"] == "end"
    assert journal_finals(folder) == finals(log)
    with wave.open(str(folder / "audio.wav")) as done:
        frames = done.getnframes()
        audio = np.frombuffer(done.readframes(frames), dtype="<i2").reshape(-1, 2)
    # Everything up to the moment of Stop, and what the devices still delivered while they closed (at 4x on a
    # loaded machine, a few hundred ms of audio time).
    assert session.audio_time() * RATE - 0.05 * RATE <= frames <= session.audio_time() * RATE + 0.5 * RATE
    assert frames >= 12 * RATE
    assert dominant_frequency(audio[RATE:5 * RATE, 0].tobytes()) == pytest.approx(440, abs=3)
    assert dominant_frequency(audio[RATE:5 * RATE, 1].tobytes()) == pytest.approx(660, abs=3)
    info = json.loads((folder / "session.json").read_text())
    assert info["state"] == "finished" and info["ended"]
    assert info["duration"] == pytest.approx(frames / RATE, abs=0.1)
    assert info["engine"] == "Scripted test engine" and info["engine_kind"] == "speechmatics"
    assert [s["label"] for s in info["sources"]] == ["Me device", "Them device"]
    assert info["first_words"].startswith("Welcome to the studio.")
    assert not (folder / ".lock").exists() or not store.is_locked(folder.name)

    # The live text file has every final, by speaker, named as the transcript view names them, the name given
    # included; the library reads the rename back onto the same speaker.
    text = live_text.read_text()
    assert "Welcome to the studio." in text and "Guests:" in text
    assert {line.partition(":")[0] for line in text.splitlines()} == {"Me", "Them 1", "Guests"}
    document = SessionLibrary(store.root).open(folder.name)
    assert document.transcript.speakers.display("Them/S2") == "Guests"
    assert {s.key for s in document.transcript.speakers} == {"Me", "Them/S1", "Them/S2"}


async def test_a_session_that_records_nothing_leaves_no_folder(scripted: LocalServer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    factory = file_factory({"Me": tmp_path / "missing.wav"}, clock)
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), LiveConfig(),
                          source_factory=factory, clock=clock)
    store = SessionStore(tmp_path / "sessions")
    recorder = SessionRecorder(store)
    assert await recorder.attach(session)
    await session.start()
    assert session.state is SessionState.FAILED
    await recorder.closed()
    assert store.ids() == []


async def test_captions_mode_keeps_the_last_lines_for_obs(scripted: LocalServer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(14.0, 300))}, clock,
                                                      made=made), clock=clock)
    captions = tmp_path / "captions.txt"
    recorder = SessionRecorder(SessionStore(tmp_path / "sessions"), live_text=captions, live_text_mode="captions",
                               live_text_lines=2)
    await recorder.attach(session)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: len([f for f in finals(e) if f["results"]]) >= 3)
    await log.wait_for(lambda _e: captions.exists() and "Partial words" in captions.read_text())
    await run_until_played(made)
    await session.stop()
    await recorder.closed()
    lines = captions.read_text().splitlines()
    assert 1 <= len(lines) <= 2
    assert "Welcome to the studio" not in captions.read_text()  # scrolled away: only the last lines stay
