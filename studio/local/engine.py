"""The built-in engine: the local server with Whisper recognition and eSpeak NG voices plugged in.

``BuiltinEngine(model_setting, cache_dir=…)`` resolves the model (``studio.local.availability``), and
``await engine.start()`` loads and warms it up (in a worker thread, so the event loop keeps running) and starts the
keyless local server on loopback; the studio then talks to it with its ordinary Speechmatics clients
(``studio.services.connections.Connection(endpoints)``). ``await engine.stop()`` stops the server.

This module is what ``availability.probe`` looks for; importing it is cheap (faster-whisper is imported when
the model loads).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from studio.api.endpoints import Endpoints
from studio.local.availability import ModelChoice, download_root, resolve_model
from studio.local.engines import Synthesizer
from studio.local.server import LocalServer, ServerConfig
from studio.local.whisper_model import WhisperRuntime

if TYPE_CHECKING:
    from studio.local.whisper_batch import WhisperBatchRecognizer
    from studio.local.whisper_realtime import WhisperRecognizer

log = logging.getLogger(__name__)


def make_synthesizer() -> Synthesizer:
    """eSpeak NG voices; tones (``ToneSynthesizer``) only if eSpeak NG cannot be loaded at all."""
    from studio.local.espeak import EspeakSynthesizer, EspeakUnavailableError

    try:
        return EspeakSynthesizer()
    except (EspeakUnavailableError, OSError) as exc:
        log.warning("text to speech falls back to tones: %s", exc)
        from studio.local.scripted import ToneSynthesizer

        return ToneSynthesizer()


def build_recognizers(model_setting: str = "", cache_dir: Path | None = None
                      ) -> tuple[WhisperRecognizer, WhisperBatchRecognizer]:
    """The realtime and batch recognisers over one model (loaded on first use), for a server of one's own
    (``studio transcribe --engine local``)."""
    from studio.local.whisper_batch import WhisperBatchRecognizer
    from studio.local.whisper_realtime import WhisperRecognizer

    runtime = WhisperRuntime(resolve_model(model_setting, cache_dir), download_root=download_root(cache_dir))
    return WhisperRecognizer(runtime), WhisperBatchRecognizer(runtime)


class BuiltinEngine:
    def __init__(self, model_setting: str = "", *, cache_dir: Path | None = None,
                 runtime: WhisperRuntime | None = None, config: ServerConfig | None = None) -> None:
        from studio.local.whisper_batch import WhisperBatchRecognizer
        from studio.local.whisper_realtime import WhisperRecognizer

        self.choice: ModelChoice = runtime.choice if runtime is not None else resolve_model(model_setting, cache_dir)
        self.runtime = runtime or WhisperRuntime(self.choice, download_root=download_root(cache_dir))
        self.recognizer = WhisperRecognizer(self.runtime)
        self.batch_recognizer = WhisperBatchRecognizer(self.runtime)
        self._config = config or ServerConfig(require_auth=False)
        self.server: LocalServer | None = None
        self.endpoints: Endpoints | None = None

    @property
    def running(self) -> bool:
        return self.endpoints is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Endpoints:
        """Loads the model and eSpeak NG, then listens; returns the endpoints (again if already running)."""
        if self.endpoints is not None:
            return self.endpoints
        await asyncio.to_thread(self.runtime.warm_up)
        synthesizer = await asyncio.to_thread(make_synthesizer)
        server = LocalServer(config=self._config, recognizer=self.recognizer,
                             batch_recognizer=self.batch_recognizer, synthesizer=synthesizer)
        self.endpoints = await server.start(host, port)
        self.server = server
        log.info("built-in engine (%s) on %s", self.choice.label, server.base_url)
        return self.endpoints

    async def stop(self) -> None:
        server, self.server, self.endpoints = self.server, None, None
        if server is not None:
            await server.stop()
            log.info("built-in engine stopped")
