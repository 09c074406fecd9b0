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

This module has the routes and the reading of requests; the jobs and their running are in ``batch_jobs``, what
a config may hold in ``batch_config``, TXT and SRT in ``batch_render``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, BinaryIO

import aiohttp
from aiohttp import web

from studio.local.batch_config import CHANNEL_LABEL, MAX_CONFIG_BYTES, validate_job_config
from studio.local.batch_jobs import (
    DELETED,
    DONE,
    EXPIRED,
    REJECTED,
    RUNNING,
    TRANSCRIPT_FORMATS,
    UPLOAD_CHUNK,
    WRITE_BATCH,
    Job,
    jobs_of,
    now_utc,
    render,
    usage_report,
)
from studio.local.batch_render import render_srt, render_txt
from studio.local.server import drain, error_response

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

__all__ = ["CHANNEL_LABEL", "Job", "add_routes", "jobs_of", "render_srt", "render_txt", "validate_job_config"]

DEFAULT_LIST_LIMIT = 100


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
