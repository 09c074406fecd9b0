"""The headless commands' work: ``studio transcribe`` (many files, outputs, a progress bar) and ``studio jobs``.

Public API::

    status = await run_transcribe(TranscribeRequest(files, options, formats, out_dir, engine, url),
                                  env=os.environ, redactor=redactor, stdout=sys.stdout, stderr=sys.stderr)
    status = await run_jobs(JobsRequest("list" | "get" | "transcript" | "delete", ...), env=…, …)

``run_transcribe`` does every file in turn, writes ``<out_dir>/<input stem>.<format>`` for each format, prints
``<input>: wrote <outputs>`` on stdout per file done, and one line per failed file on stderr
(``studio transcribe: talk.mp3: Your API key was rejected``); the other files are still done. It returns 0
when every file was done, 1 when any failed, 2 when the request itself cannot be carried out. When
``stderr`` is a terminal, a progress bar is drawn there (audio streamed, bytes uploaded, waiting).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from studio.api.batch import BatchClient, JobDetails
from studio.api.errors import ApiError
from studio.audio.decode import DecodeError
from studio.core.redaction import Redactor
from studio.services.advice import explain
from studio.services.transcribe_target import open_target
from studio.storage.atomic import write_atomic

if TYPE_CHECKING:  # the transcription pipeline (PyAV, NumPy) is loaded only when files are transcribed
    from studio.services.transcribe import Progress, ProgressCallback, TranscribeOptions, TranscribeResult

log = logging.getLogger(__name__)

JobsAction = Literal["list", "get", "transcript", "delete"]


def is_local(label: str) -> bool:
    """Whether a target's label names the built-in engine (``studio.services.transcribe_target``)."""
    return label.startswith("Built-in engine")


def one_line(text: str) -> str:
    return " ".join(text.split()) or "failed"


# -- the progress bar ---------------------------------------------------------------------------------------

