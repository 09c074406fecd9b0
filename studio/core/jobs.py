"""Batch jobs as plain data: an explicit state machine with legal transitions, per-job settings (no Qt, no I/O).

    job = Job.new(path, name, size=..., mtime_ns=..., settings=JobSettings(language="en"), position=0)
    job = job.to(JobState.UPLOADING, started_at=now)   # IllegalTransition if the state machine forbids it
    job = job.with_changes(uploaded=1024)               # progress and other data; the state stays

States (``JobState``)::

    QUEUED ──► UPLOADING ──► PROCESSING ──► DONE
      │   ▲        │  ▲           │  ▲
      │   │        ▼  │           ▼  │
      │   └────── WAITING ◄───────┘  │      (429, 5xx, offline: why, and the next try's time)
      ▼                                │
    FAILED / CANCELLED ──► QUEUED (retry)   DONE ──► QUEUED (transcribe again)

- ``QUEUED``: waiting for an upload slot (or for the queue to be resumed).
- ``UPLOADING``: the file is being sent; the service has no job yet (``remote_id`` is None).
- ``PROCESSING``: the service has the job (``remote_id``); the studio polls it.
- ``WAITING``: a retryable failure; ``wait_reason`` says why and ``retry_at`` when the next try is.
  With a ``remote_id`` the next try polls, without one it uploads.
- ``DONE``: the transcript is stored with the job. ``FAILED``: ``error`` says why. ``CANCELLED``: by the user.

``UPLOADING``, ``WAITING`` and ``PROCESSING`` may also go back to ``QUEUED``: an interrupted upload starts
again, and a built-in engine job that died with the app is submitted again (``note`` says so).

Every state change is a new ``Job`` (frozen), so a job can be handed to another thread as it is; the
queue (``studio.services.batch.queue``) writes each one to the store when it happens.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "queued"
    UPLOADING = "uploading"
    PROCESSING = "processing"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


#: The states a job may move to from each state.
TRANSITIONS: Mapping[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.UPLOADING, JobState.FAILED, JobState.CANCELLED}),
    JobState.UPLOADING: frozenset({JobState.PROCESSING, JobState.WAITING, JobState.FAILED, JobState.CANCELLED,
                                   JobState.QUEUED}),
    JobState.WAITING: frozenset({JobState.UPLOADING, JobState.PROCESSING, JobState.FAILED, JobState.CANCELLED,
                                 JobState.QUEUED}),
    JobState.PROCESSING: frozenset({JobState.DONE, JobState.WAITING, JobState.FAILED, JobState.CANCELLED,
                                    JobState.QUEUED}),
    JobState.DONE: frozenset({JobState.QUEUED}),
    JobState.FAILED: frozenset({JobState.QUEUED}),
    JobState.CANCELLED: frozenset({JobState.QUEUED}),
}

#: Jobs the runner is working on (they hold a task; an upload or its retry holds an upload slot).
ACTIVE = frozenset({JobState.UPLOADING, JobState.WAITING, JobState.PROCESSING})
#: Jobs that are over; only the user starts them again.
FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
UNFINISHED = frozenset({JobState.QUEUED, *ACTIVE})

DIARIZATION = ("none", "speaker", "channel")
OPERATING_POINTS = ("standard", "enhanced")


class IllegalTransition(ValueError):  # noqa: N818 - it names what was attempted
    def __init__(self, job_id: str, current: JobState, target: JobState) -> None:
        super().__init__(f"job {job_id} cannot go from {current.value} to {target.value}")
        self.current = current
        self.target = target


def can_move(current: JobState, target: JobState) -> bool:
    return target in TRANSITIONS[current]


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if isinstance(v, str) and v.strip())
    return ()


@dataclass(frozen=True)
class JobSettings:
    """What one job asks of the service. ``language`` "auto" asks the service to detect it."""

    language: str = "en"
    operating_point: str = "standard"
    diarization: str = "none"  # none | speaker | channel
    speaker_sensitivity: float | None = None  # 0–1, speaker diarization only; None: the service's default
    vocab: tuple[str, ...] = ()  # custom vocabulary (words and phrases)
    entities: bool = False
    translation: tuple[str, ...] = ()  # target languages (at most 5)
    summary: bool = False
    sentiment: bool = False
    topics: bool = False
    chapters: bool = False

    def replace(self, **changes: Any) -> JobSettings:
        return dataclasses.replace(self, **changes)

    @property
    def intelligence(self) -> tuple[str, ...]:
        """The audio-intelligence features asked for, by ``studio.services.capabilities.INTELLIGENCE`` names."""
        wanted = (("summary", self.summary), ("sentiment", self.sentiment), ("topics", self.topics),
                  ("chapters", self.chapters))
        return tuple(name for name, on in wanted if on)

    def describe(self) -> str:
        """A short line for the table's tooltip: ``en · speaker · summary, topics``."""
        parts = [self.language]
        if self.operating_point != "standard":
            parts.append(self.operating_point)
        if self.diarization != "none":
            parts.append(f"{self.diarization} diarization")
        if self.translation:
            parts.append("→ " + ", ".join(self.translation))
        if self.intelligence:
            parts.append(", ".join(self.intelligence))
        if self.vocab:
            parts.append(f"{len(self.vocab)} custom word{'s' if len(self.vocab) != 1 else ''}")
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["vocab"] = list(self.vocab)
        data["translation"] = list(self.translation)
        return data

    @classmethod
    def from_json(cls, data: Any) -> JobSettings:
        """Tolerant: unknown keys are ignored and values that do not fit fall back to the defaults."""
        if not isinstance(data, Mapping):
            return cls()
        default = cls()
        language = data.get("language")
        point = data.get("operating_point")
        diarization = data.get("diarization")
        sensitivity = data.get("speaker_sensitivity")
        flags = {name: bool(data[name]) if isinstance(data.get(name), bool) else getattr(default, name)
                 for name in ("entities", "summary", "sentiment", "topics", "chapters")}
        return cls(
            language=language.strip() if isinstance(language, str) and language.strip() else default.language,
            operating_point=point if point in OPERATING_POINTS else default.operating_point,
            diarization=diarization if diarization in DIARIZATION else default.diarization,
            speaker_sensitivity=float(sensitivity) if isinstance(sensitivity, int | float)
            and not isinstance(sensitivity, bool) and 0.0 <= sensitivity <= 1.0 else None,
            vocab=_strings(data.get("vocab")), translation=_strings(data.get("translation"))[:5], **flags)


