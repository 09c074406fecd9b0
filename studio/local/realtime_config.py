"""Validation of a realtime session's configuration (``speechmatics-protocol.md`` §1.6): ``audio_format``,
``transcription_config`` (whole, or the mid-session subset of ``SetRecognitionConfig``), ``translation_config`` and
``audio_events_config``. Each check returns the ``Warning``s to send before ``RecognitionStarted`` or raises
``Rejected`` (an ``Error`` of its type: ``invalid_config``, ``invalid_audio_type``, ``invalid_message``…).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from studio.local.engines import Payload

BYTES_PER_SAMPLE: Mapping[str, int] = {"pcm_s16le": 2, "pcm_f32le": 4, "mulaw": 1}
MODELS = ("standard", "enhanced", "melia-1")
DIARIZATION = ("none", "speaker", "channel", "channel_and_speaker")
AUDIO_EVENT_TYPES = ("applause", "laughter", "music")
MID_SESSION_FIELDS = frozenset({"language", "max_delay", "max_delay_mode", "audio_filtering_config",
                                "enable_partials", "conversation_config"})

TRANSCRIPTION_FIELDS = frozenset({
    "language", "model", "operating_point", "domain", "output_locale", "additional_vocab", "diarization",
    "speaker_diarization_config", "max_delay", "max_delay_mode", "enable_partials", "enable_entities",
    "punctuation_overrides", "audio_filtering_config", "transcript_filtering_config", "conversation_config",
    "channel_diarization_labels", "streaming_mode", "ctrl",  # the last two: SDK-internal, tolerated
    "language_hints", "language_hints_strict",  # speechmatics-rt's TranscriptionConfig sends them
})

MAX_VOCAB_WORDS = 6
MAX_VOCAB_WORD_CHARS = 4000
_GENERATED_SPEAKER = re.compile(r"^(S\d+|UU)$")


class Rejected(Exception):  # noqa: N818 - a refusal sent to the client as an Error message
    """A client message the server refuses: becomes ``Error {type, reason}`` and the matching close."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.type = error_type
        self.reason = reason


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def config_error(reason: str) -> Rejected:
    return Rejected("invalid_config", reason)


def _object(value: Any, where: str, error_type: str = "invalid_config") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Rejected(error_type, f"{where} must be an object")
    return value


def _in_range(config: Mapping[str, Any], key: str, low: float, high: float, where: str = "") -> None:
    if key in config and config[key] is not None:
        value = config[key]
        if not is_number(value) or not low <= value <= high:
            raise config_error(f"{where}{key} must be a number from {low:g} to {high:g}, not {value!r}")


def _boolean(config: Mapping[str, Any], key: str, where: str = "") -> None:
    if key in config and config[key] is not None and not isinstance(config[key], bool):
        raise config_error(f"{where}{key} must be true or false")


def _one_of(config: Mapping[str, Any], key: str, allowed: Sequence[str], where: str = "") -> None:
    if key in config and config[key] is not None and config[key] not in allowed:
        raise config_error(f"{where}{key} must be one of {', '.join(allowed)}, not {config[key]!r}")


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise config_error(f"{where} must be a list of strings")
    return value


def validate_audio_format(value: Any) -> dict[str, Any]:
    """The ``audio_format`` as given, or ``Rejected(invalid_audio_type)``."""
    if value is None:
        raise Rejected("invalid_audio_type", "audio_format is required")
    audio = _object(value, "audio_format", "invalid_audio_type")
    kind = audio.get("type")
    if kind == "file":
        return dict(audio)
    if kind != "raw":
        raise Rejected("invalid_audio_type", f"audio_format type must be raw or file, not {kind!r}")
    encoding = audio.get("encoding")
    if encoding not in BYTES_PER_SAMPLE:
        raise Rejected("invalid_audio_type",
                       f"raw audio encoding must be one of {', '.join(BYTES_PER_SAMPLE)}, not {encoding!r}")
    rate = audio.get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 < rate <= 768000:
        raise Rejected("invalid_audio_type", f"raw audio needs a whole, positive sample_rate, not {rate!r}")
    return dict(audio)


