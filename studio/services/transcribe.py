"""Transcribing one media file, headless and Qt-free: realtime (decode and stream) or batch (upload and wait).

Public API::

    options = TranscribeOptions(mode="realtime", language="en", diarization="none", fast=False)
    result = await transcribe_file(connection, "talk.mp4", options, progress=callback)
    result = await transcribe_realtime(realtime_client, "talk.mp4", options, progress=callback)
    result = await transcribe_batch(batch_client, "talk.mp4", options, progress=callback)
    data = export_result(result, "srt")   # bytes of the file to write; formats: available_formats()

- Realtime: the file is probed and decoded with ``studio.audio.decode`` (any container FFmpeg reads; WAVs by
  their RIFF chunks) to 16 kHz mono ``pcm_s16le`` in 20 ms frames, or to one stream per channel for
  ``diarization="channel"``, and sent at the pace of the audio (``fast=False``) or as fast as the service's
  acknowledgements allow (``fast=True``). Every server message is kept in ``result.messages``, in order.
- Batch: the file is probed first (an unreadable file is refused before anything is uploaded), then
  uploaded as a job; the json-v2 transcript is kept in ``result.document``, the job id in ``result.job_id``.
- ``progress(Progress)`` is called on the event loop with the stage (``connecting``, ``streaming``,
  ``finishing``, ``uploading``, ``waiting``, ``downloading``) and, where there is one, ``done``/``total``
  (seconds of audio streamed, or bytes uploaded).
- Failures: ``DecodeError`` (the file) or ``ApiError`` (the service), each one line for a person.

``result.transcript()`` is the transcript model (``studio.core.transcript``) of the messages or the json-v2
document; ``export_result`` alone calls the exporters (``studio.core.exporters``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from studio.api import messages as m
from studio.api.batch import BatchClient, JobDetails
from studio.api.config import AudioFormat, JobConfig, TranscriptionConfig
from studio.api.errors import ConfigurationError
from studio.api.realtime import RealtimeClient, RealtimeSession
from studio.audio.decode import MediaInfo, StreamFormat, decode_async, probe
from studio.core.transcript import Transcript
from studio.services.channels import channel_labels as shared_channel_labels
from studio.services.connections import Connection

log = logging.getLogger(__name__)

Mode = Literal["realtime", "batch"]
Stage = Literal["connecting", "streaming", "finishing", "uploading", "waiting", "downloading"]
MODES: tuple[Mode, ...] = ("realtime", "batch")


@dataclass(frozen=True)
class Progress:
    stage: Stage
    done: float = 0.0  # seconds of audio streamed, or bytes uploaded
    total: float | None = None  # the file's duration or size, when known

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class TranscribeOptions:
    mode: Mode = "realtime"
    language: str = "en"
    diarization: str = "none"  # none | speaker | channel
    operating_point: str | None = None  # standard | enhanced
    max_delay: float | None = None  # realtime only
    vocab: tuple[str, ...] = ()
    fast: bool = False  # realtime: as fast as acknowledgements allow, not at the pace of the audio
    sample_rate: int = 16000  # realtime stream
    chunk_seconds: float = 0.02  # realtime frame
    poll_interval: float = 0.5  # batch: first wait between status checks (growing to 15 s)
    batch_timeout: float | None = None

    def transcription_config(self, channel_labels: Sequence[str] = ()) -> TranscriptionConfig:
        channels = self.diarization == "channel"
        return TranscriptionConfig(
            language=self.language, operating_point=self.operating_point,
            diarization=None if self.diarization == "none" else self.diarization,
            max_delay=self.max_delay, additional_vocab=tuple(self.vocab),
            channel_diarization_labels=tuple(channel_labels) if channels else ())


def channel_labels(count: int, mode: Mode = "realtime") -> tuple[str, ...]:
    """The labels of a file's channels for channel diarization: ``Channel 1``, ``Channel 2``, … in realtime;
    ``Channel_1``, ``Channel_2``, … in batch, whose API allows no space in a label (``studio.services.channels``)."""
    return shared_channel_labels(count, mode)


@dataclass(frozen=True)
class TranscribeResult:
    source: Path
    mode: Mode
    config: TranscriptionConfig
    media: MediaInfo
    messages: tuple[m.ServerMessage, ...] = ()  # realtime: every message, in order
    document: dict[str, Any] | None = None  # batch: the json-v2 transcript
    job_id: str | None = None
    session_id: str | None = None
    audio_bytes_sent: int = 0  # realtime: bytes of PCM streamed (every channel)
    elapsed: float = 0.0  # wall-clock seconds

    @property
    def finals(self) -> list[m.Transcript]:
        return [message for message in self.messages if isinstance(message, m.Transcript) and not message.partial]

    def transcript(self) -> Transcript:
        """The transcript model of this result (what the exporters read)."""
        if self.document is not None:
            return Transcript.from_json_v2(self.document)
        transcript = Transcript(language=self.config.language)
        for message in self.messages:
            transcript.apply(message)
        return transcript


# -- formatting -------------------------------------------------------------------------------------------

def _missing_exporter(exc: ModuleNotFoundError) -> bool:
    return (exc.name or "").startswith("studio.core.exporters")


def available_formats() -> tuple[str, ...]:
    try:
        from studio.core.exporters import FORMATS
    except ModuleNotFoundError as exc:
        if not _missing_exporter(exc):
            raise
        return ("json",)
    return tuple(FORMATS)


def export_result(result: TranscribeResult, fmt: str) -> bytes:
    """The bytes of ``result`` written as ``fmt``: the one place this module calls the studio's exporters.

    While an exporter is not part of the studio yet, ``json`` is the model's json-v2 and other formats fail
    with ``ConfigurationError``."""
    transcript = result.transcript()
    try:
        from studio.core.exporters import export

        return export(transcript, fmt)
    except ModuleNotFoundError as exc:
        if not _missing_exporter(exc):
            raise
        if fmt == "json":
            return json.dumps(transcript.to_json_v2(), indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        raise ConfigurationError(f"The {fmt} format is not available in this build of the studio") from None


# -- the pipeline ------------------------------------------------------------------------------------------

async def transcribe_file(connection: Connection, path: str | os.PathLike[str], options: TranscribeOptions,
                          progress: ProgressCallback | None = None) -> TranscribeResult:
    """One file, in ``options.mode``, on the service ``connection`` points at."""
    if options.mode == "batch":
        async with connection.batch() as batch:
            return await transcribe_batch(batch, path, options, progress)
    return await transcribe_realtime(connection.realtime(), path, options, progress)


def _report(progress: ProgressCallback | None, update: Progress) -> None:
    if progress is not None:
        progress(update)


@dataclass(frozen=True)
class _Prepared:
    source: Path
    info: MediaInfo
    labels: tuple[str, ...]  # channel labels when each channel is transcribed apart
    config: TranscriptionConfig


async def _prepare(path: str | os.PathLike[str], options: TranscribeOptions) -> _Prepared:
    """What both modes need first: the file probed (unreadable files refused before anything is sent),
    the channel labels and the transcription config."""
    if options.mode not in MODES:
        raise ConfigurationError(f"Unknown mode {options.mode!r} (use realtime or batch)")
    source = Path(path)
    info = await asyncio.to_thread(probe, source)
    labels = channel_labels(info.channels, options.mode) if options.diarization == "channel" else ()
    return _Prepared(source, info, labels, options.transcription_config(labels))


async def transcribe_realtime(client: RealtimeClient, path: str | os.PathLike[str], options: TranscribeOptions,
                              progress: ProgressCallback | None = None) -> TranscribeResult:
    """Decode ``path`` and stream it in one realtime session; every message the service sends is kept."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    prepared = await _prepare(path, options)
    source, info, labels, config = prepared.source, prepared.info, prepared.labels, prepared.config
    stream = StreamFormat(sample_rate=options.sample_rate, mono=not labels)
    _report(progress, Progress("connecting", 0.0, info.duration))
    messages: list[m.ServerMessage] = []
    async with client.session(AudioFormat("pcm_s16le", options.sample_rate), config) as session:
        sender = asyncio.create_task(_stream(session, source, info, stream, labels, options, progress),
                                     name="realtime-file-sender")
        try:
            async for message in session:
                messages.append(message)
        finally:
            # Always settle the sender and retrieve its exception, also when the session itself failed (a
            # dropped connection fails both): an exception nobody retrieves is logged by asyncio on stderr.
            failure = await settle(sender)
        if failure is not None:
            raise failure
        session_id, sent = session.session_id, session.bytes_sent
    return TranscribeResult(source, "realtime", config, info, tuple(messages), session_id=session_id,
                            audio_bytes_sent=sent, elapsed=loop.time() - began)


