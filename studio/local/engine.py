"""The built-in engine: the local server with Whisper recognition and eSpeak NG voices plugged in.

``BuiltinEngine(model_setting, cache_dir=…)`` resolves the model (``studio.local.availability``), and
``await engine.start()`` loads eSpeak NG and starts the keyless local server on loopback at once — text to speech
works straight away — while Whisper loads and warms up in a worker thread behind it. A request that needs the
model before it is ready waits for it: a realtime session gets ``RecognitionStarted`` once the model is loaded
(the service, too, answers only when it can recognise; clients wait for it, 5 to 15 s), a batch job stays
``running``. A model faster-whisper must first download is loaded before the server listens instead (a
download can take minutes, longer than any client waits for ``RecognitionStarted``). ``await
engine.model_ready()`` waits for the warm-up. The studio talks to the server with its ordinary Speechmatics
clients (``studio.services.connections.Connection(endpoints)``). ``await engine.stop()`` stops the server.

This module is what ``availability.probe`` looks for; importing it is cheap (faster-whisper is imported when
the model loads).
"""

from __future__ import annotations

import asyncio
import logging
import time
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
        self._warming: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.endpoints is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Endpoints:
        """Loads eSpeak NG and listens, Whisper loading behind it; returns the endpoints (again if running).
        Raises ``RuntimeError`` at once for a model that cannot be used."""
        if self.endpoints is not None:
            return self.endpoints
        if not self.choice.usable:
            raise RuntimeError(f"The Whisper model cannot be used: {self.choice.problem}")
        if self.choice.kind == "download" and not self.runtime.loaded:
            await asyncio.to_thread(self.runtime.warm_up)
        synthesizer = await asyncio.to_thread(make_synthesizer)
        server = LocalServer(config=self._config, recognizer=self.recognizer,
                             batch_recognizer=self.batch_recognizer, synthesizer=synthesizer)
        self.endpoints = await server.start(host, port)
        self.server = server
        log.info("built-in engine (%s) on %s", self.choice.label, server.base_url)
        if self._warming is None and not self.runtime.loaded:
            self._warming = asyncio.create_task(self._warm_up())
        return self.endpoints

    async def _warm_up(self) -> None:
        started = time.monotonic()
        try:
            await asyncio.to_thread(self.runtime.warm_up)
        except Exception as exc:  # said again to whatever needs the model: an Error, a rejected job
            log.warning("the built-in engine could not load %s: %s", self.choice.label, exc)
        else:
            log.info("%s ready %.1f s after the engine started", self.choice.label, time.monotonic() - started)

    async def model_ready(self) -> None:
        """Waits until the Whisper model is loaded and warmed up (at once if it is)."""
        if self._warming is None:
            await asyncio.to_thread(self.runtime.load)
            return
        await asyncio.shield(self._warming)

    async def stop(self) -> None:
        warming, self._warming = self._warming, None
        if warming is not None and not warming.done():
            warming.cancel()  # the load goes on in its thread; whatever needs the model next waits for it
        server, self.server, self.endpoints = self.server, None, None
        if server is not None:
            await server.stop()
            log.info("built-in engine stopped")
