"""A job's settings as the service's ``JobConfig``, and what the active engine cannot do of them.

    config = job_config(job, channels=2)     # studio.api.config.JobConfig, with the job's tracking reference
    problems = settings_problems(caps, settings)   # sentences, empty when the engine can do it all
    defaults = defaults_from(settings)       # the BatchSettings section's defaults for new jobs
    settings = with_defaults(settings, job_settings)   # and back, to save them
    request = auto_export_from(settings)     # ExportRequest or None (ValueError for a bad template)
"""

from __future__ import annotations

from pathlib import Path

from studio.api.config import JobConfig, SpeakerDiarizationConfig, TranscriptionConfig, TranslationConfig, VocabEntry
from studio.core.exporters import SubtitleOptions
from studio.core.jobs import Job, JobSettings
from studio.core.settings import BatchSettings, Settings
from studio.services.batch.export import ExportOptions, ExportRequest, NameTemplate
from studio.services.capabilities import Capabilities
from studio.services.channels import channel_labels


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
        channel_diarization_labels=channel_labels(channels, "batch") if settings.diarization == "channel" else ())
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


def defaults_from(settings: Settings) -> JobSettings:
    """The settings new jobs get: the Batch section's defaults ("" language: the studio's default language)."""
    batch = settings.batch
    return JobSettings.from_json({
        "language": batch.language or settings.language, "operating_point": batch.operating_point,
        "diarization": batch.diarization,
        "speaker_sensitivity": batch.speaker_sensitivity if batch.speaker_sensitivity >= 0 else None,
        "vocab": list(batch.vocab), "entities": batch.entities, "translation": list(batch.translation),
        "summary": batch.summary, "sentiment": batch.sentiment, "topics": batch.topics, "chapters": batch.chapters})


def with_defaults(settings: Settings, job: JobSettings) -> Settings:
    batch = settings.batch.replace(
        language=job.language, operating_point=job.operating_point, diarization=job.diarization,
        speaker_sensitivity=job.speaker_sensitivity if job.speaker_sensitivity is not None else -1.0,
        vocab=job.vocab, entities=job.entities, translation=job.translation, summary=job.summary,
        sentiment=job.sentiment, topics=job.topics, chapters=job.chapters)
    return settings.replace(batch=batch)


def subtitle_options(batch: BatchSettings) -> SubtitleOptions:
    """The subtitle choices of the Batch section (values out of range fall back to the defaults)."""
    try:
        return SubtitleOptions(max_chars_per_line=batch.max_chars_per_line, max_lines=batch.max_lines,
                               max_duration=batch.max_cue_seconds, max_cps=batch.max_cps,
                               min_duration=min(1.0, batch.max_cue_seconds))
    except ValueError:
        return SubtitleOptions()


def auto_export_from(settings: Settings) -> ExportRequest | None:
    """What auto-export writes, or None when it is off (``ValueError`` with a sentence for a bad template)."""
    batch = settings.batch
    if not batch.auto_export:
        return None
    formats = tuple(f for f in batch.export_formats if f) or ("srt",)
    return ExportRequest(formats, Path(batch.export_folder).expanduser() if batch.export_folder else None,
                         NameTemplate(batch.export_template), ExportOptions(subtitles=subtitle_options(batch)))
