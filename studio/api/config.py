"""Typed session and job configuration, serialised exactly as the APIs expect (unset fields are omitted).

``validate()`` catches what the service would reject, before anything is sent, with a message for the user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from studio.api.errors import ConfigurationError

Encoding = Literal["pcm_s16le", "pcm_f32le", "mulaw"]
BYTES_PER_SAMPLE: Mapping[str, int] = {"pcm_s16le": 2, "pcm_f32le": 4, "mulaw": 1}
DIARIZATION = ("none", "speaker", "channel", "channel_and_speaker")
MODELS = ("standard", "enhanced", "melia-1")


def _drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class AudioFormat:
    """Raw PCM (``encoding`` set) or a complete encoded file (``encoding`` None: ``{"type": "file"}``)."""

    encoding: Encoding | None = "pcm_s16le"
    sample_rate: int = 16000

    @property
    def bytes_per_second(self) -> int:
        if self.encoding is None:
            raise ConfigurationError("A file stream has no fixed byte rate")
        return BYTES_PER_SAMPLE[self.encoding] * self.sample_rate

    def to_dict(self) -> dict[str, Any]:
        if self.encoding is None:
            return {"type": "file"}
        return {"type": "raw", "encoding": self.encoding, "sample_rate": self.sample_rate}

    def validate(self) -> None:
        if self.encoding is not None:
            if self.encoding not in BYTES_PER_SAMPLE:
                raise ConfigurationError(f"Unknown audio encoding {self.encoding!r}")
            if not 4000 <= self.sample_rate <= 192000:
                raise ConfigurationError(f"A sample rate of {self.sample_rate} Hz is not supported")


@dataclass(frozen=True)
class VocabEntry:
    content: str
    sounds_like: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"content": self.content}
        if self.sounds_like:
            entry["sounds_like"] = list(self.sounds_like)
        return entry


@dataclass(frozen=True)
class SpeakerDiarizationConfig:
    max_speakers: int | None = None  # realtime only
    speaker_sensitivity: float | None = None
    prefer_current_speaker: bool | None = None
    get_speakers: bool | None = None
    speakers: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (label, identifiers)

    def to_dict(self) -> dict[str, Any]:
        data = _drop_none({"max_speakers": self.max_speakers, "speaker_sensitivity": self.speaker_sensitivity,
                           "prefer_current_speaker": self.prefer_current_speaker,
                           "get_speakers": self.get_speakers})
        if self.speakers:
            data["speakers"] = [{"label": label, "speaker_identifiers": list(ids)} for label, ids in self.speakers]
        return data


@dataclass(frozen=True)
class TranscriptionConfig:
    """Every ``transcription_config`` field of the realtime API (§1.6), most also valid for batch."""

    language: str = "en"
    model: str | None = None
    operating_point: str | None = None  # deprecated alias of model
    domain: str | None = None
    output_locale: str | None = None
    additional_vocab: tuple[str | VocabEntry, ...] = ()
    diarization: str | None = None
    speaker_diarization: SpeakerDiarizationConfig | None = None
    max_delay: float | None = None
    max_delay_mode: Literal["flexible", "fixed"] | None = None
    enable_partials: bool | None = None
    enable_entities: bool | None = None
    punctuation_permitted_marks: tuple[str, ...] | None = None
    punctuation_sensitivity: float | None = None
    volume_threshold: float | None = None
    remove_disfluencies: bool | None = None
    replacements: tuple[tuple[str, str], ...] = ()
    end_of_utterance_silence_trigger: float | None = None
    channel_diarization_labels: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # fields newer than this studio, sent as given

    def to_dict(self, *, batch: bool = False) -> dict[str, Any]:
        data = _drop_none({
            "language": self.language, "model": self.model, "operating_point": self.operating_point,
            "domain": self.domain, "output_locale": self.output_locale, "diarization": self.diarization,
            "enable_entities": self.enable_entities, "max_delay_mode": self.max_delay_mode,
        })
        if not batch:
            data.update(_drop_none({"max_delay": self.max_delay, "enable_partials": self.enable_partials}))
        if self.additional_vocab:
            # Batch accepts objects only; realtime accepts plain strings too.
            data["additional_vocab"] = [
                e.to_dict() if isinstance(e, VocabEntry) else ({"content": e} if batch else e)
                for e in self.additional_vocab]
        if self.speaker_diarization is not None:
            config = self.speaker_diarization.to_dict()
            if batch:
                config.pop("max_speakers", None)
            if config:
                data["speaker_diarization_config"] = config
        punctuation = _drop_none({"permitted_marks": list(self.punctuation_permitted_marks)
                                  if self.punctuation_permitted_marks is not None else None,
                                  "sensitivity": self.punctuation_sensitivity})
        if punctuation:
            data["punctuation_overrides"] = punctuation
        if self.volume_threshold is not None:
            data["audio_filtering_config"] = {"volume_threshold": self.volume_threshold}
        filtering = _drop_none({"remove_disfluencies": self.remove_disfluencies})
        if self.replacements:
            filtering["replacements"] = [{"from": a, "to": b} for a, b in self.replacements]
        if filtering:
            data["transcript_filtering_config"] = filtering
        if self.end_of_utterance_silence_trigger is not None and not batch:
            data["conversation_config"] = {"end_of_utterance_silence_trigger": self.end_of_utterance_silence_trigger}
        if self.channel_diarization_labels:
            data["channel_diarization_labels"] = list(self.channel_diarization_labels)
        data.update(self.extra)
        return data

    def mid_session(self) -> dict[str, Any]:
        """The fields ``SetRecognitionConfig`` may change (language must stay the same)."""
        full = self.to_dict()
        allowed = ("language", "max_delay", "max_delay_mode", "audio_filtering_config", "enable_partials",
                   "conversation_config")
        return {k: v for k, v in full.items() if k in allowed}

    def validate(self, *, batch: bool = False) -> None:
        if not self.language:
            raise ConfigurationError("Choose a language")
        if self.language == "auto" and not batch:
            raise ConfigurationError("Automatic language detection is available for batch jobs only")
        if self.model is not None and self.operating_point is not None:
            raise ConfigurationError("Set the model or the operating point, not both")
        for value in (self.model, self.operating_point):
            if value is not None and value not in MODELS:
                raise ConfigurationError(f"Unknown model {value!r} (use {', '.join(MODELS)})")
        if self.diarization is not None:
            allowed = DIARIZATION[:3] if batch else DIARIZATION
            if self.diarization not in allowed:
                raise ConfigurationError(f"Unknown diarization {self.diarization!r} (use {', '.join(allowed)})")
            if self.diarization.startswith("channel") and not self.channel_diarization_labels:
                raise ConfigurationError("Channel diarization needs a label for each channel")
        if self.max_delay is not None and not 0.7 <= self.max_delay <= 4.0:
            raise ConfigurationError("The maximum delay must be between 0.7 and 4 seconds")
        trigger = self.end_of_utterance_silence_trigger
        if trigger is not None and not 0.0 <= trigger <= 2.0:
            raise ConfigurationError("The end-of-utterance silence must be between 0 and 2 seconds")
        if len(self.additional_vocab) > 1000:
            raise ConfigurationError("At most 1000 custom vocabulary entries are allowed")
        sensitivities: dict[str, float | None] = {
            "punctuation sensitivity": self.punctuation_sensitivity,
            "speaker sensitivity": self.speaker_diarization.speaker_sensitivity if self.speaker_diarization else None,
        }
        for name, level in sensitivities.items():
            if level is not None and not 0.0 <= level <= 1.0:
                raise ConfigurationError(f"The {name} must be between 0 and 1")
        if self.volume_threshold is not None and not 0 <= self.volume_threshold <= 100:
            raise ConfigurationError("The volume threshold must be between 0 and 100")


@dataclass(frozen=True)
class TranslationConfig:
    target_languages: tuple[str, ...]
    enable_partials: bool | None = None

    def to_dict(self, *, batch: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"target_languages": list(self.target_languages)}
        if self.enable_partials is not None and not batch:
            data["enable_partials"] = self.enable_partials
        return data

    def validate(self) -> None:
        if len(self.target_languages) > 5:
            raise ConfigurationError("At most 5 translation languages are allowed")


@dataclass(frozen=True)
class AudioEventsConfig:
    types: tuple[str, ...] | None = None  # None: all types

    def to_dict(self) -> dict[str, Any]:
        return {} if self.types is None else {"types": list(self.types)}


@dataclass(frozen=True)
class JobConfig:
    """A batch ``JobConfig`` (§2.4). Feature configs without fields of their own are plain dicts."""

    transcription: TranscriptionConfig = field(default_factory=TranscriptionConfig)
    fetch_url: str | None = None
    fetch_auth_headers: tuple[str, ...] = ()
    translation: TranslationConfig | None = None
    audio_events: AudioEventsConfig | None = None
    summarization: Mapping[str, Any] | None = None
    sentiment_analysis: bool = False
    topic_detection: Sequence[str] | None = None  # topics; an empty list asks for the default topics
    auto_chapters: bool = False
    language_identification: Mapping[str, Any] | None = None
    notification: Sequence[Mapping[str, Any]] = ()
    tracking: Mapping[str, Any] | None = None
    srt_overrides: Mapping[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "transcription",
                                "transcription_config": self.transcription.to_dict(batch=True)}
        if self.fetch_url is not None:
            fetch: dict[str, Any] = {"url": self.fetch_url}
            if self.fetch_auth_headers:
                fetch["auth_headers"] = list(self.fetch_auth_headers)
            data["fetch_data"] = fetch
        if self.translation is not None:
            data["translation_config"] = self.translation.to_dict(batch=True)
        if self.audio_events is not None:
            data["audio_events_config"] = self.audio_events.to_dict()
        if self.summarization is not None:
            data["summarization_config"] = dict(self.summarization)
        if self.sentiment_analysis:
            data["sentiment_analysis_config"] = {}
        if self.topic_detection is not None:
            data["topic_detection_config"] = {"topics": list(self.topic_detection)} if self.topic_detection else {}
        if self.auto_chapters:
            data["auto_chapters_config"] = {}
        if self.language_identification is not None:
            data["language_identification_config"] = dict(self.language_identification)
        if self.notification:
            data["notification_config"] = [dict(n) for n in self.notification]
        if self.tracking is not None:
            data["tracking"] = dict(self.tracking)
        if self.srt_overrides is not None:
            data["output_config"] = {"srt_overrides": dict(self.srt_overrides)}
        return data

    def validate(self) -> None:
        self.transcription.validate(batch=True)
        if self.translation is not None:
            self.translation.validate()
        if len(self.notification) > 3:
            raise ConfigurationError("At most 3 notification URLs are allowed")
