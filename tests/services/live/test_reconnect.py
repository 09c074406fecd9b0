"""Reconnected without a gap: the local server drops the connection mid-session (its fault injection), is
restarted, closes with 1011/4013, or the network goes silent until the keepalive gives up — and the session
reconnects by itself, sends what was not finished first, and shifts the new session's times, so that compared
with an uninterrupted run on the (listening) scripted recogniser no word is missing or repeated and every
time is where it was. Errors a retry cannot fix (a refused key, a used-up quota) end the session instead."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from studio.api import messages as m
from studio.api.endpoints import Endpoints
from studio.api.realtime import RealtimeOptions
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.faults import RealtimeFaults
from studio.local.server import LocalServer, ServerConfig
from studio.services.live import Action, LiveConfig, LiveSession, SessionState, Severity, SourceChoice, SourceKind
from studio.services.live.events import Reconnected, Reconnecting
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav
from tests.services.live.conftest import EventLog, connect_to, file_factory
from tests.services.live.netcut import CutProxy
from tests.services.live.timecode import RATE, TimecodeRecognizer, expected_words, noise

SECONDS = 24.0
SCRIPT = SECONDS - 4.0
SPEED = 4.0

Word = tuple[str, float, float]


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "noise.wav", noise(SECONDS), RATE)


@pytest.fixture
def recognizer() -> TimecodeRecognizer:
    return TimecodeRecognizer(noise(SECONDS).astype("float64"), SCRIPT)


@pytest.fixture
async def server(recognizer: TimecodeRecognizer) -> AsyncIterator[LocalServer]:
    async with LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY})), recognizer=recognizer) as running:
        yield running


@dataclass
class Run:
    session: LiveSession
    log: EventLog
    lead: float = 0.0  # where in the recording the session's audio time 0 is (its device's start)

    @property
    def words(self) -> list[Word]:
        return [(r.content, r.start_time, r.end_time) for x in self.log.messages
                if isinstance(x, m.Transcript) and not x.partial for r in x.results if r.type == "word"]

    @property
    def recording_times(self) -> list[Word]:
        """The words timed on the recording (the runs' devices do not start at the same moment)."""
        return [(w, round(s + self.lead, 3), round(e + self.lead, 3)) for w, s, e in self.words]


async def run(endpoints: Endpoints, recording: Path, recognizer: TimecodeRecognizer, *,
              during: Callable[[Run], Awaitable[None]] | None = None, options: RealtimeOptions | None = None,
              speed: float = SPEED) -> Run:
    first = len(recognizer.starts)
    clock = ScaledClock(speed)
    made: list[FileSource] = []
    session = LiveSession(connect_to(endpoints), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock, made=made), clock=clock,
                          options=options)
    result = Run(session, EventLog(session))
    await session.start()
    assert session.state is SessionState.RUNNING
    if during is not None:
        await during(result)
    await asyncio.wait_for(asyncio.to_thread(made[0].finished.wait, 120), 130)
    await session.stop()
    result.lead = recognizer.starts[first]
    return result


def assert_continuous(reconnected: Run, uninterrupted: Run, *, reconnects: int = 1) -> None:
    got, want = reconnected.recording_times, uninterrupted.recording_times
    assert [w for w, _s, _e in want] == expected_words(SCRIPT)
    assert [w for w, _s, _e in got] == [w for w, _s, _e in want]  # nothing missing, nothing twice
    for (word, start, end), (_w, want_start, want_end) in zip(got, want, strict=True):
        # The same place in the recording.
        assert start == pytest.approx(want_start, abs=0.03) and end == pytest.approx(want_end, abs=0.03), word
    starts = [s for _w, s, _e in got]
    assert starts == sorted(starts)
    states = reconnected.log.states
    assert states[-1] is SessionState.STOPPED
    assert states.count(SessionState.RECONNECTING) == reconnects
    assert reconnected.session.reconnects == reconnects
    assert [e for e in reconnected.log.pull() if isinstance(e, Reconnected)]
    assert not [p for p in reconnected.log.problems if p.severity is Severity.ERROR]


async def wait_for_words(result: Run, count: int) -> None:
    await result.log.wait_for(lambda _e: len(result.words) >= count)


async def test_a_dropped_connection_reconnects_and_the_transcript_has_no_gap_and_no_repeat(
        server: LocalServer, recognizer: TimecodeRecognizer, recording: Path) -> None:
    uninterrupted = await run(server.urls, recording, recognizer)
    assert len(recognizer.sessions) == 1

    def heal(n: int) -> None:
        if n == 3:  # the second run's new connection: the network is fine again
            server.faults.realtime = RealtimeFaults()

    recognizer.on_open = heal
    server.faults.realtime.drop_after_frames = 420  # 8.4 s into the recording: mid-sentence
    reconnected = await run(server.urls, recording, recognizer)
    assert len(recognizer.sessions) == 3
    assert_continuous(reconnected, uninterrupted)
    # The new session heard the recording from where the old one's finals ended (not from the drop).
    drop_at = 420 * 0.02
    assert recognizer.starts[2] < drop_at - 0.5
    reconnecting = [e for e in reconnected.log.pull() if isinstance(e, Reconnecting)]
    assert reconnecting[0].attempt == 1 and reconnecting[0].reason
    # Its times were shifted by where it started: the audio time of the first frame it was sent.
    assert reconnected.session.time_offset("Me") == pytest.approx(recognizer.starts[2] - reconnected.lead, abs=0.03)


