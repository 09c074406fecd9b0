"""Microphone + system audio through the real PulseAudio set-up of scripts/with-services.sh, on the built-in
engine: one recording is played into the second null sink (whose remapped source is the "microphone"), another
into the default output (whose monitor is the system audio), at the same time; each comes back under its own
label."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from studio.api import messages as m
from studio.local.engine import BuiltinEngine
from studio.local.whisper_model import WhisperRuntime
from studio.services.connections import Connection
from studio.services.live import (
    LiveConfig,
    LiveSession,
    SessionState,
    Severity,
    SourceChoice,
    SourceKind,
    list_sources,
)
from tests.helpers.wer import word_error_rate, words
from tests.services.live.conftest import EventLog

pytestmark = pytest.mark.usefixtures("desktop")

ME_SAYS = "Hello. Goodbye. Banana. Breakaway. Before. After."  # audio_08
THEY_SAY = "How are you getting on, buddy?"  # audio_09


@pytest.fixture
async def builtin(whisper_runtime: WhisperRuntime) -> AsyncIterator[Connection]:
    engine = BuiltinEngine(runtime=whisper_runtime)
    await engine.start()
    assert engine.endpoints is not None
    yield Connection(engine.endpoints)
    await engine.stop()


def channel_text(messages: list[object], channel: str) -> str:
    return " ".join(r.content for x in messages if isinstance(x, m.Transcript) and not x.partial
                    and x.channel == channel for r in x.results if r.type == "word")


async def play(path: Path, device: str) -> None:
    player = await asyncio.create_subprocess_exec("paplay", f"--device={device}", str(path))
    assert await asyncio.wait_for(player.wait(), 60) == 0


async def test_each_real_device_comes_back_under_me_and_them(builtin: Connection, shared_audio: Path) -> None:
    mic_id = f"pulse:{os.environ['STUDIO_PULSE_MIC_SOURCE']}"
    system_id = f"pulse:{os.environ['STUDIO_PULSE_SYSTEM_SOURCE']}"
    sources = await asyncio.to_thread(list_sources)
    assert mic_id in [s.id for s in sources.microphones]
    assert sources.system[0].id == system_id and sources.system[0].is_default and sources.note is None

    async def connect() -> Connection:
        return builtin

    session = LiveSession(connect, SourceChoice(SourceKind.BOTH, mic_id, system_id), LiveConfig(language="en"))
    log = EventLog(session)
    await session.start()
    assert session.state is SessionState.RUNNING
    await log.wait_for(lambda _e: session.delivering("Me") and session.delivering("Them"), timeout=30)
    await asyncio.gather(play(shared_audio / "audio_08_16kHz.wav", os.environ["STUDIO_PULSE_MIC_FEED"]),
                         play(shared_audio / "audio_09_16kHz.wav", os.environ["STUDIO_PULSE_SINK"]))
    played = session.audio_time()
    await log.wait_for(lambda _e: all(ring.written >= (played + 1.0) * session.sample_rate
                                      for ring in session.rings.values()), timeout=30)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    assert not [p for p in log.problems if p.severity is not Severity.INFO], log.problems
    me, them = channel_text(log.messages, "Me"), channel_text(log.messages, "Them")
    assert word_error_rate(ME_SAYS, me) <= 0.34, me
    assert word_error_rate(THEY_SAY, them) <= 0.34, them
    # Each channel has its own file's words, not the other's.
    assert not set(words(me)) & set(words(THEY_SAY)), me
    assert not set(words(them)) & set(words(ME_SAYS)), them


async def test_the_source_monitor_meters_each_real_source(shared_audio: Path) -> None:
    from studio.services.live import SourceMonitor

    choice = SourceChoice(SourceKind.BOTH, f"pulse:{os.environ['STUDIO_PULSE_MIC_SOURCE']}",
                          f"pulse:{os.environ['STUDIO_PULSE_SYSTEM_SOURCE']}")
    monitor = SourceMonitor(choice)
    await monitor.start()
    try:
        assert monitor.problems == {} and set(monitor.rings) == {"Me", "Them"}
        peaks = {"Me": 0.0, "Them": 0.0}
        player = asyncio.create_task(play(shared_audio / "audio_08_16kHz.wav", os.environ["STUDIO_PULSE_MIC_FEED"]))
        while not player.done():  # pulled at display rate, as the picker's timer does
            for channel, level in monitor.levels().items():
                peaks[channel] = max(peaks[channel], level)
            await asyncio.sleep(1 / 60)
        await player
        assert peaks["Me"] > 0.1  # speech on the microphone
        assert peaks["Them"] < 0.01  # nothing was played to the output
        assert monitor.rings["Me"].samplerate == 48000
    finally:
        await monitor.aclose()
