"""speechmatics-rt 1.2.1, used as its README shows, against `studio serve` (scripted engine)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from speechmatics.rt import (
    AsyncClient,
    AsyncMultiChannelClient,
    AudioEncoding,
    AudioEventsConfig,
    AudioFormat,
    ConversationConfig,
    JWTAuth,
    Model,
    ServerMessageType,
    SpeakerDiarizationConfig,
    TranscriptionConfig,
    TranslationConfig,
)

from tests.conformance.conftest import Served

pytestmark = pytest.mark.usefixtures("sdk_env")


def collect(client: AsyncClient | AsyncMultiChannelClient) -> dict[str, list[dict[str, Any]]]:
    seen: dict[str, list[dict[str, Any]]] = {}
    for kind in ServerMessageType:
        client.on(kind, lambda message, kind=kind: seen.setdefault(kind.value, []).append(message))
    return seen


def pcm(shared_audio: Path, name: str = "audio_04_16kHz.wav") -> bytes:
    from tests.helpers.media import pcm_of

    samples, _ = pcm_of(shared_audio / name)
    return samples.tobytes()


async def test_a_file_with_the_default_audio_format(shared_audio: Path) -> None:
    """The README's first example: a WAV file, AudioFormat() (type: file), partials and finals."""
    async with AsyncClient() as client:
        seen = collect(client)
        with (shared_audio / "audio_04_16kHz.wav").open("rb") as audio:
            await client.transcribe(audio, transcription_config=TranscriptionConfig(language="en",
                                                                                   enable_partials=True))
    assert seen["RecognitionStarted"] and seen["EndOfTranscript"]
    assert any(m["results"] for m in seen["AddPartialTranscript"])
    assert any(m["results"] for m in seen["AddTranscript"])


async def test_raw_pcm_with_every_config_field_set_and_forced_end_of_utterance(shared_audio: Path) -> None:
    config = TranscriptionConfig(
        language="en", model=Model.ENHANCED, output_locale="en-GB", diarization="speaker",
        additional_vocab=[{"content": "Speechmatics", "sounds_like": ["speech matics"]}],
        punctuation_overrides={"permitted_marks": [".", ","], "sensitivity": 0.4}, domain="finance",
        enable_entities=True, audio_filtering_config={"volume_threshold": 3.4},
        transcript_filtering_config={"remove_disfluencies": True, "replacements": [{"from": "a", "to": "b"}]},
        max_delay=2.0, max_delay_mode="fixed", enable_partials=True,
        speaker_diarization_config=SpeakerDiarizationConfig(max_speakers=3, speaker_sensitivity=0.6,
                                                            prefer_current_speaker=True),
        streaming_mode=False, conversation_config=ConversationConfig(end_of_utterance_silence_trigger=0.5),
        ctrl={}, language_hints=["en"], language_hints_strict=True)
    async with AsyncClient() as client:
        seen = collect(client)
        await client.start_session(transcription_config=config,
                                   audio_format=AudioFormat(encoding=AudioEncoding.PCM_S16LE, sample_rate=16000),
                                   translation_config=TranslationConfig(target_languages=["de"], enable_partials=True),
                                   audio_events_config=AudioEventsConfig(types=["music"]))
        audio = pcm(shared_audio)
        for offset in range(0, len(audio) // 2, 3200):
            await client.send_audio(audio[offset:offset + 3200])
        await client.send_message({"message": "SetRecognitionConfig", "transcription_config": {
            "language": "en", "max_delay": 3.0, "enable_partials": False}})
        await client.force_end_of_utterance()
        for offset in range(len(audio) // 2, len(audio), 3200):
            await client.send_audio(audio[offset:offset + 3200])
        await client.stop_session()
    assert "Error" not in seen, seen.get("Error")
    assert any(m.get("forced") for m in seen["EndOfUtterance"])
    assert any(m["results"] and m["results"][0]["alternatives"][0].get("speaker") for m in seen["AddTranscript"])
    assert seen["AddTranslation"] and seen["EndOfTranscript"]


async def test_multichannel(shared_audio: Path) -> None:
    async with AsyncMultiChannelClient() as client:
        seen = collect(client)
        ended = asyncio.Event()
        client.on(ServerMessageType.END_OF_TRANSCRIPT, lambda _message: ended.set())
        await client.transcribe(
            {"left": io.BytesIO(pcm(shared_audio)), "right": io.BytesIO(pcm(shared_audio, "audio_03_16kHz.wav"))},
            transcription_config=TranscriptionConfig(language="en", diarization="channel"),
            audio_format=AudioFormat(encoding=AudioEncoding.PCM_S16LE, sample_rate=16000))
        await asyncio.wait_for(ended.wait(), 30)  # transcribe() returns once every EndOfChannel is sent
    assert {m["channel"] for m in seen["AddTranscript"] if m["results"]} == {"left", "right"}
    assert seen["EndOfTranscript"]


async def test_errors_reach_the_error_handler() -> None:
    async with AsyncClient() as client:
        seen = collect(client)
        # The SDK logs a server Error and ends the session; the handler sees it (speechmatics-protocol.md §1.7).
        await client.transcribe(io.BytesIO(b"not a media file" * 2000),
                                transcription_config=TranscriptionConfig(language="en"), timeout=20)
    assert seen["Error"][0]["type"] == "invalid_audio_type"
    assert "/" not in seen["Error"][0]["reason"]


async def test_a_bad_config_is_an_invalid_config_error() -> None:
    async with AsyncClient() as client:
        seen = collect(client)
        with pytest.raises(Exception):  # noqa: B017,PT011
            await client.start_session(transcription_config=TranscriptionConfig(language="en", max_delay=9.0),
                                       audio_format=AudioFormat(encoding=AudioEncoding.PCM_S16LE, sample_rate=16000))
    assert seen["Error"][0]["type"] == "invalid_config"


async def test_temporary_keys(sdk_env: Served, shared_audio: Path) -> None:
    async with AsyncClient(auth=JWTAuth(ttl=60)) as client:
        seen = collect(client)
        with (shared_audio / "audio_03_16kHz.wav").open("rb") as audio:
            await client.transcribe(audio)
    assert seen["EndOfTranscript"]