async def test_a_server_restart_is_survived(server: LocalServer, recognizer: TimecodeRecognizer,
                                            recording: Path) -> None:
    uninterrupted = await run(server.urls, recording, recognizer)
    port = server.port
    replacement: list[LocalServer] = []

    async def restart(result: Run) -> None:
        await wait_for_words(result, 8)
        await server.stop()  # closes the session with 1001 "going away"
        await result.log.wait_for(lambda e: SessionState.RECONNECTING in e.states)
        again = LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY})), recognizer=recognizer)
        await again.start(port=port)
        replacement.append(again)

    try:
        reconnected = await run(server.urls, recording, recognizer, during=restart)
    finally:
        for each in replacement:
            await each.stop()
    assert_continuous(reconnected, uninterrupted)


@pytest.mark.parametrize(("error_type", "code"), [("job_error", 4013), ("unknown_error", 1011)])
async def test_a_service_failure_close_is_retried(server: LocalServer, recognizer: TimecodeRecognizer,
                                                  recording: Path, error_type: str, code: int) -> None:
    uninterrupted = await run(server.urls, recording, recognizer)

    def heal(n: int) -> None:
        if n == 3:
            server.faults.realtime = RealtimeFaults()

    recognizer.on_open = heal
    server.faults.realtime.error_after_frames = (400, error_type, "the transcriber failed")  # Error, then close
    reconnected = await run(server.urls, recording, recognizer)
    reconnecting = [e for e in reconnected.log.pull() if isinstance(e, Reconnecting)]
    assert reconnecting and "the transcriber failed" in reconnecting[0].reason
    assert_continuous(reconnected, uninterrupted)


async def test_a_silent_network_is_noticed_by_the_keepalive_and_reconnected(
        server: LocalServer, recognizer: TimecodeRecognizer, recording: Path) -> None:
    uninterrupted = await run(server.urls, recording, recognizer)
    proxy = CutProxy(server.host, server.port)
    await proxy.start()
    endpoints = Endpoints(proxy.url(), server.urls.batch, server.urls.tts)
    # Keepalive: a ping every 0.3 s, given up 1 s without a pong (and 1 s for the close that cannot get out).
    options = RealtimeOptions(ping_interval=0.3, ping_timeout=1.0, open_timeout=1.5, close_timeout=1.0)

    async def outage(result: Run) -> None:
        await wait_for_words(result, 8)
        proxy.cut()
        await result.log.wait_for(lambda e: len([x for x in e.pull() if isinstance(x, Reconnecting)]) >= 2)
        proxy.restore()

    try:
        reconnected = await run(endpoints, recording, recognizer, during=outage, options=options, speed=2.0)
    finally:
        await proxy.stop()
    assert_continuous(reconnected, uninterrupted)
    first = next(e for e in reconnected.log.pull() if isinstance(e, Reconnecting))
    assert "did not answer in time" in first.reason or "keepalive" in first.reason


async def test_a_drop_while_stopping_reconnects_for_the_last_words(server: LocalServer,
                                                                   recognizer: TimecodeRecognizer,
                                                                   recording: Path) -> None:
    uninterrupted = await run(server.urls, recording, recognizer)
    proxy = CutProxy(server.host, server.port)
    await proxy.start()
    endpoints = Endpoints(proxy.url(), server.urls.batch, server.urls.tts)
    first = len(recognizer.sessions)

    async def drop_once(ending: object) -> None:
        if len(recognizer.sessions) == first + 1:  # EndOfStream reached the first connection: cut it there
            proxy.cut(reset=True)
            proxy.restore()

    recognizer.on_finish = drop_once
    clock = ScaledClock(SPEED)
    made: list[FileSource] = []
    session = LiveSession(connect_to(endpoints), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock, made=made), clock=clock)
    reconnected = Run(session, EventLog(session))
    try:
        await session.start()
        await asyncio.wait_for(asyncio.to_thread(made[0].finished.wait, 120), 130)
        await session.stop()
    finally:
        await proxy.stop()
    reconnected.lead = recognizer.starts[first]
    assert len(recognizer.sessions) == first + 2
    assert reconnected.log.states[-3:] == [SessionState.RECONNECTING, SessionState.STOPPING, SessionState.STOPPED]
    assert_continuous(reconnected, uninterrupted)


