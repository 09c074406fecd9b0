"""Which engine the studio talks to, decided from settings, the API key and the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from studio.api.endpoints import ENV_API_KEY, Endpoints, resolve_endpoints
from studio.core.settings import EngineChoice, Settings
from studio.local.availability import LocalEngineInfo


class KeySource(StrEnum):
    NONE = "none"
    KEYCHAIN = "keychain"
    ENVIRONMENT = "environment"
    UNKNOWN = "unknown"  # not looked up yet


@dataclass(frozen=True)
class KeyStatus:
    source: KeySource
    problem: str = ""  # a message for the user when the keychain could not be used

    @property
    def present(self) -> bool:
        return self.source in (KeySource.KEYCHAIN, KeySource.ENVIRONMENT)

    def describe(self) -> str:
        if self.source is KeySource.KEYCHAIN:
            return "API key set (system keychain)"
        if self.source is KeySource.ENVIRONMENT:
            return f"API key set ({ENV_API_KEY})"
        if self.source is KeySource.UNKNOWN:
            return "Checking the keychain…"
        return "No keychain" if self.problem else "No API key"


class EngineKind(StrEnum):
    LOCAL = "local"
    SPEECHMATICS = "speechmatics"


@dataclass(frozen=True)
class ActiveEngine:
    kind: EngineKind
    label: str
    endpoints: Endpoints | None  # None for the built-in engine until its server is started (on first use)
    ready: bool
    detail: str = ""


def resolve_engine(settings: Settings, key: KeyStatus, local: LocalEngineInfo,
                   env: Mapping[str, str], local_endpoints: Endpoints | None = None) -> ActiveEngine:
    """The engine the settings select; ``local_endpoints`` are the built-in engine's once it runs."""
    use_cloud = settings.engine is EngineChoice.SPEECHMATICS or (
        settings.engine is EngineChoice.AUTO and key.present)
    if use_cloud:
        resolved = resolve_endpoints(settings, env)
        if key.present:
            return ActiveEngine(EngineKind.SPEECHMATICS, resolved.label, resolved.endpoints, True)
        return ActiveEngine(EngineKind.SPEECHMATICS, resolved.label, resolved.endpoints, False,
                            "add an API key in Settings")
    label = f"Built-in engine (offline, {local.model})"
    if local.installed:
        return ActiveEngine(EngineKind.LOCAL, label, local_endpoints, True)
    return ActiveEngine(EngineKind.LOCAL, "Built-in engine", None, False, local.reason)
