"""Reconnected without a gap on the built-in engine (Whisper tiny.en behind the real local server), on real
speech: the server drops the connection mid-sentence; the words after reconnecting match an uninterrupted run
(word error rate bound), none twice, times in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from studio.api import messages as m
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.engine import BuiltinEngine
from studio.local.engines import RealtimeRecognizer, RecognitionSession
from studio.local.faults import RealtimeFaults
from studio.local.whisper_model import WhisperRuntime
from studio.services.connections import Connection
from studio.services.live import LiveConfig, LiveSession, SessionState, SourceChoice, SourceKind
from tests.helpers.wer import word_error_rate, words
from tests.services.live.conftest import EventLog, file_factory

DROP_AFTER_FRAMES = 650  # 13 s into the recording, mid-conversation


class Opening:
    """The engine's recogniser, calling ``on_open(n)`` as the n-th session opens (before any audio)."""

    def __init__(self, inner: RealtimeRecognizer, on_open: Callable[[int], None]) -> None:
        self.inner = inner
        self.on_open = on_open
        self.opened = 0

    def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
             translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> RecognitionSession:
        self.opened += 1
        self.on_open(self.opened)
        return self.inner.open(transcription_config, audio_format, translation_config, audio_events_config)

    def language_pack_info(self, language: str) -> dict[str, Any]:
        return self.inner.language_pack_info(language)


@pytest.fixture
async def engine(whisper_runtime: WhisperRuntime) -> AsyncIterator[BuiltinEngine]:
    built = BuiltinEngine(runtime=whisper_runtime)
    await built.start()
    yield built
    await built.stop()


async def caption(engine: BuiltinEngine, recording: Path) -> EventLog:
    assert engine.endpoints is not None
    endpoints = engine.endpoints

    async def connect() -> Connection:
        return Connection(endpoints)

    # Real time: faster, a loaded 2-core machine cannot decode as the audio comes, the engine skips partial
    # decodes by how loaded it is, and each run's words differ ("good money" / "good morning") on both sides of
    # the comparison, reconnect or not.
    clock = ScaledClock(1.0)
    made: list[FileSource] = []
    session = LiveSession(connect, SourceChoice(SourceKind.MIC), LiveConfig(language="en", diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock, made=made), clock=clock)
    log = EventLog(session)
    await session.start()
    await asyncio.wait_for(asyncio.to_thread(made[0].finished.wait, 120), 130)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    return log


def final_words(log: EventLog) -> list[tuple[str, float]]:
    return [(r.content, r.start_time) for x in log.messages if isinstance(x, m.Transcript) and not x.partial
            for r in x.results if r.type == "word"]


async def test_whisper_on_real_speech_reconnects_without_losing_or_repeating_words(
        engine: BuiltinEngine, shared_audio: Path) -> None:
    recording = shared_audio / "audio_05_16kHz.wav"
    uninterrupted = final_words(await caption(engine, recording))
    assert len(uninterrupted) >= 25

    server = engine.server
    assert server is not None

    def heal(n: int) -> None:
        if n == 2:  # the reconnected session
            server.faults.realtime = RealtimeFaults()

    server.recognizer = Opening(server.recognizer, heal)
    server.faults.realtime.drop_after_frames = DROP_AFTER_FRAMES
    log = await caption(engine, recording)
    assert log.states.count(SessionState.RECONNECTING) == 1
    reconnected = final_words(log)

    want = " ".join(w for w, _t in uninterrupted)
    got = " ".join(w for w, _t in reconnected)
    assert word_error_rate(want, got) <= 0.15, (want, got)
    assert abs(len(words(got)) - len(words(want))) <= 3
    starts = [t for _w, t in reconnected]
    assert starts == sorted(starts)
    # Words both before and after the cut, in the right places in the audio.
    cut = DROP_AFTER_FRAMES * 0.02
    assert any(t < cut - 2 for t in starts) and any(t > cut + 2 for t in starts)