@pytest.mark.parametrize(("error_type", "says", "action"), [
    ("not_authorised", "Check the API key in Settings", Action.SETTINGS),
    ("timelimit_exceeded", "quota is used up", Action.RETRY),
])
async def test_what_a_retry_cannot_fix_is_not_retried(server: LocalServer, recognizer: TimecodeRecognizer,
                                                      recording: Path, error_type: str, says: str,
                                                      action: Action) -> None:
    server.faults.realtime.error_after_frames = (300, error_type, "")
    clock = ScaledClock(SPEED)
    session = LiveSession(connect_to(server.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock), clock=clock)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: SessionState.FAILED in e.states)
    assert SessionState.RECONNECTING not in log.states
    assert len(recognizer.sessions) == 1
    (error,) = [p for p in log.problems if p.severity is Severity.ERROR]
    assert says in error.text


async def test_a_key_refused_on_reconnecting_ends_the_session(server: LocalServer, recognizer: TimecodeRecognizer,
                                                               recording: Path) -> None:
    def revoke(n: int) -> None:
        if n == 1:  # the key stops working once the first session is under way
            server.faults.realtime.reject_handshake = 401

    recognizer.on_open = revoke
    server.faults.realtime.drop_after_frames = 300
    clock = ScaledClock(SPEED)
    session = LiveSession(connect_to(server.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock), clock=clock)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: SessionState.FAILED in e.states)
    assert log.states == [SessionState.CONNECTING, SessionState.RUNNING, SessionState.RECONNECTING,
                          SessionState.FAILED]
    (error,) = [p for p in log.problems if p.severity is Severity.ERROR]
    assert "Check the API key in Settings" in error.text and error.action is Action.SETTINGS


async def test_stop_while_reconnecting_ends_at_once_and_says_what_was_not_transcribed(
        server: LocalServer, recognizer: TimecodeRecognizer, recording: Path) -> None:
    def outage(n: int) -> None:
        if n == 1:
            server.faults.realtime.reject_handshake = 503  # the service is down from the drop on

    recognizer.on_open = outage
    server.faults.realtime.drop_after_frames = 300
    clock = ScaledClock(SPEED)
    session = LiveSession(connect_to(server.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock), clock=clock)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: len([x for x in e.pull() if isinstance(x, Reconnecting)]) >= 2)
    assert session.state is SessionState.RECONNECTING
    assert session.buffered_seconds() > 0
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    (warning,) = [p for p in log.problems if "Stopped while the connection was down" in p.text]
    assert warning.severity is Severity.WARNING and "recording" in warning.text


async def test_two_channels_each_carry_on_from_their_own_last_final(server: LocalServer,
                                                                    recognizer: TimecodeRecognizer,
                                                                    recording: Path) -> None:
    async def both(faulty: bool) -> tuple[dict[str, list[Word]], LiveSession]:
        clock = ScaledClock(SPEED)
        made: list[FileSource] = []
        session = LiveSession(connect_to(server.urls), SourceChoice(SourceKind.BOTH, "mic", "out"),
                              LiveConfig(diarization="channel"), clock=clock,
                              source_factory=file_factory({"Me": recording, "Them": recording}, clock, made=made))
        log = EventLog(session)
        opened = len(recognizer.sessions)

        def heal(n: int) -> None:
            if n > opened + 2:  # the two channels of the new connection
                server.faults.realtime = RealtimeFaults()

        recognizer.on_open = heal
        if faulty:
            server.faults.realtime.drop_after_frames = 800  # both channels' frames count: ~8 s in
        await session.start()
        await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(s.finished.wait, 120) for s in made)), 130)
        await session.stop()
        assert log.states[-1] is SessionState.STOPPED
        # The server opens a recogniser per channel, in the order of the labels.
        me, them = recognizer.sessions[opened:opened + 2]
        assert me.start is not None and them.start is not None
        leads = {"Me": me.start, "Them": them.start}
        out: dict[str, list[Word]] = {}
        for channel in ("Me", "Them"):
            out[channel] = [(r.content, round(r.start_time + leads[channel], 3), round(r.end_time + leads[channel], 3))
                            for x in log.messages if isinstance(x, m.Transcript) and not x.partial
                            and x.channel == channel for r in x.results if r.type == "word"]
        return out, session

    uninterrupted, _ = await both(False)
    reconnected, session = await both(True)
    assert session.reconnects == 1
    for channel in ("Me", "Them"):
        assert [w for w, _s, _e in uninterrupted[channel]] == expected_words(SCRIPT)
        assert [w for w, _s, _e in reconnected[channel]] == expected_words(SCRIPT), channel
        for (word, start, _e), (_w, want, _we) in zip(reconnected[channel], uninterrupted[channel], strict=True):
            assert start == pytest.approx(want, abs=0.03), (channel, word)