async def settle(task: asyncio.Task[Any]) -> BaseException | None:
    """Cancels ``task`` if it still runs, waits for it and returns its exception (None if it was cancelled or
    succeeded) — retrieved, so asyncio never reports it as "never retrieved"."""
    if not task.done():
        task.cancel()
    await asyncio.wait([task])
    return None if task.cancelled() else task.exception()


async def _stream(session: RealtimeSession, source: Path, info: MediaInfo, stream: StreamFormat,
                  labels: tuple[str, ...], options: TranscribeOptions, progress: ProgressCallback | None) -> None:
    """Sends the decoded file (paced unless ``fast``), then ends the stream; closes the session on failure."""
    loop = asyncio.get_running_loop()
    channels = max(1, len(labels))
    bytes_per_second = stream.sample_rate * stream.bytes_per_sample * channels
    seconds = 0.0
    try:
        chunks = decode_async(source, stream, chunk_seconds=options.chunk_seconds, info=info)
        async with contextlib.aclosing(chunks):
            start = loop.time()
            async for chunk in chunks:
                if not options.fast:
                    wait = start + seconds - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                if labels:
                    import numpy as np

                    planes = np.frombuffer(chunk, dtype="<i2").reshape(-1, channels)
                    for index, label in enumerate(labels):
                        await session.send_channel_audio(label, planes[:, index].tobytes())
                else:
                    await session.send_audio(chunk)
                seconds += len(chunk) / bytes_per_second
                _report(progress, Progress("streaming", seconds, info.duration))
        _report(progress, Progress("finishing", seconds, info.duration))
        await session.end()
    except BaseException:
        await session.close()
        raise


async def transcribe_batch(client: BatchClient, path: str | os.PathLike[str], options: TranscribeOptions,
                           progress: ProgressCallback | None = None) -> TranscribeResult:
    """Upload ``path`` as a batch job, wait for it, and fetch its json-v2 transcript."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    prepared = await _prepare(path, options)
    source, info, config = prepared.source, prepared.info, prepared.config
    job = JobConfig(transcription=config)
    job.validate()

    def uploaded(sent: int, total: int) -> None:
        _report(progress, Progress("uploading", float(sent), float(total)))

    job_id = await client.submit(source, job, progress=uploaded)
    waiting_since = loop.time()

    def status(details: JobDetails) -> None:
        _report(progress, Progress("waiting", loop.time() - waiting_since, None))

    _report(progress, Progress("waiting", 0.0, None))
    await client.wait_for_completion(job_id, poll_interval=options.poll_interval, timeout=options.batch_timeout,
                                     on_status=status)
    _report(progress, Progress("downloading"))
    document = await client.transcript(job_id)
    return TranscribeResult(source, "batch", config, info, document=document, job_id=job_id,
                            elapsed=loop.time() - began)
