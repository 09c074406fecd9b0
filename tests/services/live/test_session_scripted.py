"""Whole live sessions from file-backed sources against the real local server and its scripted recogniser
(exact content): two channels, stop flushing, mid-session changes, bookmarks, the capture clock."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from studio.api import messages as m
from studio.api.errors import ConfigurationError
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.scripted import synthetic_script
from studio.local.server import LocalServer
from studio.services.capabilities import SPEECHMATICS
from studio.services.live import LiveConfig, LiveSession, SessionState, SourceChoice, SourceKind
from tests.services.live.conftest import (
    RATE,
    EventLog,
    RecordingRecognizer,
    connect_to,
    file_factory,
    tone,
    wav,
)


def dominant_frequency(pcm: bytes, rate: int = RATE) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def expected_finals(audio_seconds: float, *, diarization: bool) -> str:
    """What the scripted recogniser finalises for that much audio (it flushes 1.5 s past the end)."""
    words = []
    for entry in synthetic_script(diarization=diarization):
        if entry.audio_ts > audio_seconds + 1.5:
            break
        if entry.payload["message"] == "AddTranscript":
            words += [r["alternatives"][0]["content"] for r in entry.payload["results"]]
    return " ".join(words)


def final_words(messages: list[object], channel: str | None) -> str:
    return " ".join(r.content for x in messages if isinstance(x, m.Transcript) and not x.partial
                    and x.channel == channel for r in x.results)


async def run_until_played(sources: list[FileSource], timeout: float = 60) -> None:
    await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(s.finished.wait, timeout) for s in sources)),
                           timeout)


async def test_microphone_and_system_audio_make_one_session_with_two_aligned_channels(
        scripted: LocalServer, recognizer: RecordingRecognizer, tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    me = wav(tmp_path / "me.wav", tone(6.0, 440))
    them = wav(tmp_path / "them.wav", tone(6.0, 660, rate=48000), rate=48000)  # resampled to 16 kHz
    made: list[FileSource] = []
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.BOTH, "mic-1", "out-1"),
                          LiveConfig(enable_partials=True), source_factory=file_factory(
                              {"Me": me, "Them": them}, clock, made=made), clock=clock,
                          capabilities=SPEECHMATICS)
    log = EventLog(session)
    await session.start()
    assert session.state is SessionState.RUNNING
    await run_until_played(made)
    await session.stop()

    assert log.states == [SessionState.CONNECTING, SessionState.RUNNING, SessionState.STOPPING,
                          SessionState.STOPPED]
    # One session, two labelled channels; speakers told apart inside them on Speechmatics.
    (config,) = recognizer.opened_with[:1]
    assert config["diarization"] == "channel_and_speaker"
    assert config["channel_diarization_labels"] == ["Me", "Them"]
    assert len(recognizer.sessions) == 2
    mine, theirs = recognizer.sessions
    # Each channel got its own device's audio, all of it, at 16 kHz.
    assert dominant_frequency(bytes(mine.audio)) == pytest.approx(440, abs=3)
    assert dominant_frequency(bytes(theirs.audio)) == pytest.approx(660, abs=3)
    for got in (mine, theirs):
        assert len(got.audio) / 2 / RATE >= 6.0
    # Both channels' audio times are wall time: they end within a frame or two of each other.
    assert abs(len(mine.audio) - len(theirs.audio)) / 2 / RATE <= 0.08
    # Every server message reached the views, in order, each channel's finals complete (the stop flushed them).
    messages = log.messages
    started = next(i for i, x in enumerate(messages) if isinstance(x, m.RecognitionStarted))
    assert all(isinstance(x, m.Info | m.ServerWarning) for x in messages[:started])  # as the service sends them
    assert messages[started].channel_ids == ("Me", "Them")
    assert isinstance(messages[-1], m.EndOfTranscript)
    for channel, got in (("Me", mine), ("Them", theirs)):
        assert final_words(messages, channel) == expected_finals(len(got.audio) / 2 / RATE, diarization=True)
        first_partial = next(i for i, x in enumerate(messages) if isinstance(x, m.Transcript) and x.partial
                             and x.channel == channel and x.results)
        first_final = next(i for i, x in enumerate(messages) if isinstance(x, m.Transcript) and not x.partial
                           and x.channel == channel and x.results)
        assert first_partial < first_final
    # The session is kept: its audio stays readable for the waveform.
    assert set(session.rings) == {"Me", "Them"} and session.rings["Me"].written >= 6 * RATE
    assert session.rings["Me"].samplerate == session.sample_rate == RATE
    assert session.transcript_channel("Them") == "Them"


async def test_one_microphone_is_one_plain_stream(scripted: LocalServer, recognizer: RecordingRecognizer,
                                                  tmp_path: Path) -> None:
    clock = ScaledClock(4.0)
    made: list[FileSource] = []
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(3.0, 500))}, clock,
                                                      made=made), clock=clock)
    log = EventLog(session)
    await session.start()
    await run_until_played(made)
    await session.stop()
    assert "diarization" not in recognizer.opened_with[0]
    (only,) = recognizer.sessions
    assert dominant_frequency(bytes(only.audio)) == pytest.approx(500, abs=3)
    assert final_words(log.messages, None) == expected_finals(len(only.audio) / 2 / RATE, diarization=False)
    assert log.states[-1] is SessionState.STOPPED


async def test_a_mid_session_change_is_sent_with_set_recognition_config(
        scripted: LocalServer, recognizer: RecordingRecognizer, tmp_path: Path) -> None:
    clock = ScaledClock(2.0)
    config = LiveConfig(max_delay=2.0, enable_partials=True, end_of_utterance_silence=0.0)
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), config,
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(20.0, 300))}, clock),
                          clock=clock)
    log = EventLog(session)
    await session.start()
    await log.wait_for(lambda e: any(isinstance(x, m.Transcript) and x.partial and x.results for x in e.messages))

    # What may not change is refused with the reason, and nothing is sent.
    with pytest.raises(ConfigurationError, match="language is fixed"):
        await session.update_config(config.replace(language="de"))
    with pytest.raises(ConfigurationError, match="Custom words"):
        await session.update_config(config.replace(vocab=(m_vocab("gnocchi"),)))
    assert LiveConfig.why_fixed("max_delay") is None and LiveConfig.changeable_mid_session("enable_partials")

    changed = config.replace(max_delay=1.0, enable_partials=False, end_of_utterance_silence=0.5)
    await session.update_config(changed)
    assert session.config == changed
    (received,) = recognizer.sessions
    await log.wait_for(lambda _e: bool(received.configs), timeout=30)
    assert received.configs == [{"language": "en", "max_delay": 1.0, "enable_partials": False,
                                 "conversation_config": {"end_of_utterance_silence_trigger": 0.5}}]
    await session.stop()
    assert session.state is SessionState.STOPPED
    assert not [p for p in log.problems if p.severity == "error"]


def m_vocab(word: str) -> object:
    from studio.services.live import VocabEntry

    return VocabEntry(word, ("nyoki",))


async def test_bookmarks_and_the_capture_clock_are_in_session_audio_time(
        scripted: LocalServer, tmp_path: Path) -> None:
    clock = ScaledClock(2.0)
    session = LiveSession(connect_to(scripted.urls), SourceChoice(SourceKind.MIC), LiveConfig(),
                          source_factory=file_factory({"Me": wav(tmp_path / "me.wav", tone(30.0, 300))}, clock),
                          clock=clock)
    await session.start()
    ring = session.rings["Me"]
    await EventLog(session).wait_for(lambda _e: ring.written >= 2 * RATE)
    before = time.monotonic()
    at = await session.bookmark("decision")
    after = time.monotonic()
    # The bookmark is the audio being captured now: the capture clock maps it back to this moment, and the
    # audio placed on the channel so far ends just before it (the last 20 ms block, and the pump's hop).
    assert before - 0.001 <= session.capture_clock(at) <= after + 0.001
    assert ring.written / RATE <= at + 0.05
    assert ring.written / RATE >= at - 1.0
    second = await session.bookmark()
    assert [mark.time for mark in session.bookmarks.items] == [at, second] and second >= at
    assert session.bookmarks.items[0].label == "decision"
    await session.stop()
    stopped = session.audio_time()
    assert session.audio_time() == stopped >= second - 0.001  # frozen at Stop (marks are kept to the ms)
