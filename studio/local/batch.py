"""The local server's batch API (``speechmatics-protocol.md`` §2), on ``/v2/jobs`` and ``/v2/usage``.

Routes (all need ``Authorization: Bearer <key>`` or a ``type=batch`` temporary key; else 401
``Permission Denied``; every error body is ``{"code", "error", "detail"?}`` with the spec's strings):

- ``POST /v2/jobs`` — ``multipart/form-data`` with a ``config`` field (a JSON ``JobConfig``) and either a
  ``data_file`` part or ``config.fetch_data.url``. The upload is streamed to a file under
  ``server.data_dir`` (a few MiB in memory at most, however large the file). **201**
  ``{"id": "<10 lowercase letters/digits>"}``; 400 ``Job rejected`` (invalid JSON or config; the detail
  says what), ``No language selected``, ``Missing data_file``, ``Malformed request`` (not multipart). A client
  that hangs up mid-upload is one info line in the log; nothing of its upload is kept and no job is made.
  With ``?wait=<seconds>`` (capped at ``ServerConfig.max_wait``) the answer waits until the job ends and is
  ``{"id", "status": "created"|"done"|"rejected"|"deleted", "<format>": <transcript>}`` (``format`` =
  ``json-v2``, the default, ``txt`` or ``srt``; the transcript only once done), still 201.
- ``GET /v2/jobs?limit&created_before&created_after&include_deleted`` — ``{"jobs": [JobDetails…]}``, newest
  first (``created_after`` is what speechmatics-batch's ``list_jobs`` sends); 422
  with go-swagger style messages (``limit in query must be of type int64``) for bad parameters.
- ``GET /v2/jobs/{id}?wait`` — ``{"job": JobDetails}`` (after waiting up to ``wait`` s for the job to end);
  404 ``Job not found``.
- ``DELETE /v2/jobs/{id}?force`` — 423 ``Resource Locked`` while running unless ``force=true`` (which
  cancels it); otherwise the job becomes ``deleted`` and its files are removed; ``{"job": JobDetails}``.
- ``GET /v2/jobs/{id}/transcript?format=json-v2|txt|srt&wait`` — 404 ``Job not found`` also while the job runs
  or after it was rejected (the spec: "404 (``Job not found``, or transcript not ready)"; the ``detail``
  says which), 410 ``File Expired`` once deleted, 410 ``Job Expired``.
- ``GET /v2/jobs/{id}/log`` (text), ``GET /v2/jobs/{id}/data`` (the submitted media).
- ``GET /v2/usage?since&until`` — ``{"since", "until", "summary", "details"}`` from ``server.usage``.

Jobs run in the background (``server.spawn``) through ``server.batch_recognizer``; a job stays
``running`` for at least ``ServerConfig.min_job_seconds``. When it ends, its ``notification_config``
callbacks are made (``studio.local.notifications``). With channel diarization, ``txt`` heads each channel's
turn with ``CHANNEL: <label>`` (as ``SPEAKER: S1`` heads a speaker's) and SRT cues never mix channels. No
error a client sees names a path of the server's. A ``fetch_data`` URL is fetched once (SaaS
retries after about 2, 10 and 20 s); a failure rejects the job with
``unable to fetch audio: http status code <n>`` as the real service does.

Deliberate differences from SaaS: usage of the current UTC day is reported at once (there is no
accounting lag here); jobs never expire by themselves (``BatchJobs.expire`` does it for tests);
``GET /v2/jobs`` returns the 100 most recent jobs when no ``limit`` is given, as the historic spec said;
``GET`` on a job or transcript waits only when ``wait`` is given (SaaS applies a short default wait).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import string
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, BinaryIO

import aiohttp
from aiohttp import web

from studio.local.engines import EngineRejection
from studio.local.server import UsageRecord, drain, error_response

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

JOB_ID_ALPHABET = string.ascii_lowercase + string.digits
JOB_ID_LENGTH = 10
RUNNING, DONE, REJECTED, DELETED, EXPIRED = "running", "done", "rejected", "deleted", "expired"
TRANSCRIPT_FORMATS = ("json-v2", "txt", "srt")
DEFAULT_LIST_LIMIT = 100
MAX_CONFIG_BYTES = 1024 * 1024
UPLOAD_CHUNK = 1024 * 1024  # bytes asked of the multipart reader at a time
WRITE_BATCH = 4 * 1024 * 1024  # bytes collected before one write to disk (in a worker thread)
FETCH_TIMEOUT = 60.0
FETCH_USER_AGENT = "Speechmatics-API/2.0"
SRT_DEFAULTS = {"max_line_length": 37, "max_lines": 2}
DIARIZATION = ("none", "speaker", "channel")
MODELS = ("standard", "enhanced", "melia-1")
AUDIO_EVENT_TYPES = ("applause", "laughter", "music")
UNKNOWN_SPEAKER = "UU"
#: What a batch ``channel_diarization_labels`` entry may be (§2.4: each ``^[A-Za-z0-9._]+$``); realtime has no pattern.
CHANNEL_LABEL = re.compile(r"^[A-Za-z0-9._]+$")


def now_utc() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """``2021-07-19T12:55:03.754Z``: the service's millisecond UTC timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    return "".join(secrets.choice(JOB_ID_ALPHABET) for _ in range(JOB_ID_LENGTH))


