"""The local server's batch jobs (``studio.local.batch`` serves them): ``Job`` (its config, status, media, log,
transcript), the store of one server's jobs (``jobs_of(server)``), and the running of a job — fetch
(``fetch_data``), probe, transcribe through ``server.batch_recognizer``, the json-v2 body the client reads, the
usage record, the notification callbacks — and the ``/v2/usage`` report.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from studio.local.batch_render import render_srt, render_txt
from studio.local.engines import EngineRejection
from studio.local.server import UsageRecord

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger("studio.local.batch")  # one logger for the batch API, whichever module speaks

JOB_ID_ALPHABET = string.ascii_lowercase + string.digits
JOB_ID_LENGTH = 10
RUNNING, DONE, REJECTED, DELETED, EXPIRED = "running", "done", "rejected", "deleted", "expired"
TRANSCRIPT_FORMATS = ("json-v2", "txt", "srt")
FETCH_TIMEOUT = 60.0
FETCH_USER_AGENT = "Speechmatics-API/2.0"
UPLOAD_CHUNK = 1024 * 1024  # bytes asked of the multipart reader (or a fetch) at a time
WRITE_BATCH = 4 * 1024 * 1024  # bytes collected before one write to disk (in a worker thread)


def now_utc() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """``2021-07-19T12:55:03.754Z``: the service's millisecond UTC timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    return "".join(secrets.choice(JOB_ID_ALPHABET) for _ in range(JOB_ID_LENGTH))


@dataclass
class Job:
    id: str
    created_at: datetime
    config: dict[str, Any]
    data_name: str
    media: Path | None
    sequence: int  # creation order, to sort jobs created in the same millisecond
    status: str = RUNNING
    duration: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    transcript: dict[str, Any] | None = None
    log_lines: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def details(self) -> dict[str, Any]:
        """The ``JobDetails`` object (keys in the service's alphabetical order; ``errors`` only if any)."""
        body: dict[str, Any] = {"config": self.config, "created_at": timestamp(self.created_at),
                                "data_name": self.data_name, "duration": self.duration}
        if self.errors:
            body["errors"] = list(self.errors)
        body.update(id=self.id, status=self.status)
        return body

    def log(self, message: str, level: str = "INFO") -> None:
        moment = now_utc()
        self.log_lines.append(f"{moment:%Y-%m-%d %H:%M:%S},{moment.microsecond // 1000:03d} {level:<8}"
                              f"studio.local.batch {message}")

    def add_error(self, message: str) -> None:
        self.errors.append({"timestamp": timestamp(now_utc()), "message": message})

    def reject(self, message: str) -> None:
        self.add_error(message)
        self.log(f"Job rejected: {message}", "ERROR")
        self.status = REJECTED

    def remove_files(self) -> None:
        if self.media is not None:
            self.media.unlink(missing_ok=True)
        self.transcript = None


class BatchJobs:
    """The jobs of one server (``jobs_of(server)``); tests reach in here to expire jobs or await them."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.jobs: dict[str, Job] = {}
        self._sequence = 0

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def add(self, config: dict[str, Any], data_name: str, upload: Path | None) -> Job:
        job_id = new_job_id()
        while job_id in self.jobs:
            job_id = new_job_id()
        media = None
        if upload is not None:
            media = self.server.data_dir / f"{job_id}.media"
            upload.replace(media)
        self._sequence += 1
        job = Job(job_id, now_utc(), config, data_name, media, self._sequence)
        self.jobs[job_id] = job
        job.log(f"Job {job_id} received ({data_name or config.get('fetch_data', {}).get('url', '')})")
        job.task = self.server.spawn(run_job(self.server, job))
        return job

    def expire(self, job_id: str) -> None:
        """What the 7-day retention does: the job's files go and its status becomes ``expired``."""
        job = self.jobs[job_id]
        if job.task is not None:
            job.task.cancel()
        job.remove_files()
        job.status = EXPIRED
        job.finished.set()

_STORES: weakref.WeakKeyDictionary[LocalServer, BatchJobs] = weakref.WeakKeyDictionary()


def jobs_of(server: LocalServer) -> BatchJobs:
    """The batch jobs of ``server`` (made on first use)."""
    store = _STORES.get(server)
    if store is None:
        store = _STORES[server] = BatchJobs(server)
    return store


async def run_job(server: LocalServer, job: Job) -> None:
    """Fetches (if asked), probes and transcribes; ``job.finished`` is set however it ends (cancelled too)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        try:
            await _process(server, job)
        except Exception as exc:  # an engine failure must not leave the job running for ever
            log.exception("batch job %s failed", job.id)
            job.reject(f"internal error: {type(exc).__name__}")
        remaining = server.config.min_job_seconds - (loop.time() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        if job.status == RUNNING:
            job.status = DONE
            job.log("Job done")
            transcription = job.config.get("transcription_config") or {}
            server.usage.append(UsageRecord(
                mode="batch", language=str(transcription.get("language", "")),
                operating_point=str(transcription.get("model") or transcription.get("operating_point") or "standard"),
                seconds=float(job.duration), day=now_utc().date().isoformat()))
    finally:
        job.finished.set()
    if job.config.get("notification_config") and job.status in (DONE, REJECTED):
        from studio.local.notifications import notify

        await notify(server, job, lambda fmt: render(job, fmt))


def render(job: Job, fmt: str) -> str:
    """The finished job's transcript as ``txt`` or ``srt``."""
    assert job.transcript is not None
    if fmt == "srt":
        return render_srt(job.transcript, (job.config.get("output_config") or {}).get("srt_overrides"))
    return render_txt(job.transcript)


