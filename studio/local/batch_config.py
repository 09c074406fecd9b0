"""What the local server's batch API accepts as a ``JobConfig`` (``speechmatics-protocol.md`` §2.4):
``validate_job_config(config)`` returns None or the ``(error, detail)`` of the 400 the service answers with —
``Job rejected`` with a detail saying what, ``No language selected``; a ``channel_diarization_labels`` entry must
match ``CHANNEL_LABEL`` (``^[A-Za-z0-9._]+$``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from studio.local.batch_render import SRT_DEFAULTS

MAX_CONFIG_BYTES = 1024 * 1024
DIARIZATION = ("none", "speaker", "channel")
MODELS = ("standard", "enhanced", "melia-1")
AUDIO_EVENT_TYPES = ("applause", "laughter", "music")

#: What a batch ``channel_diarization_labels`` entry may be (§2.4: each ``^[A-Za-z0-9._]+$``); realtime has no pattern.
CHANNEL_LABEL = re.compile(r"^[A-Za-z0-9._]+$")


def validate_job_config(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(error, detail)`` if the service would refuse this ``JobConfig``; unknown keys are ignored."""
    if config.get("type", "transcription") != "transcription":
        return "Job rejected", f"unsupported job type {config.get('type')!r}; use transcription"
    transcription = config.get("transcription_config")
    if transcription is None:
        return "No language selected", "transcription_config with a language is required"
    if not isinstance(transcription, dict):
        return "Job rejected", "transcription_config must be an object"
    language = transcription.get("language")
    if not language:
        return "No language selected", "transcription_config.language is required"
    if not isinstance(language, str):
        return "Job rejected", "transcription_config.language must be a string"
    for key in ("model", "operating_point"):
        if key in transcription and transcription[key] not in MODELS:
            return "Job rejected", f"transcription_config.{key} must be one of {', '.join(MODELS)}"
    if "diarization" in transcription and transcription["diarization"] not in DIARIZATION:
        return "Job rejected", f"transcription_config.diarization must be one of {', '.join(DIARIZATION)}"
    problem = _channel_labels_problem(transcription.get("channel_diarization_labels"))
    if problem is not None:
        return "Job rejected", problem
    vocab = transcription.get("additional_vocab")
    if vocab is not None and (not isinstance(vocab, list) or not all(
            isinstance(e, dict) and isinstance(e.get("content"), str) and e["content"] for e in vocab)):
        return "Job rejected", "transcription_config.additional_vocab must be a list of {content, sounds_like}"
    fetch = config.get("fetch_data")
    if fetch is not None:
        if not isinstance(fetch, dict) or not isinstance(fetch.get("url"), str):
            return "Job rejected", "fetch_data.url is required"
        if not re.match(r"(?i)^https?://[^/]", fetch["url"]):
            return "Job rejected", "fetch_data.url must be an http or https URL"
        headers = fetch.get("auth_headers")
        if headers is not None and (not isinstance(headers, list) or not all(isinstance(h, str) for h in headers)):
            return "Job rejected", "fetch_data.auth_headers must be a list of strings"
    notification = config.get("notification_config")
    if notification is not None:
        if not isinstance(notification, list) or len(notification) > 3:
            return "Job rejected", "notification_config must be a list of at most 3 entries"
        for entry in notification:
            problem = _notification_problem(entry)
            if problem is not None:
                return "Job rejected", problem
    translation = config.get("translation_config")
    if translation is not None:
        targets = translation.get("target_languages") if isinstance(translation, dict) else None
        if not isinstance(targets, list) or not 1 <= len(targets) <= 5:
            return "Job rejected", "translation_config.target_languages must list 1 to 5 languages"
    events = config.get("audio_events_config")
    if events is not None:
        types = events.get("types", []) if isinstance(events, dict) else None
        if not isinstance(types, list) or any(t not in AUDIO_EVENT_TYPES for t in types):
            return "Job rejected", f"audio_events_config.types must be among {', '.join(AUDIO_EVENT_TYPES)}"
    output = config.get("output_config")
    if output is not None:
        overrides = output.get("srt_overrides", {}) if isinstance(output, dict) else None
        if not isinstance(overrides, dict):
            return "Job rejected", "output_config.srt_overrides must be an object"
        for key in SRT_DEFAULTS:
            value = overrides.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                return "Job rejected", f"output_config.srt_overrides.{key} must be a positive integer"
    return None


def _channel_labels_problem(labels: Any) -> str | None:
    """Why the batch API would refuse these ``channel_diarization_labels`` (None: it would not)."""
    if labels is None:
        return None
    where = "transcription_config.channel_diarization_labels"
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return f"{where} must be a list of strings"
    for index, label in enumerate(labels):
        if CHANNEL_LABEL.fullmatch(label) is None:
            return f"{where}.{index} in body should match '{CHANNEL_LABEL.pattern}' (got {label!r})"
    return None

NOTIFICATION_CONTENTS = ("jobinfo", "transcript", "transcript.json-v2", "transcript.txt", "transcript.srt", "data",
                         "text", "alignment", "alignment.word_start_and_end", "alignment.one_per_line")


def _notification_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        return "each notification_config entry needs a url"
    if not re.match(r"(?i)^https?://[^/]", entry["url"]):
        return "notification_config url must be an http or https URL"
    contents = entry.get("contents")
    if contents is not None and (not isinstance(contents, list) or any(c not in NOTIFICATION_CONTENTS
                                                                        for c in contents)):
        return f"notification_config contents must be among {', '.join(NOTIFICATION_CONTENTS)}"
    if entry.get("method") is not None and str(entry["method"]).lower() not in ("post", "put"):
        return "notification_config method must be post or put"
    headers = entry.get("auth_headers")
    if headers is not None and (not isinstance(headers, list) or not all(isinstance(h, str) for h in headers)):
        return "notification_config auth_headers must be a list of strings"
    return None