# -- jobs -------------------------------------------------------------------------------------------

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


# -- running a job ----------------------------------------------------------------------------------

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


# -- config validation ------------------------------------------------------------------------------

def validate_job_config(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(error, detail)`` if the service would refuse this ``JobConfig``; unknown keys are ignored."""
    if config.get("type", "transcription") != "transcription":
        return "Job rejected", f"unsupported job type {config.get('type')!r}; use transcription"
    transcription = config.get("transcription_config")
    if transcription is None:
        return "No language selected", "transcription_config with a language is required"
    if not isinstance(transcription, dict):
        return "Job rejected", "transcription_config must be an object"
    language = transcription.get("language")
    if not language:
        return "No language selected", "transcription_config.language is required"
    if not isinstance(language, str):
        return "Job rejected", "transcription_config.language must be a string"
    for key in ("model", "operating_point"):
        if key in transcription and transcription[key] not in MODELS:
            return "Job rejected", f"transcription_config.{key} must be one of {', '.join(MODELS)}"
    if "diarization" in transcription and transcription["diarization"] not in DIARIZATION:
        return "Job rejected", f"transcription_config.diarization must be one of {', '.join(DIARIZATION)}"
    problem = _channel_labels_problem(transcription.get("channel_diarization_labels"))
    if problem is not None:
        return "Job rejected", problem
    vocab = transcription.get("additional_vocab")
    if vocab is not None and (not isinstance(vocab, list) or not all(
            isinstance(e, dict) and isinstance(e.get("content"), str) and e["content"] for e in vocab)):
        return "Job rejected", "transcription_config.additional_vocab must be a list of {content, sounds_like}"
    fetch = config.get("fetch_data")
    if fetch is not None:
        if not isinstance(fetch, dict) or not isinstance(fetch.get("url"), str):
            return "Job rejected", "fetch_data.url is required"
        if not re.match(r"(?i)^https?://[^/]", fetch["url"]):
            return "Job rejected", "fetch_data.url must be an http or https URL"
        headers = fetch.get("auth_headers")
        if headers is not None and (not isinstance(headers, list) or not all(isinstance(h, str) for h in headers)):
            return "Job rejected", "fetch_data.auth_headers must be a list of strings"
    notification = config.get("notification_config")
    if notification is not None:
        if not isinstance(notification, list) or len(notification) > 3:
            return "Job rejected", "notification_config must be a list of at most 3 entries"
        for entry in notification:
            problem = _notification_problem(entry)
            if problem is not None:
                return "Job rejected", problem
    translation = config.get("translation_config")
    if translation is not None:
        targets = translation.get("target_languages") if isinstance(translation, dict) else None
        if not isinstance(targets, list) or not 1 <= len(targets) <= 5:
            return "Job rejected", "translation_config.target_languages must list 1 to 5 languages"
    events = config.get("audio_events_config")
    if events is not None:
        types = events.get("types", []) if isinstance(events, dict) else None
        if not isinstance(types, list) or any(t not in AUDIO_EVENT_TYPES for t in types):
            return "Job rejected", f"audio_events_config.types must be among {', '.join(AUDIO_EVENT_TYPES)}"
    output = config.get("output_config")
    if output is not None:
        overrides = output.get("srt_overrides", {}) if isinstance(output, dict) else None
        if not isinstance(overrides, dict):
            return "Job rejected", "output_config.srt_overrides must be an object"
        for key in SRT_DEFAULTS:
            value = overrides.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                return "Job rejected", f"output_config.srt_overrides.{key} must be a positive integer"
    return None


def _channel_labels_problem(labels: Any) -> str | None:
    """Why the batch API would refuse these ``channel_diarization_labels`` (None: it would not)."""
    if labels is None:
        return None
    where = "transcription_config.channel_diarization_labels"
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return f"{where} must be a list of strings"
    for index, label in enumerate(labels):
        if CHANNEL_LABEL.fullmatch(label) is None:
            return f"{where}.{index} in body should match '{CHANNEL_LABEL.pattern}' (got {label!r})"
    return None


NOTIFICATION_CONTENTS = ("jobinfo", "transcript", "transcript.json-v2", "transcript.txt", "transcript.srt", "data",
                         "text", "alignment", "alignment.word_start_and_end", "alignment.one_per_line")


def _notification_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        return "each notification_config entry needs a url"
    if not re.match(r"(?i)^https?://[^/]", entry["url"]):
        return "notification_config url must be an http or https URL"
    contents = entry.get("contents")
    if contents is not None and (not isinstance(contents, list) or any(c not in NOTIFICATION_CONTENTS
                                                                        for c in contents)):
        return f"notification_config contents must be among {', '.join(NOTIFICATION_CONTENTS)}"
    if entry.get("method") is not None and str(entry["method"]).lower() not in ("post", "put"):
        return "notification_config method must be post or put"
    headers = entry.get("auth_headers")
    if headers is not None and (not isinstance(headers, list) or not all(isinstance(h, str) for h in headers)):
        return "notification_config auth_headers must be a list of strings"
    return None


# -- transcript renderings --------------------------------------------------------------------------

def _words(document: Mapping[str, Any]) -> list[tuple[str, str | None, float, float, bool, str | None]]:
    """(content, who, start, end, is_eos, attaches_to) for each result with an alternative; ``who`` is the
    heading of its turn: ``CHANNEL: <label>`` with channel diarization, else ``SPEAKER: <label>`` (None when
    there is no speaker)."""
    out = []
    for result in document.get("results") or ():
        alternatives = result.get("alternatives") or ()
        if not alternatives:
            continue
        best = alternatives[0]
        channel, speaker = result.get("channel"), best.get("speaker")
        who = f"CHANNEL: {channel}" if channel else (f"SPEAKER: {speaker}" if speaker else None)
        out.append((str(best.get("content", "")), who, float(result.get("start_time", 0.0)),
                    float(result.get("end_time", 0.0)), bool(result.get("is_eos")), result.get("attaches_to")))
    return out


def _join(tokens: Iterable[tuple[str, str | None]], delimiter: str) -> str:
    """Joins (content, attaches_to) tokens: punctuation attached to the previous word has no space before it."""
    text = ""
    glue_next = False
    for content, attaches in tokens:
        if text and not glue_next and attaches not in ("previous", "both"):
            text += delimiter
        text += content
        glue_next = attaches in ("next", "both")
    return text


def render_txt(document: Mapping[str, Any]) -> str:
    """Plain text; with diarization, a ``SPEAKER: S1`` line heads each speaker's turn (spec example:
    ``"SPEAKER: S1\\nHello world.\\n"``) — with channel diarization a ``CHANNEL: <label>`` line each
    channel's — and turns are separated by a blank line."""
    delimiter = str((document.get("metadata") or {}).get("language_pack_info", {}).get("word_delimiter", " "))
    words = _words(document)
    if not words:
        return ""
    unknown = f"SPEAKER: {UNKNOWN_SPEAKER}"
    diarized = any(w[1] not in (None, unknown) for w in words)
    if not diarized:
        return _join(((w[0], w[5]) for w in words), delimiter) + "\n"
    turns: list[tuple[str, list[tuple[str, str | None]]]] = []
    for content, who, _start, _end, _eos, attaches in words:
        label = who or unknown
        if not turns or (turns[-1][0] != label and attaches not in ("previous", "both")):
            turns.append((label, []))
        turns[-1][1].append((content, attaches))
    return "\n".join(f"{label}\n{_join(tokens, delimiter)}\n" for label, tokens in turns)


