"""What goes into the queue: files found in what the user dropped, and each file checked before it is sent.

    found = discover([Path("talks/"), Path("intro.mp3")])   # -> Discovery(files, empty_folders, unreadable)
    report = inspect(Path("intro.mp3"), limits)            # -> Inspection (ok, or an error for the row)
    problem = changed_since_queued(job)                    # None, or why the file cannot be sent as queued

Folders are walked recursively (symbolic links to folders are not followed, so a loop cannot trap the walk);
inside a folder only the common audio and video types count (``MEDIA_SUFFIXES``), while a file dropped on
its own is always taken and then checked. Checks run in a worker thread (they read the file) and say, in
one sentence for the row, what is wrong: an empty file, a truncated one, a text file named ``.wav``, a video
with no audio track, an unreadable file, a file over the engine's size or duration limit. No Qt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from studio.audio.decode import DecodeError, MediaInfo, probe
from studio.core.jobs import Job

MEDIA_SUFFIXES = frozenset({
    ".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wma", ".mp4", ".m4v", ".mov", ".mkv",
    ".webm", ".avi", ".amr", ".mpeg", ".mpg", ".3gp", ".aiff", ".aif",
})
GB = 1_000_000_000


@dataclass(frozen=True)
class Limits:
    """What an engine accepts in one job (None: no limit)."""

    engine: str  # as a sentence names it: "Speechmatics", "the built-in engine"
    max_bytes: int | None = None
    max_seconds: float | None = None


#: Speechmatics takes at most 1 GB per upload (``speechmatics-protocol.md`` §2.4).
SPEECHMATICS_LIMITS = Limits("Speechmatics", max_bytes=GB)
#: The built-in engine decodes the whole file into memory (16 kHz float32, 230 MB an hour) before Whisper runs.
BUILTIN_LIMITS = Limits("the built-in engine", max_seconds=10 * 3600.0)


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)  # absolute, in the order found, each once
    empty_folders: list[Path] = field(default_factory=list)  # dropped folders with no media in them
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # folders that could not be listed
    missing: list[Path] = field(default_factory=list)  # dropped paths that do not exist


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _walk(folder: Path, found: list[Path], unreadable: list[tuple[Path, str]]) -> int:
    count = 0

    def failed(error: OSError) -> None:
        where = Path(error.filename) if error.filename else folder
        unreadable.append((where, error.strerror or type(error).__name__))

    for root, dirs, files in os.walk(folder, onerror=failed, followlinks=False):
        dirs.sort(key=str.casefold)
        for name in sorted(files, key=str.casefold):
            if Path(name).suffix.lower() in MEDIA_SUFFIXES and not name.startswith("."):
                found.append(Path(root) / name)
                count += 1
    return count


def discover(paths: Iterable[Path]) -> Discovery:
    """The files to queue from ``paths`` (files and folders); runs in a worker thread (it lists folders)."""
    out = Discovery()
    found: list[Path] = []
    for given in paths:
        path = _absolute(given)
        if path.is_dir():
            if _walk(path, found, out.unreadable) == 0 and not any(p == path for p, _ in out.unreadable):
                out.empty_folders.append(path)
        elif path.exists() or path.is_symlink():
            found.append(path)
        else:
            out.missing.append(path)
    seen: set[Path] = set()
    for path in found:
        if path not in seen:
            seen.add(path)
            out.files.append(path)
    return out


@dataclass(frozen=True)
class Inspection:
    path: Path
    size: int = 0
    mtime_ns: int = 0
    duration: float | None = None
    error: str = ""  # empty: the file can be sent
    info: MediaInfo | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def _size_text(size: int) -> str:
    if size >= GB:
        return f"{size / GB:.1f} GB"
    if size >= 1_000_000:
        return f"{size / 1_000_000:.0f} MB"
    return f"{size / 1000:.0f} kB"


def _hours_text(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    if hours:
        return f"{hours} h {rest // 60:02d} min"
    return f"{rest // 60} min" if rest >= 60 else f"{seconds:.0f} s"


def over_size(size: int, limit: int, engine: str) -> str:
    return f"The file is {_size_text(size)}, more than the {_size_text(limit)} {engine} accepts in one job."


def over_duration(seconds: float, limit: float, engine: str) -> str:
    return (f"The recording is {_hours_text(seconds)} long, more than the {_hours_text(limit)} {engine} takes "
            "in one job.")


def inspect(path: Path, limits: Limits | None = None) -> Inspection:
    """Checks one file (reads its headers and a little of its end); runs in a worker thread."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Inspection(path, error="The file no longer exists.")
    except OSError as exc:
        return Inspection(path, error=f"The file cannot be read ({exc.strerror or type(exc).__name__}).")
    size, mtime = stat.st_size, stat.st_mtime_ns
    if path.is_dir():
        return Inspection(path, size, mtime, error="That is a folder, not a file.")
    if not path.is_file():  # a pipe or a device: opening it could wait for ever
        return Inspection(path, size, mtime, error="It is not a regular file (a pipe or a device), so it cannot "
                                                   "be read.")
    if size == 0:
        return Inspection(path, size, mtime, error="The file is empty.")
    if limits is not None and limits.max_bytes is not None and size > limits.max_bytes:
        return Inspection(path, size, mtime, error=over_size(size, limits.max_bytes, limits.engine))
    try:
        info = probe(path)
    except DecodeError as exc:
        text = exc.message.rstrip(".")
        if text == "Not an audio or video file the studio can read" and not os.access(path, os.R_OK):
            text = "The file cannot be read (permission denied)"
        return Inspection(path, size, mtime, error=f"{text}.")
    duration = info.duration
    truncated = _truncation(info)
    if truncated:
        return Inspection(path, size, mtime, duration, error=truncated, info=info)
    if duration is not None and duration <= 0:
        return Inspection(path, size, mtime, duration, error="The file holds no audio.", info=info)
    if limits is not None and limits.max_seconds is not None and duration is not None \
            and duration > limits.max_seconds:
        return Inspection(path, size, mtime, duration, info=info,
                          error=over_duration(duration, limits.max_seconds, limits.engine))
    return Inspection(path, size, mtime, duration, info=info)


