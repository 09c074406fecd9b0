"""The end-to-end check behind ``studio --smoke``, Qt-free: one voice and one short transcription on an engine,
through the same protocol clients the workspaces use.

    report = await speak_and_transcribe(connection, folder)   # SmokeReport
    report.recognised                                          # most of the sentence came back

A voice (eSpeak NG on the built-in engine) speaks ``SENTENCE`` into a WAV file, which is then transcribed in
realtime mode (decoded with PyAV, cut into utterances by the Silero VAD, recognised by Whisper) and exported
as plain text, then once more as a batch job sent by the batch worker process the Batch workspace uses (in the
bundle: the bundle's executable started again as that worker). An installation that is missing any of those
parts fails here with the service's own words.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from studio.api.batch_remote import WorkerBatchClient
from studio.api.config import JobConfig, TranscriptionConfig
from studio.api.errors import ApiTimeoutError, JobFailedError
from studio.services.connections import Connection
from studio.services.transcribe import TranscribeOptions, export_result, transcribe_file

SENTENCE = "Please call me back tomorrow morning."
BATCH_SECONDS = 120.0  # at most, for the batch job to finish
VOICE = "theo"
_WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class SmokeReport:
    voice: str
    audio_bytes: int
    heard: str
    batch_heard: str = ""

    @property
    def recognised(self) -> bool:
        """At least half of the sentence's words were heard (Whisper tiny.en on a synthetic voice), in realtime
        mode and in the batch job alike."""
        return _matches(self.heard) and _matches(self.batch_heard)


def _matches(text: str) -> bool:
    expected = words(SENTENCE)
    heard = set(words(text))
    return sum(word in heard for word in expected) * 2 >= len(expected)


async def speak_and_transcribe(connection: Connection, folder: Path) -> SmokeReport:
    spoken = folder / "smoke-voice.wav"
    async with connection.tts() as tts:
        size = await tts.save(SENTENCE, spoken, voice=VOICE)
    result = await transcribe_file(connection, spoken, TranscribeOptions(mode="realtime", fast=True))
    heard = export_result(result, "txt").decode("utf-8").strip()
    return SmokeReport(VOICE, size, heard, await transcribe_in_worker(connection, spoken))


async def transcribe_in_worker(connection: Connection, media: Path) -> str:
    """The words of a batch job on ``media``, sent and collected through the batch worker process."""
    client = WorkerBatchClient(connection.auth("batch"), url=connection.endpoints.batch)
    try:
        job_id = await client.submit(media, JobConfig(TranscriptionConfig(language="en")))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BATCH_SECONDS
        while (job := await client.get_job(job_id)).status != "done":
            if job.failed:
                raise JobFailedError(f"The smoke check's batch job ended {job.status}", job_id=job_id,
                                     status=job.status, errors=job.error_messages)
            if loop.time() > deadline:
                raise ApiTimeoutError(f"The smoke check's batch job did not finish in {BATCH_SECONDS:g} s")
            await asyncio.sleep(0.2)
        document = await client.transcript(job_id)
    finally:
        await client.aclose()
    return " ".join(str(result["alternatives"][0]["content"]) for result in document["results"]
                    if result.get("alternatives"))
