"""What goes wrong in use, said in plain words with what to do next: auth, quota, network (unreachable and
dropped mid-session), a server warning; the devices are released when a session fails."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from studio.api.endpoints import Endpoints
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import Limits, LocalServer
from studio.services.live import Action, LiveConfig, LiveSession, SessionState, Severity, SourceChoice, SourceKind
from tests.services.live.conftest import RATE, EventLog, connect_to, file_factory, tone, wav


def mic_session(endpoints: Endpoints, tmp_path: Path, made: list[FileSource], key: str | None = None,
                seconds: float = 30.0) -> LiveSession:
    clock = ScaledClock(4.0)
    factory = file_factory({"Me": wav(tmp_path / "me.wav", tone(seconds, 440))}, clock, made=made)
    connect = connect_to(endpoints) if key is None else connect_to(endpoints, key)
    return LiveSession(connect, SourceChoice(SourceKind.MIC), LiveConfig(), source_factory=factory, clock=clock)


async def assert_failed_with(session: LiveSession, made: list[FileSource], *, contains: str,
                             action: Action, log: EventLog | None = None) -> None:
    log = log or EventLog(session)
    await log.wait_for(lambda e: SessionState.FAILED in e.states)
    errors = [p for p in log.problems if p.severity is Severity.ERROR]
    assert len(errors) == 1, log.problems
    assert contains in errors[0].text and action is errors[0].action, errors[0]
    assert "Traceback" not in errors[0].text
    # The devices were released, and the captured time stops growing.
    assert all(source._thread is None for source in made)
    assert session.audio_time() == session.audio_time()


async def test_a_rejected_key_says_to_check_it_in_settings(scripted: LocalServer, tmp_path: Path) -> None:
    made: list[FileSource] = []
    session = mic_session(scripted.urls, tmp_path, made, key="not-the-key")
    await session.start()
    await assert_failed_with(session, made, contains="Check the API key in Settings (Ctrl+,)", action=Action.SETTINGS)


@pytest.fixture
def limits() -> Limits:
    return Limits(max_sessions=1)


async def test_the_concurrent_quota_says_to_wait(server: LocalServer, tmp_path: Path) -> None:
    first_made: list[FileSource] = []
    first = mic_session(server.urls, tmp_path, first_made)
    await first.start()
    assert first.state is SessionState.RUNNING
    made: list[FileSource] = []
    second = mic_session(server.urls, tmp_path, made)
    await second.start()
    await assert_failed_with(second, made, contains="Try again in a few seconds", action=Action.RETRY)
    first_log = EventLog(first)
    await first.stop()
    assert first_log.states[-1] is SessionState.STOPPED


async def test_an_unreachable_service_says_to_check_the_network(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoints = Endpoints(f"ws://127.0.0.1:{port}/v2", f"http://127.0.0.1:{port}/v2", f"http://127.0.0.1:{port}")
    made: list[FileSource] = []
    session = mic_session(endpoints, tmp_path, made)
    await session.start()
    await assert_failed_with(session, made, contains="Check your network connection", action=Action.RETRY)


async def test_a_connection_dropped_mid_session_reconnects_and_keeps_what_arrived(
        scripted: LocalServer, tmp_path: Path) -> None:
    made: list[FileSource] = []
    session = mic_session(scripted.urls, tmp_path, made)
    log = EventLog(session)
    scripted.faults.realtime.drop_after_frames = 200  # 4 s of audio (and again in every new connection)
    await session.start()
    await log.wait_for(lambda e: e.states.count(SessionState.RUNNING) >= 2)  # reconnected (issue 12)
    assert SessionState.RECONNECTING in log.states and SessionState.FAILED not in log.states
    assert [m for m in log.messages if type(m).__name__ == "Transcript"]  # the words before the cut were kept
    assert session.rings["Me"].written >= 3 * RATE
    scripted.faults.realtime.drop_after_frames = None
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED


async def test_a_server_warning_is_shown_and_the_session_goes_on(scripted: LocalServer, tmp_path: Path) -> None:
    made: list[FileSource] = []
    session = mic_session(scripted.urls, tmp_path, made, seconds=4.0)
    log = EventLog(session)
    scripted.faults.realtime.warning_after_frames = (20, "speaker_id", "speaker identification is not available")
    await session.start()
    await log.wait_for(lambda e: bool(e.problems))
    (warning,) = log.problems
    assert warning.severity is Severity.WARNING and warning.text == "Speaker identification is not available."
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
