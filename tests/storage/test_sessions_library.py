"""The sessions library over real recorded sessions (live sessions against the local server, recorded by the
recorder): it lists them with date, duration, sources, engine and first words, searches them, opens them with
their transcript and audio, keeps a speaker's new name, exports them, and deletes them — never one that is
being recorded."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
import srt

from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import LocalServer
from studio.services.capabilities import SPEECHMATICS
from studio.services.live import LiveConfig, LiveSession, SourceChoice, SourceKind
from studio.services.live.recorder import SessionRecorder
from studio.services.live.recovery import export_session
from studio.storage.sessions import SessionInfo, SessionLockedError, SessionStore
from studio.storage.sessions_library import SessionLibrary, build_transcript
from tests.services.live.conftest import RATE, connect_to, file_factory, tone, wav
from tests.services.live.test_session_scripted import run_until_played


async def record(server: LocalServer, root: Path, tmp_path: Path, choice: SourceChoice, seconds: float,
                 *, engine: str, bookmark: str = "") -> str:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    files = {"Me": wav(tmp_path / f"me-{seconds}.wav", tone(seconds, 440)),
             "Them": wav(tmp_path / f"them-{seconds}.wav", tone(seconds, 660))}
    session = LiveSession(connect_to(server.urls), choice, LiveConfig(), source_factory=file_factory(
        files, clock, made=made), clock=clock, capabilities=SPEECHMATICS)
    recorder = SessionRecorder(SessionStore(root), engine=engine)
    assert await recorder.attach(session)
    await session.start()
    if bookmark:
        await session.bookmark(bookmark)
    await run_until_played(made)
    await session.stop()
    await recorder.closed()
    return recorder.session_id


async def test_the_library_lists_searches_opens_renames_exports_and_deletes_recorded_sessions(
        server: LocalServer, tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    first = await record(server, root, tmp_path, SourceChoice(SourceKind.MIC, "mic-1"), 8.0, engine="Engine A",
                         bookmark="start")
    second = await record(server, root, tmp_path, SourceChoice(SourceKind.BOTH, "mic-1", "out-1"), 14.0,
                          engine="Engine B")
    library = SessionLibrary(root)

    # Listed newest first, with what the list shows.
    newest, oldest = library.list()
    assert (newest.id, oldest.id) == (second, first)
    assert newest.created >= oldest.created
    # As long as what was captured: the file played, and the lead-in before a device's first block (silence,
    # part of the recording; longer on a loaded machine) — the audio file's length.
    assert newest.duration >= 14.0 and oldest.duration >= 8.0
    for summary in (newest, oldest):
        assert summary.audio is not None
        with wave.open(str(summary.audio)) as recorded:
            assert recorded.getnframes() / RATE == pytest.approx(summary.duration, abs=0.01)
    assert newest.sources == ("Me: Me device", "Them: Them device") and oldest.sources == ("Me: Me device",)
    assert (newest.engine, oldest.engine) == ("Engine B", "Engine A")
    assert oldest.first_words.startswith("Welcome to the studio. This session is scripted, so every run is")
    assert newest.first_words.startswith("Welcome to the studio.") and newest.first_words.endswith("…")
    assert newest.state == oldest.state == "finished" and not newest.live and not library.unfinished()
    assert newest.audio == root / second / "audio.wav"

    # Searched: transcript words, titles, speaker names; every word must match.
    assert {s.id for s in library.search("SCRIPTED session")} == {first, second}
    assert [s.id for s in library.search("speakers turns")] == [second]  # only the longer one got that far
    library.set_title(first, "Budget review")
    assert [s.id for s in library.search("budget welcome")] == [first]
    assert library.search("zebra") == []

    # Opened: the transcript as journaled, channels and bookmarks kept, the audio one channel per source.
    document = library.open(second)
    assert set(document.transcript.channels) == {"Me", "Them"}
    assert document.transcript.all_finals()
    assert [b.label for b in library.open(first).transcript.bookmarks] == ["start"]
    assert document.audio is not None
    with wave.open(str(document.audio)) as audio:
        assert audio.getnchannels() == 2
        assert audio.getnframes() == pytest.approx(newest.duration * RATE, abs=0.01 * RATE)

    # A speaker renamed in the library stays renamed, and exports follow. Keys are speakers.speaker_key's (what
    # the view renames): Me is one person, the first person inside Them is "Them/S1".
    assert {"Me", "Them/S1"} <= {s.key for s in document.transcript.speakers}
    library.rename_speaker(second, "Them/S1", "Alice")
    reopened = library.open(second)
    assert reopened.transcript.speakers.display("Them/S1") == "Alice"
    assert reopened.transcript.speakers.display("Me") == "Me"
    assert "Alice" in export_session(reopened, "txt").decode()
    assert [s.id for s in library.search("alice")] == [second]
    cues = list(srt.parse(export_session(reopened, "srt").decode()))
    assert cues and cues[0].start.total_seconds() >= 0

    # Deleted: gone from the list and the disk.
    library.delete(first)
    assert [s.id for s in library.list()] == [second]
    assert not (root / first).exists()


async def test_a_session_being_recorded_is_listed_as_live_and_cannot_be_deleted(server: LocalServer,
                                                                               tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    session = LiveSession(connect_to(server.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(6.0, 440))}, clock,
                                                      made=made), clock=clock)
    root = tmp_path / "sessions"
    recorder = SessionRecorder(SessionStore(root))
    await recorder.attach(session)
    await session.start()
    library = SessionLibrary(root)
    (live,) = library.list()
    assert live.live and not live.unfinished
    with pytest.raises(SessionLockedError, match="another studio window"):
        library.delete(live.id)
    with pytest.raises(SessionLockedError):
        library.rename_speaker(live.id, "UU", "Somebody")
    await run_until_played(made)
    await session.stop()
    await recorder.closed()
    library.delete(live.id)
    assert library.list() == []


def _final(channel: str, words: list[tuple[str, str, float]]) -> dict[str, object]:
    results = [{"type": "word", "start_time": t, "end_time": t + 0.4,
                "alternatives": [{"content": w, "confidence": 0.9, "speaker": label}]} for w, label, t in words]
    return {"type": "final", "message": {"message": "AddTranscript", "channel": channel, "results": results,
                                         "metadata": {"start_time": words[0][2], "end_time": words[-1][2] + 0.4,
                                                      "transcript": " ".join(w for w, _l, _t in words)}}}


def test_renames_apply_by_the_transcripts_keys_and_an_older_journals_bare_labels_still_do() -> None:
    info = SessionInfo(channels=("Me", "Them"), transcript_channels={"Me": "Me", "Them": "Them"})
    finals = [_final("Me", [("hello", "S1", 0.5)]), _final("Them", [("hi", "S1", 1.0), ("there", "S2", 1.5)])]
    # Now: keyed as the registry keys them; a rename journaled before its speaker's first final still applies.
    now = build_transcript(info, [{"type": "rename", "speaker": "Them/S2", "name": "Bob"}, *finals,
                                  {"type": "rename", "speaker": "Me", "name": "Ann"},
                                  {"type": "rename", "speaker": "Them/S1", "name": "Alice"}])
    assert {s.key: s.display for s in now.speakers} == {"Me": "Ann", "Them/S1": "Alice", "Them/S2": "Bob"}
    # An older journal: bare labels name that label in every channel but Me (who is one person), even when
    # journaled before the words; the last name given wins; "" restores the default.
    older = build_transcript(info, [{"type": "rename", "speaker": "S2", "name": "Guests"}, *finals,
                                    {"type": "rename", "speaker": "S1", "name": "Carol"},
                                    {"type": "rename", "speaker": "S1", "name": "Alice"},
                                    {"type": "rename", "speaker": "S2", "name": ""}])
    assert {s.key: s.display for s in older.speakers} == {"Me": "Me", "Them/S1": "Alice", "Them/S2": "Them 2"}
