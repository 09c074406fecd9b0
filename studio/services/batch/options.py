"""A job's settings as the service's ``JobConfig``, and what the active engine cannot do of them.

    config = job_config(job, channels=2)     # studio.api.config.JobConfig, with the job's tracking reference
    problems = settings_problems(caps, settings)   # sentences, empty when the engine can do it all
"""

from __future__ import annotations

from studio.api.config import JobConfig, SpeakerDiarizationConfig, TranscriptionConfig, TranslationConfig, VocabEntry
from studio.core.jobs import Job, JobSettings
from studio.services.capabilities import Capabilities


def channel_labels(count: int) -> tuple[str, ...]:
    """Labels for channel diarization, in the pattern the batch API allows (``^[A-Za-z0-9._]+$``)."""
    return tuple(f"Channel_{index}" for index in range(1, max(1, count) + 1))


def job_config(job: Job, channels: int = 1) -> JobConfig:
    """The ``JobConfig`` of ``job``; ``tracking.reference`` lets the studio find the job again after a crash."""
    settings = job.settings
    diarization = None if settings.diarization == "none" else settings.diarization
    speaker = None
    if settings.diarization == "speaker" and settings.speaker_sensitivity is not None:
        speaker = SpeakerDiarizationConfig(speaker_sensitivity=settings.speaker_sensitivity)
    transcription = TranscriptionConfig(
        language=settings.language, operating_point=settings.operating_point, diarization=diarization,
        speaker_diarization=speaker, additional_vocab=tuple(VocabEntry(word) for word in settings.vocab),
        enable_entities=True if settings.entities else None,
        channel_diarization_labels=channel_labels(channels) if settings.diarization == "channel" else ())
    return JobConfig(
        transcription=transcription,
        translation=TranslationConfig(settings.translation) if settings.translation else None,
        summarization={} if settings.summary else None,
        sentiment_analysis=settings.sentiment,
        topic_detection=[] if settings.topics else None,
        auto_chapters=settings.chapters,
        language_identification={} if settings.language == "auto" else None,
        tracking={"reference": job.reference, "title": job.name})


def settings_problems(caps: Capabilities, settings: JobSettings) -> list[str]:
    """What ``caps``' engine cannot do of ``settings``, in sentences (said before anything is submitted)."""
    return caps.problems(language=settings.language, diarization=settings.diarization,
                         translation=settings.translation, intelligence=settings.intelligence,
                         operating_point=settings.operating_point)
