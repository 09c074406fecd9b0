"""The typed, versioned settings schema (pure data: reading and writing files is `studio.storage`).

A settings document is a JSON object with a ``version``. Older documents are brought up to date by the
migrations in ``MIGRATIONS`` (one step per version); values that do not fit the schema fall back to their
defaults and are reported, and keys this version does not know are kept so that a newer studio's settings
survive a round trip through an older one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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


@dataclass(frozen=True)
class LoadResult:
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


def from_dict(data: Mapping[str, Any]) -> LoadResult:
    """Build settings from a JSON document of any known version."""
    version = data.get("version", 0)
    newer = version if isinstance(version, int) and version > SCHEMA_VERSION else None
    doc = dict(data) if newer is not None else migrate(dict(data))
    problems: list[str] = []
    values: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}
    defaults = Settings()
    for name in known:
        if name not in doc:
            continue
        raw = doc[name]
        default = getattr(defaults, name)
        if isinstance(default, StrEnum):
            value = _enum_field(name, type(default), raw, problems)
            if value is not None:
                values[name] = value
        elif isinstance(raw, type(default)):
            values[name] = raw
        else:
            problems.append(f"'{name}' should be a {type(default).__name__}; the default was used")
    extra = {k: v for k, v in doc.items() if k not in known and k != "version"}
    return LoadResult(Settings(**values, extra=extra), tuple(problems), newer)


def to_dict(settings: Settings) -> JsonDict:
    doc: JsonDict = dict(settings.extra)
    for f in dataclasses.fields(Settings):
        if f.name == "extra":
            continue
        value = getattr(settings, f.name)
        doc[f.name] = value.value if isinstance(value, StrEnum) else value
    doc["version"] = SCHEMA_VERSION
    return doc
