"""The pluggable parts of the local server: what recognises speech and what speaks.

The server owns the protocol (auth, validation, acks, ordering, timers); engines only turn audio into
result messages and text into audio. ``studio.local.scripted`` has the scripted recognizer and a tone
synthesizer; the Whisper and eSpeak NG engines implement the same protocols.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

Payload = dict[str, Any]


class EngineRejection(Exception):  # noqa: N818 - a refusal, reported to the client as an Error message
    """Raised by an engine to refuse a configuration; becomes an ``Error`` (realtime) or a rejected job."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.type = error_type
        self.reason = reason


class RecognitionSession(Protocol):
    """One realtime session's recogniser. Every method returns server payloads to send, in order
    (``AddPartialTranscript``, ``AddTranscript``, ``EndOfUtterance``, ``AddTranslation``, audio events,
    ``Warning``/``Info``…); the server adds ``format``, ``channel`` and drops partials nobody asked for."""

    warnings: Sequence[Payload]  # sent before RecognitionStarted (e.g. validation_warning)

    async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[Payload]:
        """New audio (``audio_seconds`` = the stream's length so far)."""
        ...

    async def force_end_of_utterance(self, timestamp: float | None) -> Sequence[Payload]: ...

    def update_config(self, transcription_config: Mapping[str, Any]) -> None: ...

    def speakers(self) -> Sequence[Payload]:
        """Speaker identifiers so far: ``[{"label", "speaker_identifiers"}]``."""
        ...

    async def finish(self) -> Sequence[Payload]:
        """End of stream: flush whatever is left."""
        ...


class RealtimeRecognizer(Protocol):
    def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
             translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> RecognitionSession:
        """A session for this configuration, or ``EngineRejection``."""
        ...

    def language_pack_info(self, language: str) -> Payload: ...


@runtime_checkable
class WarmingRecognizer(RealtimeRecognizer, Protocol):
    """A realtime recogniser whose model may still be loading: the server awaits ``ready()`` before it opens a
    session (and so before ``RecognitionStarted``); ``ready`` raises ``EngineRejection`` if it never will be."""

    async def ready(self) -> None: ...


class BatchRecognizer(Protocol):
    async def transcribe(self, media: Path, config: Mapping[str, Any]) -> Payload:
        """A json-v2 body without ``job``: ``{"format", "metadata", "results", …}``; or ``EngineRejection``."""
        ...


class Synthesizer(Protocol):
    def voices(self) -> Sequence[str]: ...

    def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        """16 kHz mono 16-bit little-endian PCM, in chunks, as it is produced."""
        ...


@dataclass(frozen=True)
class PreparedSpeech:
    """A text already synthesised, whose length is known before its first byte is sent."""

    samples: int  # 16 kHz samples ``chunks`` yields, exactly
    chunks: AsyncIterator[bytes]  # 16 kHz mono 16-bit little-endian PCM


@runtime_checkable
class PreparingSynthesizer(Synthesizer, Protocol):
    """A synthesizer that can tell the length of what it will say before it streams it (what a WAV header
    needs); the TTS endpoint uses ``prepare`` for ``wav_16000`` when a synthesizer has it."""

    async def prepare(self, text: str, voice: str) -> PreparedSpeech:
        ...
