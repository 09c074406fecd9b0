"""The studio-wide state a window shows: settings, API key status and the engine they select."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from studio.core.observable import Observable
from studio.core.settings import Settings
from studio.storage.settings_store import SettingsStore

if TYPE_CHECKING:
    # Imported when first asked for: the window's first frame shows settings, not the engine (start-up time).
    from studio.api.endpoints import Endpoints
    from studio.local.availability import LocalEngineInfo
    from studio.services.capabilities import Capabilities
    from studio.services.engine import ActiveEngine, KeyStatus

LocalProbe = Callable[[str], "LocalEngineInfo"]  # the Whisper model setting -> what the built-in engine would run


class AppState:
    """Observed by views; changed only on the GUI thread (results from the bridge arrive there)."""

    def __init__(self, settings: SettingsStore, local: LocalEngineInfo | LocalProbe,
                 env: Mapping[str, str]) -> None:
        self.settings_store = settings
        if callable(local):
            self._probe: LocalProbe = local
        else:
            fixed = local
            self._probe = lambda _model: fixed
        self._local: tuple[str, LocalEngineInfo] | None = None
        self.local_endpoints: Endpoints | None = None  # the built-in engine's, while it runs
        self.env = env
        self._key: KeyStatus | None = None  # None: not looked up yet
        self.changed: Observable[AppState] = Observable()
        settings.changed.subscribe(lambda _settings: self.changed.emit(self))

    @property
    def settings(self) -> Settings:
        return self.settings_store.settings

    @property
    def local(self) -> LocalEngineInfo:
        """What the built-in engine runs with the current model setting (probed again when it changes)."""
        model = self.settings.whisper_model
        if self._local is None or self._local[0] != model:
            self._local = (model, self._probe(model))
        return self._local[1]

    def probe_local(self, model: str) -> LocalEngineInfo:
        """What the built-in engine would run with this model setting (for Settings, before saving it)."""
        return self._probe(model)

    @property
    def key(self) -> KeyStatus:
        """Where the API key comes from (``KeySource.UNKNOWN`` until the keychain has been read)."""
        if self._key is None:
            from studio.services.engine import KeySource, KeyStatus

            self._key = KeyStatus(KeySource.UNKNOWN)
        return self._key

    @property
    def engine(self) -> ActiveEngine:
        from studio.services.engine import resolve_engine

        return resolve_engine(self.settings, self.key, self.local, self.env, self.local_endpoints)

    @property
    def capabilities(self) -> Capabilities:
        """What the active engine can do (the workspaces say what it cannot before starting)."""
        from studio.local.availability import resolve_model
        from studio.services.capabilities import capabilities

        return capabilities(self.engine, resolve_model(self.settings.whisper_model).english_only)

    def set_key_status(self, key: KeyStatus) -> None:
        if key != self.key:
            self._key = key
            self.changed.emit(self)

    def set_local_endpoints(self, endpoints: Endpoints | None) -> None:
        if endpoints != self.local_endpoints:
            self.local_endpoints = endpoints
            self.changed.emit(self)

    def save_settings(self, settings: Settings) -> None:
        self.settings_store.save(settings)
