"""Device loss, with fault injection through file-backed sources that stop, stall or refuse to open: the
other channel keeps going, the user is told, and capture resumes on the default device, in time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.server import LocalServer
from studio.services.live import (
    Action,
    LiveConfig,
    LiveSession,
    SessionState,
    Severity,
    SourceChanged,
    SourceChoice,
    SourceKind,
)
from tests.services.live.conftest import RATE, EventLog, RecordingRecognizer, connect_to, file_factory, tone, wav


def band_energy(samples: np.ndarray, frequency: float, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[np.abs(freqs - frequency) < 20].sum())


async def test_a_lost_microphone_resumes_on_the_default_one_while_system_audio_goes_on(
        scripted: LocalServer, recognizer: RecordingRecognizer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    factory = file_factory({"Me": wav(tmp_path / "me.wav", tone(10.0, 440)),
                            "Them": wav(tmp_path / "them.wav", tone(10.0, 600))}, clock, made=made,
                           defaults={"Me": wav(tmp_path / "default.wav", tone(10.0, 800)), "Them": tmp_path / "x"},
                           options={"Me": {"lost_after": 2.0}, "default Me": {"then": "silence"}})
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.BOTH, "usb-headset", "speakers"),
                          LiveConfig(), source_factory=factory, clock=clock)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: any(p.severity is Severity.INFO for p in e.problems))
    lost, resumed = log.problems
    assert lost.severity is Severity.WARNING and lost.action is Action.SOURCES
    assert "microphone “Me device” stopped delivering audio" in lost.text
    assert "Captions go on from the system audio" in lost.text and "default microphone" in lost.text
    assert resumed.text == "Capture of the microphone resumed on the default device, “Me default device”."
    changes = [e for e in log.events if isinstance(e, SourceChanged) and e.channel == "Me"]
    assert [c.source_id for c in changes] == ["file:Me:chosen", None, "file:Me:default"]
    assert session.state is SessionState.RUNNING

    them = next(s for s in made if s.source_id == "file:Them:chosen")
    await asyncio.wait_for(asyncio.to_thread(them.finished.wait, 60), 60)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    mine, theirs = (np.frombuffer(bytes(s.audio), dtype="<i2").astype(np.float32) for s in recognizer.sessions)
    # System audio never stopped; the microphone's channel kept time through the loss (silence), so both
    # channels still end together.
    assert len(theirs) / RATE >= 10.0
    assert abs(len(mine) - len(theirs)) / RATE <= 0.1
    # On the microphone's channel: its own tone until it was lost, silence, then the default device's tone
    # from the moment that device started capturing.
    default = next(s for s in made if s.source_id == "file:Me:default")
    first = next(s for s in made if s.source_id == "file:Me:chosen")
    assert first.started_at is not None and default.started_at is not None
    lost_at = first.started_at - session.origin + 2.0
    back_at = default.started_at - session.origin
    assert back_at > lost_at + 0.3
    a, b = round(lost_at * RATE), round(back_at * RATE)
    assert band_energy(mine[:a - 400], 440) > 100 * band_energy(mine[:a - 400], 800)
    assert not mine[a + 400:b - 800].any()  # the gap, within the aligner's tolerance of each edge
    assert band_energy(mine[b + 800:], 800) > 100 * band_energy(mine[b + 800:], 440)
    assert not [p for p in log.problems if p.severity is Severity.ERROR]


async def test_a_chosen_device_that_cannot_be_opened_is_replaced_by_the_default(
        scripted: LocalServer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    factory = file_factory({"Me": wav(tmp_path / "me.wav", tone(2.0, 440))}, clock,
                           defaults={"Me": wav(tmp_path / "default.wav", tone(30.0, 800))},
                           options={"Me": {"fail_to_open": "The device “USB headset” is not connected"}})
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC, "usb"), LiveConfig(),
                          source_factory=factory, clock=clock)
    log = EventLog(session)
    await session.start()
    assert session.state is SessionState.RUNNING
    (problem,) = log.problems
    assert problem.text == ("The device “USB headset” is not connected. Using the default microphone, "
                            "“Me default device”, instead.")
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED


async def test_when_nothing_can_be_captured_the_session_fails_with_what_to_do(
        scripted: LocalServer, recognizer: RecordingRecognizer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    broken = {"fail_to_open": "No microphone is available"}
    factory = file_factory({"Me": tmp_path / "none.wav"}, clock, defaults={"Me": tmp_path / "none.wav"},
                           options={"Me": broken, "default Me": broken})
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC, "usb"), LiveConfig(),
                          source_factory=factory, clock=clock)
    log = EventLog(session)
    await session.start()
    assert log.states == [SessionState.CONNECTING, SessionState.FAILED]
    (problem,) = log.problems
    assert problem.severity is Severity.ERROR and problem.action is Action.SOURCES
    assert problem.text.startswith("No audio could be captured: No microphone is available.")
    assert recognizer.sessions == []  # nothing was started on the service
    await session.stop()  # harmless once failed
    assert session.state is SessionState.FAILED


async def test_a_microphone_that_sends_nothing_is_taken_as_lost_and_replaced(
        scripted: LocalServer, tmp_path: Path) -> None:
    clock = ScaledClock(8.0)
    factory = file_factory({"Me": wav(tmp_path / "me.wav", tone(2.0, 440))}, clock,
                           defaults={"Me": wav(tmp_path / "default.wav", tone(60.0, 800))},
                           options={"Me": {"start_delay": 10_000.0}})  # opens, then never delivers
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC, "usb"), LiveConfig(),
                          source_factory=factory, clock=clock)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: any(p.severity is Severity.INFO for p in e.problems))
    assert "no audio for 6 s" in log.problems[0].text
    ring = session.rings["Me"]
    written = ring.written
    await log.wait_for(lambda _e: ring.written > written + RATE)  # the default device's audio flows
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED


@pytest.mark.parametrize("kind", [SourceKind.BOTH])
async def test_system_audio_that_cannot_be_opened_leaves_the_microphone_running(
        scripted: LocalServer, recognizer: RecordingRecognizer, tmp_path: Path, kind: SourceKind) -> None:
    clock = ScaledClock(4.0)
    none = {"fail_to_open": "No system audio output was found"}
    made: list[FileSource] = []
    factory = file_factory({"Me": wav(tmp_path / "me.wav", tone(3.0, 440)), "Them": tmp_path / "none.wav"}, clock,
                           defaults={"Me": tmp_path / "x", "Them": tmp_path / "none.wav"}, made=made,
                           options={"Them": none, "default Them": none})
    session = LiveSession(connect_to(scripted.urls), SourceChoice(kind, "usb", "hdmi"), LiveConfig(),
                          source_factory=factory, clock=clock)
    log = EventLog(session)
    await session.start()
    assert session.state is SessionState.RUNNING
    (problem,) = log.problems
    assert problem.text == ("No system audio output was found. Captions go on without the system audio; the "
                            "studio keeps trying the default one.")
    me = next(s for s in made if s.source_id == "file:Me:chosen")
    await asyncio.wait_for(asyncio.to_thread(me.finished.wait, 60), 60)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    mine, theirs = recognizer.sessions
    assert len(mine.audio) / 2 / RATE >= 3.0
    assert not any(theirs.audio)  # the missing device's channel is silence, in step
    assert abs(len(mine.audio) - len(theirs.audio)) / 2 / RATE <= 0.05  # padded to the moment of Stop
