"""The built-in engine as the studio runs it: started on first use, on the app's event loop; stopped with the app.

``BuiltinEngineService(cache_dir)`` holds at most one running ``studio.local.engine.BuiltinEngine``.
``await service.ensure_started(model_setting)`` starts it on loopback the first time anything needs it (start-up
of the app never pays for it) and returns its endpoints as soon as it listens — text to speech works at once,
while the Whisper model loads in a worker thread behind it, and recognition waits for the model; later
calls return the same endpoints, unless the model setting changed, in which case the engine restarts with
the new model. ``await service.connection(model_setting)`` gives the protocol clients for it
(``studio.services.connections.Connection``). ``await service.stop()`` stops it; the studio calls it when the
app shuts down, and when the user switches to Speechmatics.

Every method runs on one event loop (the bridge's); ``started`` and ``stopped`` observers are called there.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from studio.api.endpoints import Endpoints
from studio.core.observable import Observable
from studio.services.connections import Connection

if TYPE_CHECKING:
    from studio.local.engine import BuiltinEngine

log = logging.getLogger(__name__)


class BuiltinEngineService:
    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir
        self._engine: BuiltinEngine | None = None
        self._lock: asyncio.Lock | None = None
        #: Emitted with the endpoints once the engine listens, and with None once it stopped.
        self.changed: Observable[Endpoints | None] = Observable()

    @property
    def endpoints(self) -> Endpoints | None:
        return self._engine.endpoints if self._engine is not None else None

    @property
    def running(self) -> bool:
        return self.endpoints is not None

    @property
    def model_setting(self) -> str | None:
        return self._engine.choice.setting if self._engine is not None else None

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def ensure_started(self, model_setting: str = "") -> Endpoints:
        async with self._guard():
            engine = self._engine
            if engine is not None and engine.running and engine.choice.setting == model_setting.strip():
                assert engine.endpoints is not None
                return engine.endpoints
            if engine is not None:
                await self._stop()
            from studio.local.engine import BuiltinEngine  # the engine's modules load on first use only

            engine = BuiltinEngine(model_setting, cache_dir=self._cache_dir)
            endpoints = await engine.start()
            self._engine = engine
            self.changed.emit(endpoints)
            return endpoints

    async def connection(self, model_setting: str = "") -> Connection:
        return Connection(await self.ensure_started(model_setting))

    async def _stop(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.stop()
            self.changed.emit(None)

    async def stop(self) -> None:
        async with self._guard():
            await self._stop()
