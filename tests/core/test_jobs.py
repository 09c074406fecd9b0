"""The job state machine: every legal transition allowed, every other refused, and the data a job carries."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import pytest

from studio.core.jobs import (
    ACTIVE,
    FINISHED,
    TRANSITIONS,
    IllegalTransition,
    Job,
    JobSettings,
    JobState,
    can_move,
)


def job(state: JobState = JobState.QUEUED, **changes: Any) -> Job:
    base = Job.new("/media/talk.wav", "talk.wav", size=1000, mtime_ns=5, settings=JobSettings(), position=0,
                   created_at=100.0)
    return dataclasses.replace(base, state=state, **changes)  # any state, as a store may hold it


@pytest.mark.parametrize(("current", "target"), list(itertools.product(JobState, JobState)))
def test_transitions_follow_the_table(current: JobState, target: JobState) -> None:
    start = job(current)
    if current is target or target in TRANSITIONS[current]:
        assert start.to(target).state is target
    else:
        with pytest.raises(IllegalTransition, match=f"from {current.value} to {target.value}"):
            start.to(target)


def test_the_machine_has_the_documented_shape() -> None:
    assert can_move(JobState.QUEUED, JobState.UPLOADING)
    assert not can_move(JobState.QUEUED, JobState.DONE)  # nothing is done without being sent
    assert not can_move(JobState.UPLOADING, JobState.DONE)  # nor without the service having it
    assert all(TRANSITIONS[state] == {JobState.QUEUED} for state in FINISHED)  # only the user restarts them
    for state in ACTIVE:  # any active job may be cancelled, fail, or be queued again after a crash
        assert {JobState.CANCELLED, JobState.FAILED, JobState.QUEUED} <= TRANSITIONS[state]


def test_leaving_waiting_clears_the_reason_and_the_time() -> None:
    waiting = job(JobState.UPLOADING).to(JobState.WAITING, wait_reason="rate limited", retry_at=130.0)
    assert (waiting.wait_reason, waiting.retry_at) == ("rate limited", 130.0)
    again = waiting.to(JobState.UPLOADING)
    assert (again.wait_reason, again.retry_at) == ("", None)


def test_with_changes_keeps_the_state() -> None:
    uploading = job(JobState.UPLOADING)
    assert uploading.with_changes(uploaded=500).upload_fraction == 0.5
    with pytest.raises(ValueError, match=r"Job\.to"):
        uploading.with_changes(state=JobState.DONE)


def test_reference_names_the_job_and_its_run() -> None:
    first = job()
    assert first.reference == f"transcription-studio:{first.id}:0"
    assert first.with_changes(run=1).reference != first.reference
    assert job().id != first.id


def test_elapsed_runs_until_the_job_ends() -> None:
    assert job().elapsed(200.0) is None
    running = job(JobState.PROCESSING, started_at=110.0)
    assert running.elapsed(150.0) == 40.0
    assert running.to(JobState.DONE, finished_at=170.0).elapsed(500.0) == 60.0


def test_settings_round_trip_and_tolerate_bad_values() -> None:
    settings = JobSettings(language="auto", operating_point="enhanced", diarization="speaker",
                           speaker_sensitivity=0.7, vocab=("Speechmatics", "Rickmansworth"), entities=True,
                           translation=("de", "fr"), summary=True, sentiment=True, topics=True, chapters=True)
    assert JobSettings.from_json(settings.to_json()) == settings
    assert settings.intelligence == ("summary", "sentiment", "topics", "chapters")
    assert "speaker diarization" in settings.describe() and "→ de, fr" in settings.describe()
    odd = JobSettings.from_json({"language": 3, "operating_point": "turbo", "diarization": "both",
                                 "speaker_sensitivity": 4, "vocab": ["ok", 5, " "], "summary": "yes",
                                 "translation": ["a", "b", "c", "d", "e", "f"], "unknown": 1})
    assert odd == JobSettings(vocab=("ok",), translation=("a", "b", "c", "d", "e"))
    assert JobSettings.from_json(None) == JobSettings()