def _truncation(info: MediaInfo) -> str:
    """Why the file is cut short, or "" when it plays to the end its headers announce."""
    if info.wav is not None:
        if not info.wav.truncated:
            return ""
        rate = info.wav.format.byte_rate or 1
        present = info.wav.data.size  # clamped to the file by the RIFF reader
        announced = _declared_size(info.path, info.wav.data.offset)
        if announced is None or announced <= present:
            return f"The file is truncated: it stops after {present / rate:.1f} s, before its header says it ends."
        return (f"The file is truncated: it stops after {present / rate:.1f} s of the "
                f"{announced / rate:.1f} s its header announces.")
    if info.duration is None or info.duration < 3.0:
        return ""
    end = _decodable_end(info.path, info.duration)
    if end is not None and end < info.duration - 3.0:
        return (f"The file is truncated: it stops after {end:.1f} s of the {info.duration:.1f} s its header "
                "announces.")
    return ""


def _declared_size(path: Path, data_offset: int) -> int | None:
    """The size a WAV's ``data`` chunk header declares (the four bytes before the chunk's payload)."""
    try:
        with path.open("rb") as source:
            source.seek(data_offset - 4)
            raw = source.read(4)
    except OSError:
        return None
    return int.from_bytes(raw, "little") if len(raw) == 4 else None


def _decodable_end(path: Path, duration: float) -> float | None:
    """Where the audio really ends, from decoding the file's last seconds (None: it could not be told)."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            container.seek(int(max(0.0, duration - 2.0) * 1_000_000), backward=True, any_frame=False)
            end: float | None = None
            try:
                for frame in container.decode(stream):
                    if frame.time is not None and frame.sample_rate:
                        end = float(frame.time) + frame.samples / frame.sample_rate
            except av.FFmpegError:
                pass  # decoding stopped where the data is broken or missing: ``end`` is as far as it got
            return end if end is not None else 0.0
    except (av.FFmpegError, OSError, IndexError):
        return None


def changed_since_queued(job: Job) -> str:
    """Why the job's file cannot be sent as it was queued ("" when it is unchanged)."""
    try:
        stat = os.stat(job.path)
    except FileNotFoundError:
        return "The file was deleted or moved after it was added to the queue."
    except OSError as exc:
        return f"The file cannot be read any more ({exc.strerror or type(exc).__name__})."
    if stat.st_size != job.size or stat.st_mtime_ns != job.mtime_ns:
        return "The file changed after it was added to the queue; choose Retry to transcribe the new version."
    return ""
