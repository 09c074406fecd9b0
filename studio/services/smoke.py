"""The end-to-end check behind ``studio --smoke``, Qt-free: one voice and one short transcription on an engine,
through the same protocol clients the workspaces use.

    report = await speak_and_transcribe(connection, folder)   # SmokeReport
    report.recognised                                          # most of the sentence came back

A voice (eSpeak NG on the built-in engine) speaks ``SENTENCE`` into a WAV file, which is then transcribed in
realtime mode (decoded with PyAV, cut into utterances by the Silero VAD, recognised by Whisper) and exported
as plain text. An installation that is missing any of those parts fails here with the service's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from studio.services.connections import Connection
from studio.services.transcribe import TranscribeOptions, export_result, transcribe_file

SENTENCE = "Please call me back tomorrow morning."
VOICE = "theo"
_WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class SmokeReport:
    voice: str
    audio_bytes: int
    heard: str

    @property
    def recognised(self) -> bool:
        """At least half of the sentence's words were heard (Whisper tiny.en on a synthetic voice)."""
        expected = words(SENTENCE)
        heard = set(words(self.heard))
        return sum(word in heard for word in expected) * 2 >= len(expected)


async def speak_and_transcribe(connection: Connection, folder: Path) -> SmokeReport:
    spoken = folder / "smoke-voice.wav"
    async with connection.tts() as tts:
        size = await tts.save(SENTENCE, spoken, voice=VOICE)
    result = await transcribe_file(connection, spoken, TranscribeOptions(mode="realtime", fast=True))
    heard = export_result(result, "txt").decode("utf-8").strip()
    return SmokeReport(VOICE, size, heard)