class TerminalProgress:
    """One line on a terminal, redrawn in place at most every ``interval`` seconds (and on every new stage)."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1, width: int | None = None) -> None:
        self._stream = stream
        self._interval = interval
        self._width = width
        self._last_draw = 0.0
        self._last_stage: str | None = None
        self._shown = False

    def callback(self, name: str) -> ProgressCallback:
        self._last_stage = None
        return lambda update: self.update(name, update)

    def update(self, name: str, update: Progress) -> None:
        now = time.monotonic()
        if update.stage == self._last_stage and now - self._last_draw < self._interval:
            return
        self._last_stage, self._last_draw = update.stage, now
        self._write("\r" + self.render(name, update)[: self._columns() - 1] + "\x1b[K")
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    def render(self, name: str, update: Progress) -> str:
        fraction = update.fraction
        if update.stage == "streaming":
            detail = f"streaming {update.done:.1f}" + (f" / {update.total:.1f} s" if update.total else " s")
        elif update.stage == "uploading":
            detail = f"uploading {_size(update.done)}" + (f" / {_size(update.total)}" if update.total else "")
        elif update.stage == "waiting":
            detail, fraction = f"waiting for the batch job ({update.done:.0f} s)", None
        else:
            detail = {"connecting": "connecting…", "finishing": "finishing the transcript…",
                      "downloading": "fetching the transcript…"}.get(update.stage, update.stage)
        if fraction is None:
            return f"{name}  {detail}"
        filled = round(fraction * 24)
        return f"{name}  [{'#' * filled}{'.' * (24 - filled)}] {fraction * 100:3.0f}%  {detail}"

    def _columns(self) -> int:
        if self._width is not None:
            return self._width
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        return columns or 80

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            pass


def _size(count: float | None) -> str:
    value = float(count or 0)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- studio transcribe ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TranscribeRequest:
    files: tuple[Path, ...]
    options: TranscribeOptions
    formats: tuple[str, ...] = ("txt",)
    out_dir: Path = Path()
    engine: str | None = None  # "local", "speechmatics", or None for the settings' choice
    url: str | None = None


def output_paths(source: Path, formats: tuple[str, ...], out_dir: Path) -> list[Path]:
    return [out_dir / f"{source.stem}.{fmt}" for fmt in formats]


def write_outputs(result: TranscribeResult, formats: tuple[str, ...], out_dir: Path) -> list[Path]:
    """Every format is rendered before any file is written, so a failure leaves no partial set behind."""
    from studio.services.transcribe import export_result

    rendered = [(path, export_result(result, fmt))
                for path, fmt in zip(output_paths(result.source, formats, out_dir), formats, strict=True)]
    for path, data in rendered:
        write_atomic(path, data)
    return [path for path, _ in rendered]


async def run_transcribe(request: TranscribeRequest, *, env: Mapping[str, str], redactor: Redactor,
                         stdout: TextIO, stderr: TextIO, show_progress: bool | None = None) -> int:
    from studio.services.transcribe import available_formats, transcribe_file

    prog = "studio transcribe"
    missing = [fmt for fmt in request.formats if fmt not in available_formats()]
    if missing:
        print(f"{prog}: the {', '.join(missing)} format{'s are' if len(missing) > 1 else ' is'} not available "
              f"in this build of the studio (available: {', '.join(available_formats())})", file=stderr)
        return 2
    bar = TerminalProgress(stderr) if (show_progress if show_progress is not None else _is_terminal(stderr)) \
        else None
    failed = 0

    def fail(source: Path, reason: str) -> None:
        nonlocal failed
        failed += 1
        if bar is not None:
            bar.clear()
        print(f"{prog}: {source}: {one_line(reason)}", file=stderr, flush=True)

    claimed: dict[Path, Path] = {}  # output path -> the input that writes it
    try:
        async with open_target(request.engine, request.url, env=env, redactor=redactor) as target:
            log.info("transcribing %d file(s) with %s, %s mode", len(request.files), target.label,
                     request.options.mode)
            for source in request.files:
                outputs = output_paths(source, request.formats, request.out_dir)
                clash = next((claimed[path] for path in outputs if path in claimed), None)
                if clash is not None:
                    fail(source, "it was given twice" if clash == source else
                         f"its outputs would overwrite those of {clash}; give it its own --out folder")
                    continue
                claimed.update(dict.fromkeys(outputs, source))
                try:
                    result = await transcribe_file(target.connection, source, request.options,
                                                   bar.callback(source.name) if bar is not None else None)
                    written = write_outputs(result, request.formats, request.out_dir)
                except ApiError as exc:  # the service's words, then the studio's advice
                    fail(source, explain(exc, local=is_local(target.label), cli=True))
                    continue
                except DecodeError as exc:
                    fail(source, str(exc))
                    continue
                except OSError as exc:
                    fail(source, f"The transcript could not be written ({exc.strerror or type(exc).__name__})")
                    continue
                except Exception as exc:  # a defect: one line here, the traceback with -vv
                    log.debug("transcribing %s failed", source, exc_info=True)
                    fail(source, f"Internal error ({type(exc).__name__}: {exc}); run with -vv for details")
                    continue
                if bar is not None:
                    bar.clear()
                job = f" (job {result.job_id})" if result.job_id else ""
                print(f"{source}: wrote {', '.join(str(path) for path in written)}{job}", file=stdout, flush=True)
    except ApiError as exc:  # the engine could not be reached or set up at all
        if bar is not None:
            bar.clear()
        print(f"{prog}: {one_line(explain(exc, local=request.engine == 'local', cli=True))}", file=stderr)
        return 1
    return 1 if failed else 0


# -- studio jobs -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JobsRequest:
    action: JobsAction
    job_id: str = ""
    format: Literal["json", "txt", "srt"] = "json"
    force: bool = False
    limit: int | None = None
    include_deleted: bool = False
    url: str | None = None


def job_row(job: JobDetails) -> str:
    created = job.created_at.strftime("%Y-%m-%d %H:%M:%S") if job.created_at else "-"
    duration = f"{job.duration:.0f} s" if job.duration else "-"
    return f"{job.id:<12} {job.status:<9} {created:<19} {duration:>8}  {job.data_name}"


async def run_jobs(request: JobsRequest, *, env: Mapping[str, str], redactor: Redactor, stdout: TextIO,
                   stderr: TextIO) -> int:
    try:
        async with open_target("speechmatics", request.url, env=env, redactor=redactor) as target, \
                target.connection.batch() as batch:
            await _jobs_action(batch, request, stdout)
    except ApiError as exc:
        print(f"studio jobs: {one_line(explain(exc, cli=True))}", file=stderr)
        return 1
    return 0


async def _jobs_action(batch: BatchClient, request: JobsRequest, stdout: TextIO) -> None:
    if request.action == "list":
        jobs = await batch.list_jobs(limit=request.limit, include_deleted=request.include_deleted)
        print(f"{'ID':<12} {'STATUS':<9} {'CREATED (UTC)':<19} {'DURATION':>8}  NAME", file=stdout)
        for job in jobs:
            print(job_row(job), file=stdout)
    elif request.action == "get":
        job = await batch.get_job(request.job_id)
        print(json.dumps(dict(job.raw), indent=2, ensure_ascii=False), file=stdout)
    elif request.action == "transcript":
        if request.format == "json":
            document = await batch.transcript(request.job_id)
            print(json.dumps(document, indent=2, ensure_ascii=False), file=stdout)
        else:
            text = await batch.transcript_text(request.job_id, request.format)
            stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        job = await batch.delete_job(request.job_id, force=request.force)
        print(f"{job.id}: {job.status}", file=stdout)
