"""Protocol clients for the engine the studio is using now, for the workspaces' services.

The engine choice is read on the GUI thread (``EngineRequest.of(state)``, a snapshot) and the coroutine
``Connector.connect(request)`` does the slow part on the event loop: it starts the built-in engine on first
use, or reads the API key from the keychain. Problems are ``ConfigurationError`` with one line for the
user ("No API key — add one in Settings (Ctrl+,)"), raised before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from studio.api.endpoints import Endpoints
from studio.api.errors import ConfigurationError
from studio.services.app_state import AppState
from studio.services.builtin import BuiltinEngineService
from studio.services.connections import Connection
from studio.services.credentials import Credentials
from studio.services.engine import ActiveEngine, EngineKind
from studio.storage.secrets import SecretStoreError


@dataclass(frozen=True)
class EngineRequest:
    """What the settings selected when the user pressed Start (taken on the GUI thread)."""

    engine: ActiveEngine
    model_setting: str = ""
    temporary_keys: bool = False

    @classmethod
    def of(cls, state: AppState) -> EngineRequest:
        settings = state.settings
        return cls(state.engine, settings.whisper_model, settings.use_temporary_keys)


class Connector:
    def __init__(self, credentials: Callable[[], Credentials], builtin: Callable[[], BuiltinEngineService],
                 on_builtin_started: Callable[[Endpoints], None] | None = None) -> None:
        """``on_builtin_started`` is called on the event loop with the built-in engine's endpoints each time
        a connection to it is made (the studio forwards it to the GUI thread's ``AppState``)."""
        self._credentials = credentials
        self._builtin = builtin
        self._on_builtin_started = on_builtin_started

    async def connect(self, request: EngineRequest) -> Connection:
        engine = request.engine
        if engine.kind is EngineKind.LOCAL:
            if not engine.ready:
                raise ConfigurationError(f"The built-in engine cannot run: {engine.detail}")
            endpoints = await self._builtin().ensure_started(request.model_setting)
            if self._on_builtin_started is not None:
                self._on_builtin_started(endpoints)
            return Connection(endpoints)
        if engine.endpoints is None:
            raise ConfigurationError("No Speechmatics address is configured; check the region in Settings (Ctrl+,)")
        try:
            key = await self._credentials().api_key()
        except SecretStoreError as exc:
            raise ConfigurationError(f"The API key could not be read: {exc}") from None
        if not key:
            raise ConfigurationError("No API key — add one in Settings (Ctrl+,), or choose the built-in engine")
        return Connection(engine.endpoints, api_key=key, temporary_keys=request.temporary_keys)
