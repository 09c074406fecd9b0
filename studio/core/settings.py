"""The typed, versioned settings schema (pure data: reading and writing files is `studio.storage`).

A settings document is a JSON object with a ``version``. Older documents are brought up to date by the
migrations in ``MIGRATIONS`` (one step per version); values that do not fit the schema fall back to their
defaults and are reported, and keys this version does not know are kept so that a newer studio's settings
survive a round trip through an older one.

Each workspace keeps its own choices in a section of its own (``settings.live``, ``settings.batch``,
``settings.voices``): a frozen dataclass nested in ``Settings``, stored as a JSON object under its name.
Section fields may be ``str``, ``int``, ``float``, ``bool``, a ``StrEnum``, a ``tuple`` of strings or of
numbers, or another section; the same fallback rules apply inside a section, and its unknown keys are kept
too. Change one with ``settings.replace(live=settings.live.replace(overlay_lines=3))``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Self, TypeVar

SCHEMA_VERSION = 1

JsonDict = dict[str, Any]
Migration = Callable[[JsonDict], JsonDict]


class EngineChoice(StrEnum):
    AUTO = "auto"  # Speechmatics when an API key is set, the built-in engine otherwise
    LOCAL = "local"
    SPEECHMATICS = "speechmatics"


class Region(StrEnum):
    EU = "eu"
    US = "us"
    GLOBAL = "global"
    CUSTOM = "custom"


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class Section:
    """A group of settings stored as one JSON object (see the module's documentation)."""

    # Keys of a newer schema, kept verbatim so that saving does not drop them.
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, kw_only=True)

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class LiveSettings(Section):
    """The Live workspace: sources, the session's recognition settings, the caption overlay."""

    # Sources: "mic", "system" or "both" (one session, two channels "Me" and "Them"); ids of the sources.
    source_kind: str = "mic"
    microphone_id: str = ""
    system_id: str = ""
    # The session's recognition settings, as last used ("" language: the studio's default language).
    language: str = ""
    operating_point: str = "standard"
    max_delay: float = 2.0
    enable_partials: bool = True
    diarization: str = "none"  # none | speaker (channels come with "both" sources)
    max_speakers: int = 0  # 0: no limit
    speaker_sensitivity: float = 0.5
    vocab: tuple[str, ...] = ()  # "word|sounds like|sounds like"
    enable_entities: bool = False
    translation_targets: tuple[str, ...] = ()
    end_of_utterance_silence: float = 0.0  # seconds; 0: off
    # The caption overlay.
    overlay_font_size: int = 28
    overlay_lines: int = 2
    overlay_opacity: float = 0.75
    overlay_geometry: tuple[int, ...] = ()  # x, y, width, height; (): bottom of the primary screen
    overlay_click_through: bool = False
    overlay_reading_mode: bool = False  # finals only
    # The workspace's views.
    waveform_seconds: float = 10.0
    low_confidence: float = 0.0  # words under this confidence are marked; 0: off
    # Sessions kept on disk as they run (issue 12), and the live text file other apps (OBS) read.
    record_sessions: bool = True
    live_text_file: str = ""  # "": off
    live_text_mode: str = "transcript"  # "transcript": every final appended; "captions": the last lines
    live_text_lines: int = 2


@dataclass(frozen=True)
class BatchSettings(Section):
    """The Batch workspace: queue-wide job defaults, concurrency, auto-export."""

    # Defaults for new jobs (``studio.core.jobs.JobSettings``); "" language: the studio's default language.
    language: str = ""
    operating_point: str = "standard"
    diarization: str = "none"  # none | speaker | channel
    speaker_sensitivity: float = -1.0  # 0–1; negative: the service's default
    vocab: tuple[str, ...] = ()
    entities: bool = False
    translation: tuple[str, ...] = ()
    summary: bool = False
    sentiment: bool = False
    topics: bool = False
    chapters: bool = False
    # The queue.
    concurrency: int = 4  # uploads at a time
    watch_folder: str = ""  # "" or a folder whose new files join the queue
    auto_export: bool = False
    export_folder: str = ""  # "" : next to each media file
    export_template: str = "{name}"
    export_formats: tuple[str, ...] = ("srt", "txt")
    # Subtitle options for SRT/VTT exports (studio.core.exporters.SubtitleOptions).
    max_chars_per_line: int = 42
    max_lines: int = 2
    max_cue_seconds: float = 7.0
    max_cps: float = 17.0
    # The results viewer.
    follow_playback: bool = True
    playback_rate: float = 1.0


class CompareMode(StrEnum):
    SEQUENCE = "sequence"  # the voices one after the other
    TOGGLE = "toggle"  # switch voices at the same point of the text


@dataclass(frozen=True)
class VoicesSettings(Section):
    """The Voices workspace: the chosen voices, output device, the preview cache (recent texts and previews
    are kept with the history, ``studio.services.voices.history``)."""

    voice: str = "sarah"  # the voice Play and "Speak this line" use
    compare_voices: tuple[str, ...] = ("sarah", "theo")
    compare_mode: CompareMode = CompareMode.SEQUENCE
    language_filter: str = ""  # "" shows every language
    output_device: str = ""  # a PortAudio device name; "" is the system's default output
    cache_limit_mb: int = 200


