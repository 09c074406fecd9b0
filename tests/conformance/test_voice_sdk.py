"""speechmatics-voice 0.2.8, used as its README's Quick Start shows (``VoiceAgentClient(api_key=…, preset="scribe")``,
``connect()``, ``send_audio()`` in 160-sample chunks, ``disconnect()``), pointed at `studio serve` with the built-in
engine through ``SPEECHMATICS_RT_URL``: a whole session on a real recording.

The SDK divides by word durations (its speaking-rate annotation) when it turns words into segments, including in
``disconnect()``; it ran into ``ZeroDivisionError`` on words whose start equalled their end. Exceptions inside the
SDK's message queue and event handlers are logged, not raised, so the test also asserts that nothing was logged with
a traceback."""

from __future__ import annotations

import asyncio
import logging
import os
import wave
from pathlib import Path
from typing import Any

import pytest
from speechmatics.voice import AgentServerMessageType, VoiceAgentClient  # type: ignore[import-untyped]

from tests.conformance.conftest import Served
from tests.helpers.wer import word_error_rate

#: audio_05, as the built-in engine's batch mode reads it; live, Whisper tiny.en decoded it with words that start
#: where they end ("how" at 0.64–0.64, "I had" both at 0.54–0.54), which is what crashed the SDK.
SAID = ("Yeah, how'd that go morning? I'm just looking to find the next train from Cambridge to London. I need it "
        "for tomorrow morning. Please, yeah, before 10 o'clock. Please, yeah, thanks.")
SPEECH_ENDS = 21.7  # seconds into audio_05; six seconds of quiet follow
CHUNK_SIZE = 160  # samples per read, as in the README


@pytest.fixture
def builtin_env(builtin: Served, monkeypatch: pytest.MonkeyPatch) -> Served:
    for name, value in builtin.env().items():
        monkeypatch.setenv(name, value)
    return builtin


async def test_a_scribe_session_on_real_speech(builtin_env: Served, shared_audio: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    client = VoiceAgentClient(api_key=os.getenv("SPEECHMATICS_API_KEY"), preset="scribe")
    segments: list[dict[str, Any]] = []
    transcripts: list[dict[str, Any]] = []
    turn_over = asyncio.Event()

    @client.on(AgentServerMessageType.ADD_SEGMENT)  # type: ignore[untyped-decorator]
    def on_segment(message: dict[str, Any]) -> None:
        segments.extend(message["segments"])

    @client.on(AgentServerMessageType.END_OF_TURN)  # type: ignore[untyped-decorator]
    def on_turn_end(message: dict[str, Any]) -> None:
        if message["metadata"]["end_time"] > SPEECH_ENDS - 0.5:  # the turn that holds the last words
            turn_over.set()

    for kind in (AgentServerMessageType.ADD_TRANSCRIPT, AgentServerMessageType.ADD_PARTIAL_TRANSCRIPT):
        client.on(kind, transcripts.append)

    await client.connect()
    try:
        with wave.open(str(shared_audio / "audio_05_16kHz.wav")) as audio:
            assert (audio.getframerate(), audio.getsampwidth(), audio.getnchannels()) == (16000, 2, 1)
            while audio_chunk := audio.readframes(CHUNK_SIZE):
                await client.send_audio(audio_chunk)
        await asyncio.wait_for(turn_over.wait(), 60)  # the engine's EndOfUtterance ends the turn
    finally:
        await client.disconnect()  # where ZeroDivisionError was raised

    text = " ".join(segment["text"] for segment in segments)
    assert {segment["speaker_id"] for segment in segments} == {"UU"}  # the engine has no diarizer
    assert "Cambridge to London" in text and word_error_rate(SAID, text) <= 0.3, text
    assert any(t["message"] == "AddPartialTranscript" and t["results"] for t in transcripts)
    for message in transcripts:  # what the SDK divided by: every word lasts, partials and finals
        for result in message["results"]:
            if result["type"] == "word":
                assert result["end_time"] > result["start_time"], (message["message"], result)
    failures = [r for r in caplog.records if r.exc_info or "Exception" in r.getMessage()]
    assert not failures, [r.getMessage() for r in failures]
