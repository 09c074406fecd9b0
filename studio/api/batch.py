"""Asyncio client of the Speechmatics Batch API v2 (``speechmatics-protocol.md`` §2), on httpx. No Qt.

Public API::

    client = BatchClient(auth, url="https://eu1.asr.api.speechmatics.com/v2")  # or ``async with``
    job_id = await client.submit("talk.wav", JobConfig(...), progress=lambda sent, total: ...)
    job_id = await client.submit(None, JobConfig(fetch_url="https://…/talk.mp3"))  # the service fetches it
    job    = await client.wait_for_completion(job_id, timeout=600)               # -> JobDetails (done)
    doc    = await client.transcript(job_id)                                     # json-v2 -> dict
    text   = await client.transcript_text(job_id, "srt")                         # "txt" | "srt" -> str
    jobs   = await client.list_jobs(limit=20, created_before=..., include_deleted=False)
    job    = await client.get_job(job_id)
    job    = await client.delete_job(job_id, force=True)
    lines  = await client.log(job_id)
    size   = await client.download_data(job_id, Path("copy.wav"))
    report = await client.usage(since=date(2026, 1, 1), until=date(2026, 1, 31))  # -> UsageReport
    doc    = await client.transcribe("talk.wav", JobConfig(...))                 # submit + wait + transcript
    await client.aclose()

- ``auth`` is any ``studio.api.auth.Auth`` (a ``StaticKey`` or ``TemporaryKeys``); tokens of kind
  ``"batch"`` go in ``Authorization: Bearer``. A temporary key the service rejects is dropped and a new
  one fetched, once.
- Uploads are a **streaming** ``multipart/form-data`` body generated from file chunks (constant memory
  however large the file) with an exact ``Content-Length``; ``progress(sent, total)`` reports bytes of
  the file handed to the connection (it starts again from 0 if the upload is retried). A ``fetch_data``
  job is still a multipart body, holding only ``config``, as the official SDKs send it.
- Every call is retried with exponential backoff and jitter on 429, 5xx, timeouts and broken
  connections, honouring ``Retry-After`` (``RetryPolicy``; ``sleep`` is injectable). A retried upload
  restarts the file stream from the beginning. (As with any retried POST, a submission whose answer was
  lost after the service accepted it can create a second job; ``retry=studio.api.http.NO_RETRY`` rules that out.)
- Failures are the typed errors of ``studio.api.errors``: ``AuthenticationError`` (401/403),
  ``RateLimitedError``, ``NotFoundError`` (404), ``GoneError`` (410), ``LockedError`` (423 — a running job
  deleted without ``force``), ``HttpError``, ``NetworkError``/``ApiTimeoutError``, ``ProtocolError`` for an
  answer that is not what the protocol says (malformed JSON, wrong status), ``ConfigurationError`` before
  anything is sent, and ``JobFailedError`` when a waited-for job ends ``rejected``, ``deleted`` or
  ``expired`` (with the job's error messages). Never a bare httpx or json exception.
- Results are typed: ``JobDetails`` (parsed tolerantly; unknown fields are ignored), ``UsageReport``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx

from studio.api.auth import Auth
from studio.api.config import JobConfig
from studio.api.errors import (
    ApiTimeoutError,
    ConfigurationError,
    JobFailedError,
    ProtocolError,
)
from studio.api.http import RetryPolicy, iter_body, open_stream, send
from studio.api.service import ServiceClient

log = logging.getLogger(__name__)

SERVICE = "The batch service"
UPLOAD_CHUNK_SIZE = 1024 * 1024  # bytes read from the file per chunk of the upload (tuned by bench_upload)

JobStatus = Literal["running", "done", "rejected", "deleted", "expired"]
FAILED_STATUSES = ("rejected", "deleted", "expired")
TextFormat = Literal["txt", "srt"]
Progress = Callable[[int, int], None]
Sleep = Callable[[float], Awaitable[Any]]
T = TypeVar("T")


# -- typed results --------------------------------------------------------------------------------------

def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def parse_timestamp(value: Any) -> datetime | None:
    """A service timestamp (``2021-07-19T12:55:03.754Z``, up to nanoseconds) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if "." in text:  # Python reads at most 6 fractional digits
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[:min(digits, 6)]}{tail[digits:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class JobDetailError:
    """One entry of ``JobDetails.errors``: ``{"timestamp", "message"}``."""

    message: str
    timestamp: str = ""


@dataclass(frozen=True)
class JobDetails:
    """A job as ``GET /v2/jobs/{id}`` describes it. Parsed tolerantly: only ``id`` is required, unknown
    fields are ignored (``raw`` keeps the whole object), and an unknown ``status`` is kept as it is."""

    id: str
    status: str
    created_at: datetime | None = None
    data_name: str = ""
    duration: float | None = None  # seconds of media; 0 or None before it is known (and for fetch jobs)
    text_name: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    errors: tuple[JobDetailError, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> JobDetails:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{SERVICE} described a job with something that is not an object")
        job_id = data.get("id")
        if not isinstance(job_id, str) or not job_id:
            raise ProtocolError(f"{SERVICE} described a job without an id")
        errors = []
        for entry in data.get("errors") or ():
            if isinstance(entry, Mapping):
                errors.append(JobDetailError(_text(entry.get("message")), _text(entry.get("timestamp"))))
            elif isinstance(entry, str):
                errors.append(JobDetailError(entry))
        config = data.get("config")
        return cls(id=job_id, status=_text(data.get("status"), "unknown"),
                   created_at=parse_timestamp(data.get("created_at")), data_name=_text(data.get("data_name")),
                   duration=_number(data.get("duration")), text_name=data.get("text_name") if isinstance(
                       data.get("text_name"), str) else None,
                   config=dict(config) if isinstance(config, Mapping) else {}, errors=tuple(errors),
                   raw=dict(data))

    @property
    def is_running(self) -> bool:
        """Neither done nor failed (``running``, or a status this studio does not know yet)."""
        return self.status != "done" and self.status not in FAILED_STATUSES

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def error_messages(self) -> list[str]:
        return [e.message for e in self.errors if e.message]


@dataclass(frozen=True)
class UsageEntry:
    """One row of ``summary`` (no language) or ``details`` of the usage report."""

    mode: str
    kind: str  # the JSON "type": "transcription", "alignment"
    count: int
    duration_hrs: float
    language: str | None = None
    operating_point: str | None = None  # the schema's name; the spec's example calls it "model"

    @classmethod
    def from_json(cls, data: Any) -> UsageEntry | None:
        if not isinstance(data, Mapping):
            return None
        count = _number(data.get("count"))
        hours = _number(data.get("duration_hrs"))
        point = data.get("operating_point", data.get("model"))
        language = data.get("language")
        return cls(mode=_text(data.get("mode")), kind=_text(data.get("type")), count=int(count or 0),
                   duration_hrs=hours or 0.0, language=language if isinstance(language, str) else None,
                   operating_point=point if isinstance(point, str) else None)


@dataclass(frozen=True)
class UsageReport:
    since: str
    until: str
    summary: tuple[UsageEntry, ...]
    details: tuple[UsageEntry, ...]

    @property
    def total_hours(self) -> float:
        return sum(entry.duration_hrs for entry in self.summary)

    @classmethod
    def from_json(cls, data: Any) -> UsageReport:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{SERVICE} sent a usage report that is not an object")

        def entries(key: str) -> tuple[UsageEntry, ...]:
            rows = data.get(key)
            parsed = (UsageEntry.from_json(row) for row in rows) if isinstance(rows, list) else ()
            return tuple(entry for entry in parsed if entry is not None)

        return cls(since=_text(data.get("since")), until=_text(data.get("until")),
                   summary=entries("summary"), details=entries("details"))


# -- the streaming multipart body -----------------------------------------------------------------------

def _quote_disposition(value: str) -> str:
    """A Content-Disposition parameter value as browsers write it (WHATWG: ``"`` CR LF percent-encoded)."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@dataclass(frozen=True)
class MultipartUpload:
    """A ``multipart/form-data`` body of a ``config`` field and, optionally, a ``data_file`` streamed from
    disk. Its length is exact before anything is read, so the request carries a ``Content-Length``; each
    call of ``stream()`` starts again from the beginning of the file (for retries)."""

    config: str
    path: Path | None = None
    filename: str = "data_file"
    content_type: str = "application/octet-stream"
    chunk_size: int = UPLOAD_CHUNK_SIZE
    boundary: str = field(default_factory=lambda: "studio-" + secrets.token_hex(16))

    @property
    def file_size(self) -> int:
        return self.path.stat().st_size if self.path is not None else 0

    def _head(self) -> bytes:
        head = (f"--{self.boundary}\r\n"
                'Content-Disposition: form-data; name="config"\r\n\r\n').encode() + self.config.encode("utf-8")
        if self.path is not None:
            head += (f"\r\n--{self.boundary}\r\n"
                     f'Content-Disposition: form-data; name="data_file"; filename="{_quote_disposition(self.filename)}"'
                     f"\r\nContent-Type: {self.content_type}\r\n\r\n").encode()
        return head

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    def content_length(self, file_size: int) -> int:
        return len(self._head()) + file_size + len(self._tail())

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": f"multipart/form-data; boundary={self.boundary}"}

    async def stream(self, file_size: int, progress: Progress | None = None) -> AsyncIterator[bytes]:
        """The body: ``file_size`` bytes of the file (its size when the upload started) between head and tail."""
        yield self._head()
        if self.path is not None:
            sent = 0
            if progress is not None:
                progress(0, file_size)
            with self.path.open("rb") as source:
                while sent < file_size:
                    chunk = await asyncio.to_thread(source.read, min(self.chunk_size, file_size - sent))
                    if not chunk:
                        raise ConfigurationError(f"{self.filename} got shorter while it was being uploaded")
                    yield chunk
                    sent += len(chunk)
                    if progress is not None:
                        progress(sent, file_size)
        yield self._tail()


# -- the client -----------------------------------------------------------------------------------------

class BatchClient(ServiceClient):
    """The Batch API v2 at ``url`` (the base URL including ``/v2``)."""

    kind = "batch"
    service = SERVICE

    def __init__(self, auth: Auth, *, url: str, client: httpx.AsyncClient | None = None,
                 retry: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, timeout: float = 300.0,
                 connect_timeout: float = 30.0, chunk_size: int = UPLOAD_CHUNK_SIZE) -> None:
        super().__init__(auth, url=url, client=client, retry=retry, sleep=sleep, timeout=timeout,
                         connect_timeout=connect_timeout)
        self._clock = clock
        self._chunk_size = chunk_size

    async def __aenter__(self) -> BatchClient:
        return self

    # -- plumbing ---------------------------------------------------------------------------------------
    def _url(self, *parts: str) -> str:
        return "/".join([self._base, *(quote(part, safe="") for part in parts)])

    async def _request(self, method: str, path: tuple[str, ...], what: str, *,
                       params: Mapping[str, str] | None = None) -> httpx.Response:
        url = self._url(*path)

        async def attempt(headers: dict[str, str]) -> httpx.Response:
            return await send(self._client, method, url, service=SERVICE, headers=headers,
                              params=dict(params or {}))

        return await self._retrying(attempt, what)

    async def _json(self, method: str, path: tuple[str, ...], what: str, *,
                    params: Mapping[str, str] | None = None) -> Any:
        response = await self._request(method, path, what, params=params)
        return _decode_json(response, what)

    # -- jobs -------------------------------------------------------------------------------------------
    async def submit(self, media: str | os.PathLike[str] | None, config: JobConfig | Mapping[str, Any], *,
                     progress: Progress | None = None, filename: str | None = None) -> str:
        """Creates a job and returns its id. ``media`` is a local file streamed to the service, or None for a
        job whose config has ``fetch_data`` (the service downloads the URL itself)."""
        body = config_body(config)
        fetch = "fetch_data" in body
        path: Path | None = None
        if media is None:
            if not fetch:
                raise ConfigurationError("Choose a file to transcribe, or give a URL for the service to fetch")
        else:
            if fetch:
                raise ConfigurationError("Send either a file or a URL to fetch, not both")
            path = Path(media)
            if not path.is_file():
                raise ConfigurationError(f"{path.name or path} is not a file that can be read")
        name = filename or (path.name if path is not None else "data_file")
        upload = MultipartUpload(json.dumps(body), path, filename=name,
                                 content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                                 chunk_size=self._chunk_size)
        url = self._url("jobs")

        async def attempt(headers: dict[str, str]) -> httpx.Response:
            try:
                size = upload.file_size
            except OSError as exc:
                raise ConfigurationError(f"{name} cannot be read ({exc.strerror or exc})") from None
            headers = {**headers, **upload.headers, "Content-Length": str(upload.content_length(size))}
            return await send(self._client, "POST", url, service=SERVICE, headers=headers,
                              content=upload.stream(size, progress))

        response = await self._retrying(attempt, "Submitting a batch job")
        if response.status_code != 201:
            raise ProtocolError(f"{SERVICE} answered {response.status_code} instead of 201 Created to a new job")
        data = _decode_json(response, "a new job")
        job_id = data.get("id") if isinstance(data, Mapping) else None
        if not isinstance(job_id, str) or not job_id:
            raise ProtocolError(f"{SERVICE} created a job but sent no id")
        log.info("batch job %s submitted (%s)", job_id, "fetch" if path is None else name)
        return job_id

    async def list_jobs(self, *, limit: int | None = None, created_before: datetime | str | None = None,
                        include_deleted: bool = False) -> list[JobDetails]:
        """Jobs, newest first: at most ``limit`` (1 to 100), created before ``created_before``."""
        params: dict[str, str] = {}
        if limit is not None:
            if not 1 <= limit <= 100:
                raise ConfigurationError("List between 1 and 100 jobs at a time")
            params["limit"] = str(limit)
        if created_before is not None:
            params["created_before"] = (created_before if isinstance(created_before, str)
                                        else format_timestamp(created_before))
        if include_deleted:
            params["include_deleted"] = "true"
        data = await self._json("GET", ("jobs",), "Listing batch jobs", params=params)
        jobs = data.get("jobs") if isinstance(data, Mapping) else None
        if not isinstance(jobs, list):
            raise ProtocolError(f"{SERVICE} sent a job list without 'jobs'")
        return [JobDetails.from_json(job) for job in jobs]

    async def get_job(self, job_id: str) -> JobDetails:
        data = await self._json("GET", ("jobs", _job_id(job_id)), "Getting a batch job")
        return _job_from(data)

    async def delete_job(self, job_id: str, *, force: bool = False) -> JobDetails:
        """Deletes a job and its files; a running job needs ``force`` (else ``LockedError``, 423)."""
        params = {"force": "true"} if force else None
        data = await self._json("DELETE", ("jobs", _job_id(job_id)), "Deleting a batch job", params=params)
        return _job_from(data)

    async def wait_for_completion(self, job_id: str, *, poll_interval: float = 2.0, max_poll_interval: float = 15.0,
                                  backoff: float = 1.5, timeout: float | None = None,
                                  on_status: Callable[[JobDetails], None] | None = None) -> JobDetails:
        """Polls until the job is done (returning it), waiting ``poll_interval`` s at first and ``backoff`` times
        longer each time up to ``max_poll_interval``. ``JobFailedError`` if it is rejected, deleted or
        expired; ``ApiTimeoutError`` if it is still running after ``timeout`` s."""
        deadline = None if timeout is None else self._clock() + timeout
        delay = max(0.0, poll_interval)
        while True:
            job = await self.get_job(job_id)
            if on_status is not None:
                on_status(job)
            if job.status == "done":
                return job
            if job.failed:
                raise _job_failed(job)
            if deadline is not None:
                left = deadline - self._clock()
                if left <= 0:
                    raise ApiTimeoutError(f"The batch job {job_id} did not finish within {timeout:g} s")
                delay = min(delay, left)
            await self._sleep(delay)
            delay = min(max_poll_interval, max(delay, 0.001) * backoff)

    async def transcript(self, job_id: str) -> dict[str, Any]:
        """The json-v2 transcript (``format``, ``job``, ``metadata``, ``results``, …)."""
        data = await self._json("GET", ("jobs", _job_id(job_id), "transcript"), "Getting a transcript",
                                params={"format": "json-v2"})
        if not isinstance(data, dict) or not isinstance(data.get("results"), list):
            raise ProtocolError(f"{SERVICE} sent a transcript without results")
        return data

    async def transcript_text(self, job_id: str, fmt: TextFormat = "txt") -> str:
        """The transcript as plain text (``txt``) or subtitles (``srt``)."""
        if fmt not in ("txt", "srt"):
            raise ConfigurationError(f"Unknown transcript format {fmt!r} (use txt or srt)")
        response = await self._request("GET", ("jobs", _job_id(job_id), "transcript"), "Getting a transcript",
                                       params={"format": fmt})
        return _decode_text(response)

    async def log(self, job_id: str) -> str:
        """The job's log file."""
        response = await self._request("GET", ("jobs", _job_id(job_id), "log"), "Getting a job log")
        return _decode_text(response)

    async def download_data(self, job_id: str, destination: str | os.PathLike[str]) -> int:
        """Streams the media the job was given into ``destination``; returns its size in bytes."""
        url = self._url("jobs", _job_id(job_id), "data")
        target = Path(destination)

        async def attempt(headers: dict[str, str]) -> int:
            request = self._client.build_request("GET", url, headers=headers)
            response = await open_stream(self._client, request, SERVICE)
            try:
                size = 0
                with target.open("wb") as sink:
                    async for chunk in iter_body(response, SERVICE):
                        await asyncio.to_thread(sink.write, chunk)
                        size += len(chunk)
                return size
            except OSError as exc:
                raise ConfigurationError(f"{target.name} cannot be written ({exc.strerror or exc})") from None
            finally:
                await response.aclose()

        return await self._retrying(attempt, "Downloading job media")

    async def usage(self, *, since: date | str | None = None, until: date | str | None = None) -> UsageReport:
        """Usage between two UTC days (inclusive); the service's defaults when omitted."""
        params = {name: value if isinstance(value, str) else value.isoformat()
                  for name, value in (("since", since), ("until", until)) if value is not None}
        return UsageReport.from_json(await self._json("GET", ("usage",), "Getting usage", params=params))

    async def transcribe(self, media: str | os.PathLike[str] | None, config: JobConfig | Mapping[str, Any], *,
                         progress: Progress | None = None, poll_interval: float = 2.0,
                         timeout: float | None = None) -> dict[str, Any]:
        """Submit, wait and fetch the json-v2 transcript."""
        job_id = await self.submit(media, config, progress=progress)
        await self.wait_for_completion(job_id, poll_interval=poll_interval, timeout=timeout)
        return await self.transcript(job_id)


# -- helpers ------------------------------------------------------------------------------------------

def _job_id(job_id: str) -> str:
    if not job_id or not job_id.strip():
        raise ConfigurationError("No job id was given")
    return job_id.strip()


def config_body(config: JobConfig | Mapping[str, Any]) -> dict[str, Any]:
    """A job's config as the request sends it (a ``JobConfig`` is validated first)."""
    if isinstance(config, JobConfig):
        config.validate()
        return config.to_dict()
    return dict(config)


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _job_from(data: Any) -> JobDetails:
    job = data.get("job") if isinstance(data, Mapping) else None
    if job is None:
        raise ProtocolError(f"{SERVICE} sent an answer without 'job'")
    return JobDetails.from_json(job)


def _job_failed(job: JobDetails) -> JobFailedError:
    messages = job.error_messages
    if job.status == "rejected":
        text = f"The batch job was rejected: {messages[-1]}" if messages else "The batch job was rejected"
    elif job.status == "deleted":
        text = "The batch job was deleted before it finished"
    else:
        text = "The batch job has expired (the service keeps jobs for 7 days)"
    return JobFailedError(text, job_id=job.id, status=job.status, errors=messages)


def _decode_json(response: httpx.Response, what: str) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:  # includes UnicodeDecodeError
        raise ProtocolError(f"{SERVICE} sent a malformed answer to {what}") from None


def _decode_text(response: httpx.Response) -> str:
    try:
        return response.content.decode(response.encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        raise ProtocolError(f"{SERVICE} sent text that is not valid {response.encoding}") from None

