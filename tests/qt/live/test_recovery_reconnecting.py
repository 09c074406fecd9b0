"""Reconnecting as the Live page shows it: the local server drops the connection mid-session and refuses the
next attempts (its fault injection, as a network cut or a service restart would); the page says
"Reconnecting…" with the attempt and the audio waiting while the captions stay, then "Reconnected", and the
captions catch up with no word missing or repeated; the session's recording goes on throughout and is saved
with its reconnect counted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.api.endpoints import ENV_API_KEY, ENV_RT_URL
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.faults import RealtimeFaults
from studio.local.scripted import synthetic_script
from studio.qt.live.page import LivePage
from studio.services.live import SessionState
from studio.storage.sessions import sessions_folder
from studio.storage.sessions_library import SessionLibrary
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav
from tests.qt.conftest import StudioFactory
from tests.qt.live.conftest import ThreadedServer
from tests.qt.live.library_helpers import live_page
from tests.services.live.timecode import RATE, TimecodeRecognizer, noise

SECONDS = 40.0
DROP_FRAMES = 300  # 6 s into the session (20 ms frames)


@pytest.fixture
def timecode() -> TimecodeRecognizer:
    return TimecodeRecognizer(noise(SECONDS).astype("float64"), SECONDS - 5)


@pytest.fixture
def realtime(timecode: TimecodeRecognizer) -> Iterator[ThreadedServer]:
    server = ThreadedServer(timecode)
    yield server
    server.close()


def script_words(count: int) -> list[tuple[str, float]]:
    """The first ``count`` words the scripted recogniser says (its uninterrupted transcript)."""
    words: list[tuple[str, float]] = []
    for entry in synthetic_script(diarization=False):
        if entry.payload["message"] == "AddTranscript":
            words += [(r["alternatives"][0]["content"], r["start_time"]) for r in entry.payload["results"]
                      if r["type"] == "word"]
            if len(words) >= count:
                return words[:count]
    raise AssertionError("the script is endless")


def on_server(server: ThreadedServer, change: object) -> None:
    """Runs ``change`` on the server's loop (where its faults are read), and waits for it."""

    async def run() -> None:
        change()  # type: ignore[operator]

    asyncio.run_coroutine_threadsafe(run(), server.loop).result(10)


def test_the_page_says_reconnecting_then_catches_up_and_the_recording_goes_on(
        qtbot: QtBot, make_studio: StudioFactory, realtime: ThreadedServer, timecode: TimecodeRecognizer,
        tmp_path: Path) -> None:
    recording = write_wav(tmp_path / "noise.wav", noise(SECONDS), RATE)
    studio = make_studio(env={ENV_API_KEY: SERVER_KEY, ENV_RT_URL: realtime.endpoints.realtime})
    page: LivePage = live_page(qtbot, studio)
    clock = ScaledClock(2.0)
    page.controller.clock = clock
    page.controller.source_factory = lambda _channel, _id: FileSource(recording, clock=clock, label="Desk microphone")

    def outage(n: int) -> None:
        if n == 1:  # the first connection is dropped, and the service refuses new ones until healed
            realtime.server.faults.realtime.reject_handshake = 503

    timecode.on_open = outage
    on_server(realtime, lambda: setattr(realtime.server.faults.realtime, "drop_after_frames", DROP_FRAMES))
    session = page.start()
    assert session is not None

    # The drop: "Reconnecting…", with the attempt and the audio waiting; the captions already shown stay.
    qtbot.waitUntil(lambda: session.state is SessionState.RECONNECTING, timeout=60000)
    qtbot.waitUntil(lambda: page.detail.text().startswith("Reconnecting… (attempt 2"), timeout=60000)
    assert page.status.text().startswith("Reconnecting…")
    assert "s of audio waiting" in page.detail.text() and page.detail.toolTip()  # why, in a sentence
    before = [(t.text, t.start) for t in page.transcript.all_finals() if not t.is_punctuation]
    assert before and page.start_button.text() == "Stop" and not page.banner.isVisible()
    recorder = page.controller.recording.recorder
    assert recorder is not None and recorder.state == "recording"  # the recording goes on meanwhile

    # The service is back: "Reconnected", and the captions catch up past the drop.
    on_server(realtime, lambda: setattr(realtime.server.faults, "realtime", RealtimeFaults()))
    qtbot.waitUntil(lambda: page.detail.text().startswith("Reconnected after"), timeout=60000)
    assert page.status.text().startswith("● Live")
    qtbot.waitUntil(lambda: any(t.start > before[-1][1] + 6 for t in page.transcript.all_finals()), timeout=60000)
    page.controller.stop()
    qtbot.waitUntil(lambda: session.state is SessionState.STOPPED and page.detail.text().startswith("Saved"),
                    timeout=60000)  # even within the few seconds "Reconnected" is shown
    assert page.session_status.library_button.isVisible()

    # No word missing or repeated, times continuous: the page shows the script's words as an uninterrupted
    # session would have them, word for word and time for time, across the drop too.
    words = [(t.text, t.start) for t in page.transcript.all_finals() if not t.is_punctuation]
    assert words[:len(before)] == before
    script = script_words(len(words))
    assert [w for w, _s in words] == [w for w, _s in script]
    lead = words[0][1] - script[0][1]  # where the file source's first frame fell in the session's time
    assert all(abs(a - b - lead) < 0.03 for (_w, a), (_v, b) in zip(words, script, strict=True)), (words, script)
    summary = SessionLibrary(sessions_folder(studio.paths)).summary(recorder.session_id)
    assert summary.state == "finished"
    info = SessionLibrary(sessions_folder(studio.paths)).open(recorder.session_id).info
    assert info.reconnects == 1
    assert abs(summary.duration - session.audio_time()) < 1.0  # the audio recorded throughout