@dataclass(frozen=True)
class Settings:
    engine: EngineChoice = EngineChoice.AUTO
    region: Region = Region.EU
    custom_realtime_url: str = ""
    custom_batch_url: str = ""
    custom_tts_url: str = ""
    language: str = "en"
    theme: Theme = Theme.SYSTEM
    # Realtime sessions authenticate with a short-lived key made from the API key (as browsers must).
    use_temporary_keys: bool = False
    # The built-in engine's Whisper model: "" is the packaged offline model (tiny.en); otherwise a model name
    # faster-whisper downloads (e.g. "small") or a folder holding a CTranslate2 Whisper model.
    whisper_model: str = ""
    live: LiveSettings = field(default_factory=LiveSettings)
    batch: BatchSettings = field(default_factory=BatchSettings)
    voices: VoicesSettings = field(default_factory=VoicesSettings)
    # Keys of a newer schema, kept verbatim so that saving does not drop them.
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _v0_to_v1(data: JsonDict) -> JsonDict:
    # Pre-release documents had no version and called the region "eu1"/"us1" after the batch hosts.
    region = data.get("region")
    if region in ("eu1", "us1"):
        data["region"] = region[:2]
    return data


MIGRATIONS: dict[int, Migration] = {0: _v0_to_v1}


class LoadResult(NamedTuple):  # not a dataclass: made at start-up, where a dataclass's creation costs a ms
    settings: Settings
    problems: tuple[str, ...] = ()
    # The document's own version, when it is newer than this studio understands.
    newer_version: int | None = None


def migrate(data: JsonDict, migrations: Mapping[int, Migration] = MIGRATIONS,
            target: int = SCHEMA_VERSION) -> JsonDict:
    """Apply the migrations from the document's version up to ``target``."""
    data = dict(data)
    version = data.get("version", 0)
    if not isinstance(version, int) or version < 0:
        raise ValueError(f"settings version {version!r} is not a whole number")
    while version < target:
        step = migrations.get(version)
        if step is None:
            raise ValueError(f"no migration from settings version {version}")
        data = step(data)
        version += 1
        data["version"] = version
    return data


def _enum_field(name: str, enum: type[StrEnum], raw: Any, problems: list[str]) -> Any:
    try:
        return enum(raw)
    except ValueError:
        problems.append(f"'{name}' had an unknown value {raw!r}; the default was used")
        return None


def _value(name: str, default: Any, raw: Any, problems: list[str]) -> Any:
    """``raw`` read as the type of ``default``, or None (reported) when it does not fit."""
    if isinstance(default, StrEnum):
        return _enum_field(name, type(default), raw, problems)
    if isinstance(default, Section):
        if not isinstance(raw, Mapping):
            problems.append(f"'{name}' should be an object; the defaults were used")
            return None
        return _section(type(default), raw, problems, f"{name}.")
    if isinstance(default, tuple):
        item_types: tuple[type, ...] = (str,) if all(isinstance(v, str) for v in default) and default else (
            str, int, float)
        if isinstance(raw, list) and all(isinstance(v, item_types) and not isinstance(v, bool) for v in raw):
            return tuple(raw)
        problems.append(f"'{name}' should be a list; the default was used")
        return None
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
    elif isinstance(default, float):
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
    elif isinstance(default, int):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
    elif isinstance(raw, type(default)):
        return raw
    problems.append(f"'{name}' should be a {type(default).__name__}; the default was used")
    return None


_S = TypeVar("_S", bound="Section | Settings")


def _section(cls: type[_S], doc: Mapping[str, Any], problems: list[str], prefix: str = "") -> _S:
    known = {f.name for f in dataclasses.fields(cls) if f.name != "extra"}
    defaults = cls()
    values: dict[str, Any] = {}
    for name in known:
        if name in doc:
            value = _value(prefix + name, getattr(defaults, name), doc[name], problems)
            if value is not None:
                values[name] = value
    extra = {k: v for k, v in doc.items() if k not in known and k != "version"}
    return cls(**values, extra=extra)


def from_dict(data: Mapping[str, Any]) -> LoadResult:
    """Build settings from a JSON document of any known version."""
    version = data.get("version", 0)
    newer = version if isinstance(version, int) and version > SCHEMA_VERSION else None
    doc = dict(data) if newer is not None else migrate(dict(data))
    problems: list[str] = []
    settings = _section(Settings, doc, problems)
    return LoadResult(settings, tuple(problems), newer)


def _to_json(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Section):
        return _fields(value)
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


def _fields(obj: Any) -> JsonDict:
    doc: JsonDict = dict(obj.extra)
    for f in dataclasses.fields(obj):
        if f.name != "extra":
            doc[f.name] = _to_json(getattr(obj, f.name))
    return doc


def to_dict(settings: Settings) -> JsonDict:
    doc = _fields(settings)
    doc["version"] = SCHEMA_VERSION
    return doc
