"""Kill and recover: a studio recording a live session (a subprocess, against the local server in this
process) is SIGKILLed mid-session; a new instance finds the interrupted session, recovers it, and its
transcript is every final the server had sent — word for word, time for time — and its audio decodes and is
exactly what was captured; it exports, and its recording is ready to be sent as a batch job."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import srt

from studio.audio.decode import StreamFormat, decode_all
from studio.local.server import LocalServer, ServerConfig
from studio.services.live.recovery import batch_files, export_session, find_unfinished, recover
from studio.storage.sessions import SessionLockedError, SessionStore
from studio.storage.sessions_journal import read_journal
from studio.storage.sessions_library import SessionLibrary
from tests.conftest import REPO
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav
from tests.services.live.timecode import RATE, TimecodeRecognizer, noise

SECONDS = 60.0


@pytest.fixture
def recognizer() -> TimecodeRecognizer:
    return TimecodeRecognizer(noise(SECONDS).astype("float64"), SECONDS - 5)


@pytest.fixture
async def server(recognizer: TimecodeRecognizer) -> AsyncIterator[LocalServer]:
    async with LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY})), recognizer=recognizer) as running:
        yield running


def sent_words(recognizer: TimecodeRecognizer) -> list[tuple[str, float, float]]:
    return [(r["alternatives"][0]["content"], r["start_time"], r["end_time"]) for p in recognizer.sent
            if p["message"] == "AddTranscript" for r in p["results"]]


def journaled_finals(folder: Path) -> int:
    records, _torn = read_journal(folder / "journal.jsonl")
    return sum(1 for r in records if r["type"] == "final")


async def test_a_killed_session_is_found_and_recovered_with_every_final_and_its_audio(
        server: LocalServer, recognizer: TimecodeRecognizer, tmp_path: Path) -> None:
    recording = write_wav(tmp_path / "noise.wav", noise(SECONDS), RATE)
    root = tmp_path / "sessions"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.services.live.kill_child", server.urls.realtime, SERVER_KEY, str(recording),
        str(root), "2.0", cwd=REPO, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert child.stdout is not None
        line = (await asyncio.wait_for(child.stdout.readline(), 60)).decode().split()
        assert line[:1] == ["started"] and line[2] == "running", line
        session_id = line[1]
        folder = root / session_id
        library = SessionLibrary(root)

        # While it records, no other instance can write the session (nor recover or delete it).
        assert library.list()[0].live and not library.unfinished()
        with pytest.raises(SessionLockedError):
            library.delete(session_id)
        with pytest.raises(SessionLockedError):
            recover(library, session_id)

        # Kill it mid-session, at a moment when every final the server sent has reached the journal (checked and
        # killed in one step of this loop, which the server shares: it cannot send another in between).
        async with asyncio.timeout(120):
            while True:
                finals = [p for p in recognizer.sent if p["message"] == "AddTranscript"]
                if len(sent_words(recognizer)) >= 25 and journaled_finals(folder) == len(finals):
                    fed = bytes(recognizer.sessions[0].audio)
                    child.send_signal(signal.SIGKILL)
                    break
                await asyncio.sleep(0.005)
        await child.wait()
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    said = sent_words(recognizer)
    assert 25 <= len(said) < 120  # mid-session: the script goes on well past it

    # The header was valid all along: what it describes is whole frames that are there.
    with wave.open(str(folder / "audio.wav")) as before:
        assert before.getnchannels() == 1 and before.getnframes() * 2 <= os.path.getsize(folder / "audio.wav") - 80

    # A new instance finds it and recovers it.
    library = SessionLibrary(root)
    (unfinished,) = find_unfinished(library)
    assert unfinished.id == session_id and not unfinished.live and unfinished.unfinished
    recovered = recover(library, session_id)
    tokens = recovered.document.transcript.all_finals()
    assert [(t.text, t.start, t.end) for t in tokens] == said  # every final the server sent, nothing else
    assert recovered.final_seconds > 0 and not recovered.audio_problem

    # The audio decodes, and it is exactly what was captured: everything the server was sent (the recorder
    # writes a frame before it is sent), and at most the few frames still on their way.
    pcm = decode_all(folder / "audio.wav", StreamFormat(sample_rate=RATE, encoding="pcm_s16le", mono=True))
    audio = np.frombuffer(pcm, dtype="<i2")
    heard = np.frombuffer(fed, dtype="<i2")
    assert len(audio) == round(recovered.audio_seconds * RATE)
    assert len(heard) <= len(audio) <= len(heard) + 2 * RATE
    differ = np.flatnonzero(audio[:len(heard)] != heard)
    assert not len(differ), (differ[:10], audio[differ[:10]], heard[differ[:10]], len(differ))
    assert recovered.untranscribed_seconds > 0  # the words still partial at the kill: for a batch job

    # It is listed as recovered, exports, and its recording is what a batch job gets.
    (summary,) = library.list()
    assert summary.state == "recovered" and not summary.unfinished and not summary.live
    assert summary.duration == pytest.approx(len(audio) / RATE, abs=0.01)
    assert summary.first_words.startswith("Welcome to the studio.")
    cues = list(srt.parse(export_session(recovered.document, "srt").decode()))
    assert cues and "Welcome to the studio." in cues[0].content
    assert batch_files(recovered.document) == [folder / "audio.wav"]
    assert SessionStore(root).is_locked(session_id) is False
