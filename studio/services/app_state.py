"""The studio-wide state a window shows: settings, API key status and the engine they select."""

from __future__ import annotations

from collections.abc import Mapping

from studio.core.observable import Observable
from studio.core.settings import Settings
from studio.local.availability import LocalEngineInfo
from studio.services.engine import ActiveEngine, KeySource, KeyStatus, resolve_engine
from studio.storage.settings_store import SettingsStore


class AppState:
    """Observed by views; changed only on the GUI thread (results from the bridge arrive there)."""

    def __init__(self, settings: SettingsStore, local: LocalEngineInfo, env: Mapping[str, str]) -> None:
        self.settings_store = settings
        self.local = local
        self.env = env
        self.key = KeyStatus(KeySource.UNKNOWN)
        self.changed: Observable[AppState] = Observable()
        settings.changed.subscribe(lambda _settings: self.changed.emit(self))

    @property
    def settings(self) -> Settings:
        return self.settings_store.settings

    @property
    def engine(self) -> ActiveEngine:
        return resolve_engine(self.settings, self.key, self.local, self.env)

    def set_key_status(self, key: KeyStatus) -> None:
        if key != self.key:
            self.key = key
            self.changed.emit(self)

    def save_settings(self, settings: Settings) -> None:
        self.settings_store.save(settings)