def _validate_vocab(value: Any) -> list[Payload]:
    """Warnings for entries the service drops (more than six words, or a word over 4000 characters)."""
    if not isinstance(value, list):
        raise config_error("additional_vocab must be a list")
    if len(value) > 1000:
        raise config_error(f"additional_vocab has {len(value)} entries; at most 1000 are allowed")
    dropped: list[str] = []
    for entry in value:
        if isinstance(entry, Mapping):
            content = entry.get("content")
            sounds_like = entry.get("sounds_like", [])
            if not isinstance(content, str) or not content.strip():
                raise config_error("each additional_vocab object needs a non-empty content")
            _strings(sounds_like, "additional_vocab sounds_like")
        elif isinstance(entry, str):
            content = entry
        else:
            raise config_error("additional_vocab entries must be strings or {content, sounds_like} objects")
        words = content.split()
        if len(words) > MAX_VOCAB_WORDS or any(len(w) > MAX_VOCAB_WORD_CHARS for w in words):
            dropped.append(content[:40])
    if not dropped:
        return []
    return [{"message": "Warning", "type": "validation_warning",
             "reason": f"{len(dropped)} additional_vocab entries were dropped (more than {MAX_VOCAB_WORDS} words "
                       f"or a word longer than {MAX_VOCAB_WORD_CHARS} characters): "
                       + ", ".join(repr(d) for d in dropped[:5])}]


def _validate_speaker_diarization(value: Any) -> None:
    config = _object(value, "speaker_diarization_config")
    where = "speaker_diarization_config."
    if config.get("max_speakers") is not None:
        speakers = config["max_speakers"]
        if isinstance(speakers, bool) or not isinstance(speakers, int) or speakers < 2:
            raise config_error(f"{where}max_speakers must be a whole number of at least 2")
    _in_range(config, "speaker_sensitivity", 0.0, 1.0, where)
    _boolean(config, "prefer_current_speaker", where)
    _boolean(config, "get_speakers", where)
    if config.get("speakers") is not None:
        if not isinstance(config["speakers"], list):
            raise config_error(f"{where}speakers must be a list")
        total = 0
        for speaker in config["speakers"]:
            speaker = _object(speaker, f"{where}speakers[]")
            label = speaker.get("label")
            if not isinstance(label, str) or not label or label != label.strip() or _GENERATED_SPEAKER.match(label):
                raise config_error(f"speaker label {label!r} is not allowed (empty, padded, or like S1/UU)")
            identifiers = _strings(speaker.get("speaker_identifiers"), f"{where}speakers[].speaker_identifiers")
            if not identifiers:
                raise config_error(f"speaker {label!r} needs at least one speaker identifier")
            total += len(identifiers)
        if total > 50:
            raise config_error(f"{total} speaker identifiers were given; at most 50 are allowed")


