"""Writing finished jobs to files: a file-name template, any of the exporters' formats, one job or many.

    names = NameTemplate("{name}-{date}")          # ValueError with a sentence for an unknown field
    written = export_job(job, document, ExportRequest(("srt", "txt"), folder, names, options))
    report = export_many([(job, document), ...], request)   # -> ExportReport(written, failed)

Template fields: ``{name}`` (the media file's name without its extension), ``{ext}`` (its extension),
``{date}`` and ``{time}`` (when the job finished, local time), ``{language}``, ``{engine}`` (``builtin`` or
``speechmatics``), ``{job}`` (the service's job id). The format's extension is added. Characters that are
not allowed in file names become ``_``, names are kept under the file system's 255-byte limit, and a name
that another job already wrote gets `` (2)``, `` (3)``…, so two ``talk.wav`` from different folders never
overwrite each other. Files are written atomically (``studio.storage.atomic``). Runs in a worker thread.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.exporters import FORMATS, SubtitleOptions, TextOptions, export
from studio.core.jobs import Job
from studio.core.transcript import Transcript
from studio.storage.atomic import write_atomic

FIELDS = ("name", "ext", "date", "time", "language", "engine", "job")
MAX_NAME_BYTES = 240  # of the 255 a file name may have: room for " (12)" and the extension
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class NameTemplate:
    def __init__(self, text: str) -> None:
        self.text = text.strip() or "{name}"
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None]
        except ValueError:
            raise ValueError("The file-name template is not valid: put each field in braces, like {name}.") from None
        unknown = [name for name in fields if name not in FIELDS]
        if unknown:
            raise ValueError(f"The file-name template has an unknown field {{{unknown[0]}}}; use "
                             + ", ".join(f"{{{name}}}" for name in FIELDS) + ".")
        try:
            self.text.format(**dict.fromkeys(FIELDS, ""))
        except (ValueError, IndexError):
            raise ValueError("The file-name template is not valid: put each field in braces, like {name}.") from None

    def render(self, job: Job, document: dict[str, Any] | None = None, *, now: float | None = None) -> str:
        moment = time.localtime(job.finished_at or now or time.time())
        media = Path(job.name)
        language = job.settings.language
        config = ((document or {}).get("metadata") or {}).get("transcription_config") or {}
        if isinstance(config, dict) and isinstance(config.get("language"), str):
            language = config["language"]
        values = {"name": media.stem or media.name, "ext": media.suffix.lstrip("."),
                  "date": time.strftime("%Y-%m-%d", moment), "time": time.strftime("%H-%M-%S", moment),
                  "language": language, "engine": "builtin" if job.engine_local else "speechmatics",
                  "job": job.remote_id or job.id[:10]}
        return safe_name(self.text.format(**values))


def safe_name(name: str) -> str:
    """``name`` usable as a file name on every platform (no separators, no control characters, not too long)."""
    cleaned = _UNSAFE.sub("_", name).strip().strip(".") or "transcript"
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        cleaned = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip()
    return cleaned


@dataclass(frozen=True)
class ExportOptions:
    subtitles: SubtitleOptions = field(default_factory=SubtitleOptions)
    text: TextOptions = field(default_factory=TextOptions)

    def for_format(self, fmt: str) -> SubtitleOptions | TextOptions | None:
        if fmt in ("srt", "vtt"):
            return self.subtitles
        if fmt in ("txt", "docx"):
            return self.text
        return None


@dataclass(frozen=True)
class ExportRequest:
    formats: tuple[str, ...]
    folder: Path | None  # None: next to each media file
    names: NameTemplate
    options: ExportOptions = field(default_factory=ExportOptions)

    def __post_init__(self) -> None:
        unknown = [fmt for fmt in self.formats if fmt not in FORMATS]
        if unknown or not self.formats:
            raise ValueError(f"Choose formats among {', '.join(FORMATS)}")


def _target(folder: Path, stem: str, fmt: str, taken: set[Path], own: set[Path]) -> Path:
    candidate = folder / f"{stem}.{fmt}"
    number = 2
    while candidate in taken or (candidate.exists() and candidate not in own):
        candidate = folder / f"{stem} ({number}).{fmt}"
        number += 1
    return candidate


def export_job(job: Job, document: dict[str, Any], request: ExportRequest, taken: set[Path] | None = None
               ) -> list[Path]:
    """Writes ``document`` (the job's json-v2, edits included) in each requested format; returns the files.

    ``taken`` (names written in this batch) is updated; files the job wrote before may be replaced."""
    taken = taken if taken is not None else set()
    own = {Path(path) for path in job.outputs}
    transcript = Transcript.from_json_v2(document)
    stem = request.names.render(job, document)
    folder = request.folder if request.folder is not None else Path(job.path).parent
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in request.formats:
        path = _target(folder, stem, fmt, taken, own)
        options = request.options.for_format(fmt)
        write_atomic(path, export(transcript, fmt, options))
        taken.add(path)
        written.append(path)
    return written


@dataclass
class ExportReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)  # job and a sentence for the user


def export_many(items: Iterable[tuple[Job, dict[str, Any] | None]], request: ExportRequest) -> ExportReport:
    """Every job in turn; a job that cannot be written is reported and the others are still written."""
    report = ExportReport()
    taken: set[Path] = set()
    for job, document in items:
        if document is None:
            report.failed.append((job, "It has no transcript yet."))
            continue
        try:
            report.written.extend(export_job(job, document, request, taken))
        except OSError as exc:
            report.failed.append((job, f"It could not be written ({exc.strerror or exc})."))
    return report


def describe(report: ExportReport, folder: Path | None, formats: Sequence[str]) -> str:
    """One or two sentences about an export, for the status bar or a message."""
    jobs = len({path.with_suffix("") for path in report.written})
    kinds = ", ".join(f.upper() for f in formats)
    where = f"to {folder}" if folder is not None else "next to each recording"
    text = f"Exported {jobs} transcript{'s' if jobs != 1 else ''} as {kinds} {where}."
    if report.failed:
        names = ", ".join(job.name for job, _ in report.failed[:3])
        more = f" and {len(report.failed) - 3} more" if len(report.failed) > 3 else ""
        text += f" Not exported: {names}{more} — {report.failed[0][1]}"
    return text