def without_paths(text: str, server: LocalServer, job: Job) -> str:
    """A message for the client: the server's folders and file names replaced (never shown to a client)."""
    if job.media is not None:
        text = text.replace(str(job.media), job.data_name or "the file")
    return text.replace(str(server.data_dir), "").replace(server.data_dir.name, "")


async def _process(server: LocalServer, job: Job) -> None:
    from studio.local.scripted import media_duration

    if job.media is None:
        fetched = await fetch_media(server, job)
        if fetched is None:
            return
        job.media = fetched
    transcription = job.config.get("transcription_config") or {}
    job.log(f"Loading model '{transcription.get('language', '')}'")
    try:
        seconds = await asyncio.to_thread(media_duration, job.media)
        job.duration = round(seconds)
        job.log(f"Media duration {seconds:.3f} s")
        body = await server.batch_recognizer.transcribe(job.media, job.config)
    except EngineRejection as exc:
        job.reject(without_paths(f"{exc.type}: {exc.reason}", server, job))
        return
    job.transcript = transcript_body(server, job, body)
    job.log(f"Transcription finished: {len(job.transcript.get('results', []))} results")


async def fetch_media(server: LocalServer, job: Job) -> Path | None:
    """Downloads ``config.fetch_data`` to the data directory; on failure rejects the job and returns None."""
    fetch = job.config["fetch_data"]
    headers = {"User-Agent": FETCH_USER_AGENT}
    for line in fetch.get("auth_headers") or ():
        name, _, value = str(line).partition(":")
        if name.strip():
            headers[name.strip()] = value.strip()
    target = server.data_dir / f"{job.id}.media"
    job.log("Fetching media from the fetch_data URL")
    try:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=FETCH_TIMEOUT, sock_read=FETCH_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(fetch["url"], headers=headers) as response:
            if response.status >= 300:
                job.reject(f"unable to fetch audio: http status code {response.status}")
                return None
            with target.open("wb") as sink:
                batch: list[bytes] = []
                pending = 0
                async for chunk in response.content.iter_chunked(UPLOAD_CHUNK):
                    batch.append(chunk)
                    pending += len(chunk)
                    if pending >= WRITE_BATCH:
                        await asyncio.to_thread(sink.writelines, batch)
                        batch, pending = [], 0
                await asyncio.to_thread(sink.writelines, batch)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        job.reject(f"unable to fetch audio: {exc or type(exc).__name__}")
        return None
    return target


def transcript_body(server: LocalServer, job: Job, body: Mapping[str, Any]) -> dict[str, Any]:
    """The json-v2 document: the engine's body with the ``job`` block and the service's metadata."""
    job_block: dict[str, Any] = {"created_at": timestamp(job.created_at), "data_name": job.data_name,
                                 "duration": job.duration, "id": job.id}
    if isinstance(job.config.get("tracking"), dict):
        job_block["tracking"] = job.config["tracking"]
    metadata: dict[str, Any] = {"created_at": now_utc().isoformat().replace("+00:00", "Z"),
                                "type": "transcription"}
    metadata.update(body.get("metadata") or {})
    metadata.setdefault("transcription_config", job.config.get("transcription_config") or {})
    metadata["orchestrator_version"] = server.config.orchestrator_version
    if isinstance(job.config.get("output_config"), dict):
        metadata["output_config"] = job.config["output_config"]
    document: dict[str, Any] = {"format": str(body.get("format") or "2.9"), "job": job_block,
                                "metadata": metadata, "results": list(body.get("results") or [])}
    for key, value in body.items():
        document.setdefault(key, value)
    return document


def usage_report(records: Iterable[UsageRecord], since: date, until: date) -> dict[str, Any]:
    """The ``GET /v2/usage`` body (§2.2): totals per mode and type, and per language and operating point
    (the schema's ``operating_point``; the spec's example calls it ``model``)."""
    summary: dict[tuple[str, str], _Totals] = {}
    details: dict[tuple[str, str, str, str], _Totals] = {}
    first, last = since.isoformat(), until.isoformat()
    for record in records:
        if first <= record.day <= last:
            summary.setdefault((record.mode, "transcription"), _Totals()).add(record.seconds)
            details.setdefault((record.mode, "transcription", record.language, record.operating_point),
                               _Totals()).add(record.seconds)
    return {
        "since": f"{first}T00:00:00Z",
        "until": f"{last}T23:59:59Z",
        "summary": [{"mode": mode, "type": kind, **totals.to_json()} for (mode, kind), totals in summary.items()],
        "details": [{"mode": mode, "type": kind, "language": language, "operating_point": point, **totals.to_json()}
                    for (mode, kind, language, point), totals in details.items()],
    }


@dataclass
class _Totals:
    count: int = 0
    seconds: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.seconds += seconds

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "duration_hrs": round(self.seconds / 3600, 4)}