def new_job_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Job:
    id: str  # the studio's own id; also the job's ``tracking.reference`` at the service (to find it again)
    path: str  # absolute path of the media file
    name: str  # the file name shown
    size: int  # bytes, when it was queued (a file that changes afterwards is refused)
    mtime_ns: int
    settings: JobSettings = field(default_factory=JobSettings)
    position: int = 0  # queue order: smaller first
    state: JobState = JobState.QUEUED
    duration: float | None = None  # seconds of media, from the probe
    created_at: float = 0.0  # epoch seconds
    started_at: float | None = None  # the first upload began
    finished_at: float | None = None
    engine: str = ""  # the label of the engine it was sent to
    engine_url: str = ""  # the batch URL it was sent to ("" before it was sent)
    engine_local: bool = False  # sent to the built-in engine (whose jobs die with the app)
    remote_id: str | None = None  # the service's job id
    submissions: int = 0  # times sent to a service (more than one: submitted again)
    uploaded: int = 0  # bytes of the current upload handed to the connection
    processing_since: float | None = None  # when the service got the job
    wait_reason: str = ""
    retry_at: float | None = None  # epoch seconds of the next try (WAITING)
    attempts: int = 0  # failed tries in a row (for the backoff)
    error: str = ""  # FAILED: why, in words for the user
    note: str = ""  # something the user should know (e.g. "submitted again after the studio restarted")
    outputs: tuple[str, ...] = ()  # files written by auto-export
    has_result: bool = False  # a transcript is stored
    run: int = 0  # times the user started it again (retry, transcribe again): part of the reference

    @classmethod
    def new(cls, path: str, name: str, *, size: int, mtime_ns: int, settings: JobSettings, position: int,
            created_at: float, duration: float | None = None, state: JobState = JobState.QUEUED,
            error: str = "") -> Job:
        return cls(new_job_id(), path, name, size, mtime_ns, settings, position, state, duration, created_at,
                   error=error, finished_at=created_at if state in FINISHED else None)

    @property
    def reference(self) -> str:
        """What the job carries in ``tracking.reference`` so that it can be found again after a crash."""
        return f"transcription-studio:{self.id}:{self.run}"

    def to(self, state: JobState, **changes: Any) -> Job:
        """This job in ``state`` (IllegalTransition unless the state machine allows it)."""
        if state is not self.state and not can_move(self.state, state):
            raise IllegalTransition(self.id, self.state, state)
        if state is not JobState.WAITING:
            changes.setdefault("wait_reason", "")
            changes.setdefault("retry_at", None)
        return dataclasses.replace(self, state=state, **changes)

    def with_changes(self, **changes: Any) -> Job:
        """The same state, other data (progress, duration, position…)."""
        if "state" in changes:
            raise ValueError("use Job.to() to change a job's state")
        return dataclasses.replace(self, **changes)

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED

    def elapsed(self, now: float) -> float | None:
        """Seconds since the first upload began, up to now or the end."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.state in FINISHED and self.finished_at is not None else now
        return max(0.0, end - self.started_at)

    @property
    def upload_fraction(self) -> float:
        if self.state in (JobState.PROCESSING, JobState.DONE) or self.remote_id is not None:
            return 1.0
        return min(1.0, self.uploaded / self.size) if self.size > 0 else 0.0