def _srt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def render_srt(document: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> str:
    """SubRip subtitles: lines of at most ``max_line_length`` characters (a longer single word stands
    alone), at most ``max_lines`` lines per cue; a new cue at each sentence end and speaker change."""
    settings = {**SRT_DEFAULTS, **{k: v for k, v in (overrides or {}).items() if k in SRT_DEFAULTS}}
    max_length, max_lines = int(settings["max_line_length"]), int(settings["max_lines"])
    delimiter = str((document.get("metadata") or {}).get("language_pack_info", {}).get("word_delimiter", " "))
    # Glue punctuation onto its word first: a cue never starts with a full stop.
    pieces: list[tuple[str, str | None, float, float, bool]] = []
    for content, who, start, end, eos, attaches in _words(document):
        if pieces and attaches in ("previous", "both"):
            text, previous_who, first, last, _ = pieces[-1]
            pieces[-1] = (text + content, previous_who, first, max(end, last), eos)
        else:
            pieces.append((content, who, start, end, eos))
    cues: list[tuple[float, float, list[str]]] = []
    lines: list[str] = []
    cue_start = cue_end = 0.0
    cue_speaker: str | None = None

    def flush() -> None:
        if lines:
            cues.append((cue_start, cue_end, list(lines)))
            lines.clear()

    for text, who, start, end, eos in pieces:
        if lines and who != cue_speaker:
            flush()
        if not lines:
            cue_start, cue_speaker = start, who
            lines.append(text)
        elif len(lines[-1]) + len(delimiter) + len(text) <= max_length:
            lines[-1] += delimiter + text
        elif len(lines) < max_lines:
            lines.append(text)
        else:
            flush()
            cue_start, cue_speaker = start, who
            lines.append(text)
        cue_end = end
        if eos:
            flush()
    flush()
    return "".join(f"{index}\n{_srt_time(start)} --> {_srt_time(end)}\n" + "\n".join(text) + "\n\n"
                   for index, (start, end, text) in enumerate(cues, 1))


# -- request helpers --------------------------------------------------------------------------------

def _unprocessable(message: str) -> web.Response:
    # go-swagger's validation answer: the message is the "error" itself (spec: "limit in query must be of
    # type int64").
    return web.json_response({"code": 422, "error": message}, status=422)


def _parse_bool(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("1", "t", "true", "y", "yes", "on"):
        return True
    if lowered in ("0", "f", "false", "n", "no", "off"):
        return False
    return None


def _parse_datetime(value: str) -> datetime | None:
    """An RFC 3339 date-time (fractions up to nanoseconds, ``Z`` or an offset); naive values are UTC."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_wait(request: web.Request, cap: float) -> float | web.Response:
    """The ``wait`` query parameter in seconds (0 when absent), capped server-side; or the 422 refusing it."""
    if "wait" not in request.query:
        return 0.0
    try:
        seconds = int(request.query["wait"])
    except ValueError:
        return _unprocessable("wait in query must be of type int64")
    if seconds < 0:
        return _unprocessable("wait in query should be greater than or equal to 0")
    return min(float(seconds), cap)


async def _wait_for(job: Job, seconds: float) -> None:
    """Until ``job`` ends or ``seconds`` pass (the job itself is never cancelled by a client going away)."""
    if seconds > 0 and not job.finished.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(job.finished.wait()), seconds)


def _safe_name(filename: str | None) -> str:
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    return name.replace("\x00", "") or "data_file"


async def _drain_text(part: aiohttp.BodyPartReader, limit: int) -> str | None:
    """A text field's value, or None if it is longer than ``limit`` bytes."""
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            await part.release()
            return None
    return data.decode(part.get_charset(default="utf-8"), errors="replace")


async def _save_part(part: aiohttp.BodyPartReader, target: Path) -> int:
    """Streams a file part to ``target``; writes go to a worker thread in batches so the loop never blocks."""
    size = 0
    with target.open("wb") as sink:
        batch: list[bytes] = []
        pending = 0
        while chunk := await part.read_chunk(UPLOAD_CHUNK):
            batch.append(chunk)
            pending += len(chunk)
            if pending >= WRITE_BATCH:
                await asyncio.to_thread(_write_all, sink, batch)
                size += pending
                batch, pending = [], 0
        await asyncio.to_thread(_write_all, sink, batch)
        size += pending
    return size


def _write_all(sink: BinaryIO, chunks: Sequence[bytes]) -> None:
    sink.writelines(chunks)


# -- routes -----------------------------------------------------------------------------------------

def add_routes(app: web.Application, server: LocalServer) -> None:
    store = jobs_of(server)

    def unauthorised(request: web.Request) -> web.Response | None:
        return None if server.authorised(request, "batch") else error_response(401, "Permission Denied")

    def find(request: web.Request) -> Job | web.Response:
        """The job the path names, or the response refusing the request (not authorised, no such job)."""
        if (refused := unauthorised(request)) is not None:
            return refused
        job = store.get(request.match_info["job_id"])
        return job if job is not None else error_response(404, "Job not found")

    async def create_job(request: web.Request) -> web.StreamResponse:
        try:
            response = await _create_job(request)
        except ConnectionError:
            # The client hung up mid-upload, as clients may: nothing was created (the part file is gone) and
            # nobody is left to answer. One line, no traceback.
            log.info("batch upload abandoned: the client hung up after %d bytes of its request",
                     request.content.total_bytes)
            return web.Response(status=400)  # never sent: the connection is gone
        await drain(request)  # a refusal given before the whole upload was read must still reach the client
        return response

    async def _create_job(request: web.Request) -> web.StreamResponse:
        if (refused := unauthorised(request)) is not None:
            return refused
        if not request.content_type.startswith("multipart/"):
            return error_response(400, "Malformed request", "The request must be multipart/form-data")
        wait = _parse_wait(request, server.config.max_wait)
        if isinstance(wait, web.Response):
            return wait
        fmt = request.query.get("format", "json-v2")
        if fmt not in TRANSCRIPT_FORMATS:
            return _unprocessable(f"format in query should be one of [{' '.join(TRANSCRIPT_FORMATS)}]")
        upload = server.data_dir / f"upload-{secrets.token_hex(8)}.part"
        config_text: str | None = None
        data_name: str | None = None
        try:
            try:
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if not isinstance(part, aiohttp.BodyPartReader):
                        return error_response(400, "Malformed request", "Nested multipart bodies are not accepted")
                    if part.name == "config" and config_text is None:
                        config_text = await _drain_text(part, MAX_CONFIG_BYTES)
                        if config_text is None:
                            return error_response(400, "Job rejected", "Job config is too large")
                    elif part.name == "data_file" and data_name is None:
                        data_name = _safe_name(part.filename)
                        size = await _save_part(part, upload)
                        log.info("batch upload of %d bytes stored", size)
                    else:
                        await part.release()  # text_file (alignment) and anything unknown
            except (ValueError, AssertionError, aiohttp.ClientPayloadError) as exc:
                return error_response(400, "Malformed request", f"The multipart body could not be read ({exc})")
            if config_text is None:
                return error_response(400, "Job rejected", "The config field is required")
            try:
                config = json.loads(config_text)
            except ValueError:
                return error_response(400, "Job rejected", "Job config JSON is invalid")
            if not isinstance(config, dict):
                return error_response(400, "Job rejected", "Job config JSON is invalid")
            problem = validate_job_config(config)
            if problem is not None:
                return error_response(400, *problem)
            if data_name is not None and "fetch_data" in config:
                return error_response(400, "Job rejected", "Send either a data_file or fetch_data, not both")
            if data_name is None and "fetch_data" not in config:
                return error_response(400, "Missing data_file", "Send a data_file or set fetch_data in the config")
            job = store.add(config, data_name or "", upload if data_name is not None else None)
            if "wait" not in request.query:
                return web.json_response({"id": job.id}, status=201)
            await _wait_for(job, wait)
            return web.json_response(_waited(job, fmt), status=201)
        finally:
            upload.unlink(missing_ok=True)

    def _waited(job: Job, fmt: str) -> dict[str, Any]:
        """The answer of ``POST /v2/jobs?wait=``: the job's outcome, with its transcript once done."""
        status = {RUNNING: "created", DONE: "done", REJECTED: "rejected"}.get(job.status, "deleted")
        body: dict[str, Any] = {"id": job.id, "status": status}
        if job.status == DONE and job.transcript is not None:
            body[fmt] = job.transcript if fmt == "json-v2" else render(job, fmt)
        return body

    async def list_jobs(request: web.Request) -> web.StreamResponse:
        if (refused := unauthorised(request)) is not None:
            return refused
        query = request.query
        limit = DEFAULT_LIST_LIMIT
        if "limit" in query:
            try:
                limit = int(query["limit"])
            except ValueError:
                return _unprocessable("limit in query must be of type int64")
            if limit < 1:
                return _unprocessable("limit in query should be greater than or equal to 1")
            if limit > 100:
                return _unprocessable("limit in query should be less than or equal to 100")
        include_deleted = False
        if "include_deleted" in query:
            parsed = _parse_bool(query["include_deleted"])
            if parsed is None:
                return _unprocessable("include_deleted in query must be of type bool")
            include_deleted = parsed
        bounds: dict[str, datetime | None] = {"created_before": None, "created_after": None}
        for name in bounds:
            if name in query:
                bounds[name] = _parse_datetime(query[name])
                if bounds[name] is None:
                    return _unprocessable(f"{name} in query must be of type date-time")
        before, after = bounds["created_before"], bounds["created_after"]
        jobs = [job for job in store.jobs.values()
                if (include_deleted or job.status != DELETED)
                and (before is None or job.created_at < before) and (after is None or job.created_at > after)]
        jobs.sort(key=lambda j: (j.created_at, j.sequence), reverse=True)
        return web.json_response({"jobs": [job.details() for job in jobs[:limit]]})

    async def get_job(request: web.Request) -> web.StreamResponse:
        job = find(request)
        if isinstance(job, web.Response):
            return job
        wait = _parse_wait(request, server.config.max_wait)
        if isinstance(wait, web.Response):
            return wait
        await _wait_for(job, wait)
        return web.json_response({"job": job.details()})

    async def delete_job(request: web.Request) -> web.StreamResponse:
        job = find(request)
        if isinstance(job, web.Response):
            return job
        force = _parse_bool(request.query.get("force", "false"))
        if force is None:
            return _unprocessable("force in query must be of type bool")
        if job.status == EXPIRED:
            return error_response(410, "Job Expired")
        if job.status == RUNNING:
            if not force:
                return error_response(423, "Resource Locked")
            if job.task is not None:
                job.task.cancel()
                await asyncio.wait([job.task])
            job.log("Job terminated (force)")
        job.status = DELETED
        job.remove_files()
        job.finished.set()
        return web.json_response({"job": job.details()})

    async def get_transcript(request: web.Request) -> web.StreamResponse:
        job = find(request)
        if isinstance(job, web.Response):
            return job
        fmt = request.query.get("format", "json-v2")
        if fmt not in TRANSCRIPT_FORMATS:
            return _unprocessable(f"format in query should be one of [{' '.join(TRANSCRIPT_FORMATS)}]")
        wait = _parse_wait(request, server.config.max_wait)
        if isinstance(wait, web.Response):
            return wait
        await _wait_for(job, wait)
        if job.status == RUNNING:
            return error_response(404, "Job not found", "The transcript is not ready: the job is still running")
        if job.status == REJECTED:
            reason = job.errors[-1]["message"] if job.errors else "no reason was given"
            return error_response(404, "Job not found", f"There is no transcript: the job was rejected ({reason})")
        if job.status == EXPIRED:
            return error_response(410, "Job Expired")
        if job.transcript is None:
            return error_response(410, "File Expired", "File deleted from the storage")
        if fmt in ("txt", "srt"):
            return web.Response(text=render(job, fmt), content_type="text/plain")
        return web.json_response(job.transcript)

    async def get_log(request: web.Request) -> web.StreamResponse:
        job = find(request)
        if isinstance(job, web.Response):
            return job
        if job.status in (DELETED, EXPIRED):
            return error_response(404, "Log file not available", "Could not read log file")
        return web.Response(text="".join(line + "\n" for line in job.log_lines), content_type="text/plain")

    async def get_data(request: web.Request) -> web.StreamResponse:
        job = find(request)
        if isinstance(job, web.Response):
            return job
        if job.status in (DELETED, EXPIRED):
            return error_response(410, "File Expired", "File deleted from the storage")
        if job.media is None or not job.media.exists():
            return error_response(404, "Job not found", "The job has no media")
        name = (job.data_name or "data").replace('"', "")
        return web.FileResponse(job.media, headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f'attachment; filename="{name}"'})

    async def get_usage(request: web.Request) -> web.StreamResponse:
        if (refused := unauthorised(request)) is not None:
            return refused
        today = now_utc().date()
        days: dict[str, date] = {"since": today.replace(day=1), "until": today}
        for name in days:
            if name in request.query:
                try:
                    days[name] = date.fromisoformat(request.query[name])
                except ValueError:
                    return _unprocessable(f"{name} in query must be of type date")
        since, until = days["since"], days["until"]
        return web.json_response(usage_report(server.usage, since, until))

    app.router.add_post("/v2/jobs", create_job)
    app.router.add_post("/v2/jobs/", create_job)
    app.router.add_get("/v2/jobs", list_jobs)
    app.router.add_get("/v2/jobs/", list_jobs)
    app.router.add_get("/v2/jobs/{job_id}", get_job)
    app.router.add_delete("/v2/jobs/{job_id}", delete_job)
    app.router.add_get("/v2/jobs/{job_id}/transcript", get_transcript)
    app.router.add_get("/v2/jobs/{job_id}/log", get_log)
    app.router.add_get("/v2/jobs/{job_id}/data", get_data)
    app.router.add_get("/v2/usage", get_usage)


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
