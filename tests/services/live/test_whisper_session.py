"""Whole live sessions on the built-in engine (Whisper tiny.en behind the real local server): Microphone +
system audio from two real recordings comes back word for word under "Me" and "Them"; a language the
model does not know is said in plain words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from studio.api import messages as m
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.engine import BuiltinEngine
from studio.local.whisper_model import WhisperRuntime
from studio.services.connections import Connection
from studio.services.live import Action, LiveConfig, LiveSession, SessionState, Severity, SourceChoice, SourceKind
from tests.helpers.wer import word_error_rate, words
from tests.services.live.conftest import EventLog, file_factory

AUDIO_08 = "Hello. Goodbye. Banana. Breakaway. Before. After."
AUDIO_09 = "How are you getting on, buddy?"


@pytest.fixture
async def builtin(whisper_runtime: WhisperRuntime) -> AsyncIterator[Connection]:
    engine = BuiltinEngine(runtime=whisper_runtime)
    await engine.start()
    assert engine.endpoints is not None
    yield Connection(engine.endpoints)  # no API key: the built-in engine
    await engine.stop()


def channel_text(messages: list[object], channel: str | None) -> str:
    return " ".join(r.content for x in messages if isinstance(x, m.Transcript) and not x.partial
                    and x.channel == channel for r in x.results if r.type == "word")


async def test_microphone_and_system_audio_come_back_under_me_and_them(builtin: Connection,
                                                                       shared_audio: Path) -> None:
    clock = ScaledClock(2.0)
    made: list[FileSource] = []
    factory = file_factory({"Me": shared_audio / "audio_08_16kHz.wav", "Them": shared_audio / "audio_09_16kHz.wav"},
                           clock, made=made)

    async def connect() -> Connection:
        return builtin

    session = LiveSession(connect, SourceChoice(SourceKind.BOTH, "mic", "out"), LiveConfig(language="en"),
                          source_factory=factory, clock=clock)
    log = EventLog(session)
    await session.start()
    assert session.state is SessionState.RUNNING and session.local
    await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(s.finished.wait, 90) for s in made)), 90)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    started = next(x for x in log.messages if isinstance(x, m.RecognitionStarted))
    assert started.channel_ids == ("Me", "Them")  # diarization "channel" on the built-in engine
    me, them = channel_text(log.messages, "Me"), channel_text(log.messages, "Them")
    assert word_error_rate(AUDIO_08, me) <= 0.34, me
    assert word_error_rate(AUDIO_09, them) <= 0.34, them
    assert not set(words(me)) & set(words(AUDIO_09)) and not set(words(them)) & set(words(AUDIO_08))
    # Partials came first (the live edge), and no speaker diarization was asked of an engine without it.
    assert any(isinstance(x, m.Transcript) and x.partial and x.results for x in log.messages)
    assert not [p for p in log.problems if p.severity is Severity.ERROR]


async def test_a_language_the_built_in_model_does_not_know_says_what_to_do(builtin: Connection,
                                                                           shared_audio: Path) -> None:
    clock = ScaledClock(2.0)

    async def connect() -> Connection:
        return builtin

    session = LiveSession(connect, SourceChoice(SourceKind.MIC), LiveConfig(language="fr"),
                          source_factory=file_factory({"Me": shared_audio / "audio_09_16kHz.wav"}, clock),
                          clock=clock)
    log = EventLog(session)
    await session.start()
    assert log.states == [SessionState.CONNECTING, SessionState.FAILED]
    (problem,) = log.problems
    assert problem.severity is Severity.ERROR and problem.action is Action.SETTINGS
    assert problem.text.endswith("Choose English, or a multilingual Whisper model in Settings (Ctrl+,).")
    assert "Traceback" not in problem.text
