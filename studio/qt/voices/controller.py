"""What the Voices page does, without the widgets: previews, A/B comparisons, saving, the history.

``VoicesController(context)`` owns the page's player (an output stream of its own), its preview service
and history. Work runs on the studio's event loop through the bridge: synthesis, the cache's file work and
the player's control (so opening the audio device never waits on the GUI thread); results come back as
Qt signals on the GUI thread. Nothing is pushed per audio chunk: the page pulls the clip and the player's
position on its display-rate timer (``tick``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from studio.api.errors import ConfigurationError
from studio.api.tts import OutputFormat
from studio.audio.playback import Player, PlayState
from studio.core.settings import CompareMode
from studio.services.advice import explain
from studio.services.engine import EngineKind
from studio.services.voices.cache import PreviewCache, voice_cache_dir
from studio.services.voices.catalogue import VoiceInfo, catalogue, display_name, speechmatics_catalogue
from studio.services.voices.clip import BUILTIN, Clip, ClipState, PreviewRequest, check_request, text_limit
from studio.services.voices.compare import Comparison
from studio.services.voices.export import save_samples
from studio.services.voices.history import History, HistoryEntry, history_file, write_history
from studio.services.voices.preview import PreviewService

if TYPE_CHECKING:
    from studio.qt.bridge import TaskHandle
    from studio.qt.context import WorkspaceContext

log = logging.getLogger(__name__)
T = TypeVar("T")


class Activity(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"  # asked for, no audio yet (the built-in engine may be starting)
    PLAYING = "playing"
    BUFFERING = "buffering"  # the clip ran dry while it is still arriving
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"


class VoicesController(QObject):
    #: The voices of the active engine (a list of VoiceInfo), after a (re)load.
    voices_loaded = Signal(object)
    #: A new clip is on screen (the main preview) — or None.
    clip_changed = Signal(object)
    #: A comparison started (a Comparison), or ended (None).
    comparison_changed = Signal(object)
    #: Something failed: one or two sentences for the user.
    error = Signal(str)
    #: A clip was saved to this path.
    saved = Signal(Path)
    #: The output devices (a list of studio.audio.playback.OutputDevice), or a sentence why there are none.
    devices_loaded = Signal(object)

    def __init__(self, context: WorkspaceContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        settings = context.state.settings.voices
        self.player = Player(settings.output_device or None)
        cache = PreviewCache(voice_cache_dir(context.paths.cache), max_bytes=max(1, settings.cache_limit_mb) << 20)
        self.service = PreviewService(context.connect, cache=cache)
        self.history = History(history_file(context.paths.data))
        self.voices: list[VoiceInfo] = speechmatics_catalogue()
        self.voices_local: bool | None = None
        self.clip: Clip | None = None  # the main preview on screen
        self.origin = ""  # "" for the text box, else what the clip came from ("a transcript line")
        self.comparison: Comparison | None = None
        self._task: TaskHandle[Any] | None = None
        self.failure: str | None = None
        context.on_shutdown(self._shutdown)

    # -- the engine and its voices ------------------------------------------------------------------------
    @property
    def local(self) -> bool:
        return self.context.state.engine.kind is EngineKind.LOCAL

    @property
    def engine_id(self) -> str:
        engine = self.context.state.engine
        if engine.kind is EngineKind.LOCAL:
            return BUILTIN
        return engine.endpoints.tts if engine.endpoints is not None else "speechmatics"

    @property
    def limit(self) -> int:
        return text_limit(self.engine_id)

    def load(self) -> None:
        """Loads (off the GUI thread) what the page shows: the engine's voices, the history, the devices; and
        gets the engine ready (the built-in engine starts now, not on the first Play)."""
        self.reload_voices()
        self.warm_up()
        path = self.history.path
        if path is not None:
            self._run(asyncio.to_thread(History.load, path), on_result=self._history_loaded)

        def devices() -> object:
            from studio.audio.capture import AudioUnavailableError
            from studio.audio.playback import list_output_devices

            try:
                return list_output_devices()
            except AudioUnavailableError as exc:
                return str(exc)

        self._run(asyncio.to_thread(devices), on_result=self.devices_loaded.emit)

    def reload_voices(self) -> None:
        local = self.local
        if local == self.voices_local:
            return
        self.voices_local = local
        if not local:
            self.voices = speechmatics_catalogue()
            self.voices_loaded.emit(self.voices)
            return

        def loaded(voices: list[VoiceInfo]) -> None:
            if self.voices_local is local:
                self.voices = voices
                self.voices_loaded.emit(voices)

        self._run(asyncio.to_thread(catalogue, local=True), on_result=loaded,
                                   on_error=self._failed)

    def warm_up(self) -> None:
        """Connects to the active engine ahead of the first preview; a problem is said when Play is pressed."""
        async def connect() -> None:
            await self.context.connect()

        self._run(connect(), on_error=lambda error: log.info("the engine is not ready yet: %s", error))

    def _history_loaded(self, loaded: History) -> None:
        self.history.merge(loaded)  # what was heard before the file was read stays first

    def name_of(self, voice_id: str) -> str:
        return display_name(self.voices, voice_id)

    # -- previews -----------------------------------------------------------------------------------------
    def request(self, text: str, voice: str, output_format: OutputFormat | None = None) -> PreviewRequest:
        if output_format is None:
            return PreviewRequest(text, voice, self.engine_id)
        return PreviewRequest(text, voice, self.engine_id, output_format)

    def play(self, text: str, voice: str, *, origin: str = "") -> Clip | None:
        """Speaks ``text`` in ``voice``: playing starts with the first audio. None if it cannot be asked for."""
        request = self.request(text, voice)
        try:
            check_request(request, self.voices)
        except ConfigurationError as exc:
            self._failed(exc)
            return None
        return self.play_request(request, origin=origin)

    def play_request(self, request: PreviewRequest, *, origin: str = "") -> Clip:
        self.cancel()
        self.failure = None
        self.comparison = None
        self.comparison_changed.emit(None)
        clip = Clip(request)
        self.clip, self.origin = clip, origin
        self.clip_changed.emit(clip)
        self._task = self._submit(self._preview(clip), lambda: self._heard(clip))
        return clip

    async def _preview(self, clip: Clip) -> Clip:
        self.player.play(clip.pcm)  # on the loop: it starts when the first chunk is appended
        return await self.service.fill(clip, self.voices)

    def play_from(self, clip: Clip, seconds: float) -> None:
        """Plays ``clip`` (already on screen) from ``seconds``: a click on its waveform."""
        comparison = self.comparison
        if comparison is not None and clip in comparison.clips:
            index = comparison.clips.index(clip)
            self._on_loop(lambda: comparison.seek(index, seconds))
            return
        self._on_loop(lambda: self.player.play(clip.pcm, seconds))

    def replay(self, entry: HistoryEntry) -> Clip:
        """A preview from the history: from the cache, so no request is made while it is there. One heard on
        another engine and no longer cached is spoken by this one (the same voice name is another voice)."""
        request = entry.request
        cache = self.service.cache
        if request.engine != self.engine_id and (cache is None or not cache.has(request)):
            request = self.request(request.text, request.voice, request.output_format)
        return self.play_request(request, origin="the history")

    def compare(self, text: str, voices: Sequence[str], mode: CompareMode) -> Comparison | None:
        """The same text in each voice, played one after the other (or switched at the same point)."""
        voices = list(dict.fromkeys(voices))
        if len(voices) < 2:
            self._failed(ConfigurationError("Tick two or more voices in the list to compare them"))
            return None
        requests = [self.request(text, voice) for voice in voices]
        try:
            for request in requests:
                check_request(request, self.voices)
        except ConfigurationError as exc:
            self._failed(exc)
            return None
        self.cancel()
        self.failure = None
        clips = [Clip(request) for request in requests]
        comparison = Comparison(clips, self.player, mode=mode)
        self.comparison = comparison
        self.clip, self.origin = clips[0], ""
        self.clip_changed.emit(clips[0])
        self.comparison_changed.emit(comparison)

        async def run() -> list[Clip]:
            comparison.start()
            return await self.service.fill_all(clips, self.voices)

        self._task = self._submit(run(), self.record_comparison)
        return comparison

    def switch(self, index: int) -> None:
        """A/B: plays voice ``index`` of the comparison from the matching point."""
        comparison = self.comparison
        if comparison is not None and 0 <= index < len(comparison.clips):
            self._on_loop(lambda: comparison.switch(index))

    def set_compare_mode(self, mode: CompareMode) -> None:
        if self.comparison is not None:
            self.comparison.mode = mode

    def stop(self) -> None:
        """Stops playing, and any request in flight."""
        self.cancel()
        comparison = self.comparison
        self._on_loop(comparison.stop if comparison is not None else self.player.stop)

    def cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done:
            task.cancel()

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done

    def _submit(self, work: Coroutine[Any, Any, Any], done: Callable[[], None]) -> TaskHandle[Any] | None:
        return self._run(work, on_result=lambda _result: done())

    def record_comparison(self) -> None:
        """Adds the comparison's complete clips to the history (once they are all done)."""
        if self.comparison is not None:
            for clip in self.comparison.clips:
                if clip.state is ClipState.COMPLETE:
                    self._heard(clip)
                elif clip.state is ClipState.FAILED and clip.error is not None and self.failure is None:
                    self._failed(clip.error)

    def _heard(self, clip: Clip) -> None:
        if clip.state is not ClipState.COMPLETE:
            return
        self.history.add(HistoryEntry.of(clip.request, clip.duration))
        path = self.history.path
        if path is not None:
            data = self.history.snapshot()
            self._run(asyncio.to_thread(write_history, path, data))

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, asyncio.CancelledError):
            return
        text = explain(error, local=self.local)
        self.failure = text
        log.info("voice preview: %s", text)
        self.error.emit(text)

    # -- saving -------------------------------------------------------------------------------------------
    def save(self, request: PreviewRequest, path: Path, output_format: OutputFormat | None = None) -> None:
        """Saves the preview of ``request`` to ``path``: from the clip on screen or the cache when they have it
        (no request), else synthesised first (without playing)."""
        clip = self.clip if self.clip is not None and self.clip.request == request \
            and self.clip.state is ClipState.COMPLETE else None
        if clip is None and self.comparison is not None:
            clip = next((c for c in self.comparison.clips if c.request == request and c.state is ClipState.COMPLETE),
                        None)

        async def work() -> Path:
            source = clip if clip is not None else await self.service.fill(Clip(request), self.voices)
            samples = source.pcm.samples()
            return await asyncio.to_thread(save_samples, samples, path, output_format)

        self._run(work(), on_result=self.saved.emit, on_error=self._failed)

    # -- devices ------------------------------------------------------------------------------------------
    def set_device(self, name: str) -> None:
        self._on_loop(lambda: self.player.set_device(name or None))

    # -- display rate -------------------------------------------------------------------------------------
    def tick(self) -> None:
        comparison = self.comparison
        if comparison is not None:
            self._on_loop(comparison.tick)  # it may start the next voice: the player is driven from the loop
        self.player.tick()
        if self.player.error and self.failure is None:
            self.failure = self.player.error
            self.error.emit(self.player.error)

    def activity(self) -> Activity:
        clip = self.comparison.playing_clip if self.comparison is not None else self.clip
        if clip is None:
            return Activity.IDLE
        if clip.state is ClipState.FAILED or (self.failure is not None and not self.player.active):
            return Activity.FAILED
        state = self.player.state
        playing_this = self.player.playback is not None and self.player.playback.buffer is clip.pcm
        if not playing_this:
            return Activity.CONNECTING if self.busy else Activity.IDLE
        if state is PlayState.PLAYING:
            return Activity.PLAYING
        if state is PlayState.WAITING:
            return Activity.BUFFERING if self.player.playback is not None and \
                self.player.playback.first_frame_at is not None else Activity.CONNECTING
        if state is PlayState.FINISHED:
            return Activity.FINISHED if self.comparison is None or self.comparison.finished else Activity.PLAYING
        return Activity.STOPPED

    def position_in(self, clip: Clip) -> float | None:
        """Where the listener is in ``clip``, or None when it is not the one playing."""
        playback = self.player.playback
        if playback is None or playback.buffer is not clip.pcm or playback.state is PlayState.IDLE:
            return None
        if playback.state is PlayState.STOPPED and playback.first_frame_at is None:
            return None
        return self.player.position

    # -- plumbing -----------------------------------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, T], *, on_result: Callable[[T], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None) -> TaskHandle[T] | None:
        """``coro`` on the loop, its outcome back on the GUI thread while this controller lives; None (and
        nothing run) once the studio is shutting down."""
        try:
            return self.context.bridge.submit(coro, on_result=on_result, on_error=on_error or self._failed,
                                              owner=self)
        except RuntimeError:  # the bridge is shut down: the studio is closing
            log.debug("not run: the studio is closing")
            return None

    def _on_loop(self, call: Callable[[], object]) -> None:
        loop = self.context.bridge.loop
        if not loop.is_closed():
            loop.call_soon_threadsafe(call)

    async def _shutdown(self) -> None:
        self.player.close()
        await self.service.aclose()