def validate_transcription_config(value: Any, *, mid_session: bool = False, max_channels: int = 2) -> list[Payload]:
    """Checks a ``transcription_config`` (§1.6); returns the warnings to send, or raises ``Rejected``."""
    config = _object(value, "transcription_config")
    allowed = MID_SESSION_FIELDS if mid_session else TRANSCRIPTION_FIELDS
    for key in config:
        if key not in allowed:
            if mid_session and key in TRANSCRIPTION_FIELDS:
                raise config_error(f"{key} cannot be changed during a session")
            raise config_error(f"unknown transcription_config field {key!r}")
    language = config.get("language")
    if (not mid_session or "language" in config) and (not isinstance(language, str) or not language.strip()):
        raise config_error("transcription_config.language is required")
    if "model" in config and "operating_point" in config:
        raise config_error("set model or operating_point, not both")
    _one_of(config, "model", MODELS)
    _one_of(config, "operating_point", MODELS)
    for key in ("domain", "output_locale"):
        if config.get(key) is not None and not isinstance(config[key], str):
            raise config_error(f"{key} must be a string")
    _one_of(config, "diarization", DIARIZATION)
    _in_range(config, "max_delay", 0.7, 4.0)
    _one_of(config, "max_delay_mode", ("flexible", "fixed"))
    _boolean(config, "enable_partials")
    _boolean(config, "enable_entities")
    _boolean(config, "streaming_mode")
    _boolean(config, "language_hints_strict")
    if config.get("language_hints") is not None:
        _strings(config["language_hints"], "language_hints")
    warnings: list[Payload] = []
    if config.get("additional_vocab") is not None:
        warnings.extend(_validate_vocab(config["additional_vocab"]))
    if config.get("speaker_diarization_config") is not None:
        _validate_speaker_diarization(config["speaker_diarization_config"])
    if config.get("punctuation_overrides") is not None:
        punctuation = _object(config["punctuation_overrides"], "punctuation_overrides")
        if punctuation.get("permitted_marks") is not None:
            for mark in _strings(punctuation["permitted_marks"], "punctuation_overrides.permitted_marks"):
                if not (len(mark) == 1 or mark == "all"):
                    raise config_error(f"punctuation mark {mark!r} must be one character or 'all'")
        _in_range(punctuation, "sensitivity", 0.0, 1.0, "punctuation_overrides.")
    if config.get("audio_filtering_config") is not None:
        _in_range(_object(config["audio_filtering_config"], "audio_filtering_config"), "volume_threshold",
                  0.0, 100.0, "audio_filtering_config.")
    if config.get("transcript_filtering_config") is not None:
        filtering = _object(config["transcript_filtering_config"], "transcript_filtering_config")
        _boolean(filtering, "remove_disfluencies", "transcript_filtering_config.")
        if filtering.get("replacements") is not None:
            if not isinstance(filtering["replacements"], list):
                raise config_error("transcript_filtering_config.replacements must be a list")
            for item in filtering["replacements"]:
                item = _object(item, "a replacement")
                if not isinstance(item.get("from"), str) or not isinstance(item.get("to"), str):
                    raise config_error("each replacement needs string 'from' and 'to'")
    if config.get("conversation_config") is not None:
        _in_range(_object(config["conversation_config"], "conversation_config"),
                  "end_of_utterance_silence_trigger", 0.0, 2.0, "conversation_config.")
    if config.get("ctrl") is not None:
        _object(config["ctrl"], "ctrl")
    labels = config.get("channel_diarization_labels")
    if labels is not None:
        labels = _strings(labels, "channel_diarization_labels")
        if not labels or any(not label.strip() for label in labels) or len(set(labels)) != len(labels):
            raise config_error("channel_diarization_labels must be unique, non-empty labels")
    if str(config.get("diarization")) in ("channel", "channel_and_speaker"):
        if not labels:
            raise config_error(f"diarization {config['diarization']!r} needs channel_diarization_labels")
        if len(labels) > max_channels:
            raise config_error(f"{len(labels)} channels were requested; at most {max_channels} are allowed")
    elif labels is not None:
        raise config_error("channel_diarization_labels need diarization 'channel' or 'channel_and_speaker'")
    return warnings


def validate_translation_config(value: Any) -> list[Payload]:
    config = _object(value, "translation_config")
    targets = _strings(config.get("target_languages"), "translation_config.target_languages")
    if len(targets) > 5:
        raise config_error(f"{len(targets)} translation target languages were given; at most 5 are allowed")
    _boolean(config, "enable_partials", "translation_config.")
    if not targets:
        return [{"message": "Warning", "type": "empty_translation_target_list",
                 "reason": "translation_config has no target languages; no translations will be produced"}]
    return []


def validate_audio_events_config(value: Any) -> None:
    config = _object(value, "audio_events_config")
    if config.get("types") is not None:
        for kind in _strings(config["types"], "audio_events_config.types"):
            if kind not in AUDIO_EVENT_TYPES:
                raise config_error(f"unknown audio event type {kind!r} (use {', '.join(AUDIO_EVENT_TYPES)})")
