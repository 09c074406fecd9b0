"""The studio's batch service, as the GUI holds it: made once per studio, on the bridge's event loop, the first
time the Batch page needs it or when unfinished jobs are resumed at start-up (before the page exists).

    runtime = runtime_for(context)          # the same object for the page and for resume at start-up
    runtime.start(on_ready=...)             # opens the queue, resumes it, mirrors it into ``runtime.board``
    runtime.run(lambda service: service.retry(ids), on_result=...)   # any service call, on the loop
    runtime.board                           # JobBoard: the queue as the GUI thread sees it

The engine the jobs go to follows the studio's (``AppState``): the choice is read here, on the GUI thread,
and handed to the loop as a snapshot; the Batch section of the settings (defaults, concurrency, watch
folder, auto-export) is applied whenever it changes. Nothing here imports QtMultimedia or the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from studio.core.settings import Settings
from studio.qt.batch.switching import WhileBusy
from studio.qt.context import WorkspaceContext
from studio.services.batch.board import JobBoard
from studio.services.batch.inputs import BUILTIN_LIMITS, SPEECHMATICS_LIMITS, Limits
from studio.services.batch.options import auto_export_from, defaults_from
from studio.services.batch.queue import QueueUpdate
from studio.services.batch.runner import RunnerPolicy, Target, client_in_worker
from studio.services.batch.service import BatchService
from studio.services.connector import EngineRequest
from studio.services.engine import EngineKind, KeySource

log = logging.getLogger(__name__)

QUEUE_FILE = "batch-queue.sqlite3"
T = TypeVar("T")

_RUNTIMES: dict[int, BatchRuntime] = {}


def runtime_for(context: WorkspaceContext) -> BatchRuntime:
    runtime = _RUNTIMES.get(id(context))
    if runtime is None or runtime.context is not context:
        runtime = _RUNTIMES[id(context)] = BatchRuntime(context)
    return runtime


@dataclass(frozen=True)
class EngineChoice:
    """The engine selected on the GUI thread, as the loop reads it."""

    request: EngineRequest
    label: str
    local: bool

    @property
    def limits(self) -> Limits:
        return BUILTIN_LIMITS if self.local else SPEECHMATICS_LIMITS

    @property
    def identity(self) -> tuple[object, ...]:
        """What makes it another engine: for the built-in one its model (its address comes once it runs)."""
        if self.local:
            return (True, self.request.model_setting.strip())
        return (False, self.label, self.request.engine.endpoints)

    @classmethod
    def of(cls, context: WorkspaceContext) -> EngineChoice:
        engine = context.state.engine
        return cls(EngineRequest.of(context.state), engine.label, engine.kind is EngineKind.LOCAL)


class BatchRuntime:
    def __init__(self, context: WorkspaceContext) -> None:
        self.context = context
        self.board = JobBoard()
        self.service: BatchService | None = None  # set on the loop once started
        self.error = ""  # why the queue could not be opened
        #: Called on the loop with the service before it starts (logging, tests): nothing is missed.
        self.service_hooks: list[Callable[[BatchService], None]] = []
        self.switching: WhileBusy | None = None  # once started
        self._started = False
        self._waiting_for_key = False
        self._ready: list[Callable[[], None]] = []
        self._choice = EngineChoice.of(context)
        self._connector = context.connector_factory()
        self._settings = context.state.settings
        self.path = context.paths.data / QUEUE_FILE
        self._notify: Callable[[str], None] = lambda _text: None  # callable from the loop once started
        context.state.changed.subscribe(lambda _state: self._state_changed())

    @property
    def ready(self) -> bool:
        return self.service is not None

    def start(self, on_ready: Callable[[], None] | None = None) -> None:
        """Opens and resumes the queue (once); ``on_ready`` runs on the GUI thread when it is open."""
        if on_ready is not None:
            if self.ready:
                on_ready()
            else:
                self._ready.append(on_ready)
        if self._started:
            return
        if self.context.state.key.source is KeySource.UNKNOWN:
            # Which engine jobs go to depends on whether there is an API key: wait for the keychain's answer.
            self._waiting_for_key = True
            return
        self._started = True
        self._waiting_for_key = False
        # A shorter thread switch interval while the queue works, the default again once it is idle.
        self.switching = WhileBusy(self.board)
        self._choice = EngineChoice.of(self.context)
        self._settings = self.context.state.settings
        bridge = self.context.bridge
        deliver = bridge.to_gui(self.board.apply)
        self._notify = bridge.to_gui(self.context.notify)
        settings = self.context.state.settings

        async def open_queue() -> None:
            # The HTTP requests run in a worker process: their interpreter time would otherwise stall the window.
            service = BatchService.open(self.path, self._connect, RunnerPolicy(concurrency=settings.batch.concurrency),
                                        make_client=client_in_worker)
            self._configure(service, settings)
            # The first update is the whole queue; every later one follows it, in order.
            deliver([service.queue.snapshot()])
            service.queue.updates.subscribe(deliver)
            for hook in self.service_hooks:
                hook(service)
            service.start()
            self.service = service
            await self._watch(service, settings)

        bridge.submit(open_queue(), on_result=lambda _none: self._opened(), on_error=self._failed)
        self.context.on_shutdown(self._close)

    def _opened(self) -> None:
        waiting, self._ready = self._ready, []
        for call in waiting:
            call()

    def _failed(self, error: BaseException) -> None:
        from studio.services.advice import explain

        log.error("the batch queue could not be opened", exc_info=error)
        self.error = explain(error)
        self.board.apply([QueueUpdate(problem=self.error)])
        self.context.notify(self.error)

    async def _close(self) -> None:
        service, self.service = self.service, None
        if service is not None:
            await service.close()

    async def _connect(self) -> Target:
        choice = self._choice  # a snapshot the GUI thread replaces as a whole
        connection = await self._connector.connect(choice.request)
        return Target(connection, choice.label, choice.local, choice.limits)

    def run(self, call: Callable[[BatchService], Any], on_result: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None) -> None:
        """``call(service)`` on the loop (awaited if it returns a coroutine); the result comes back on the GUI
        thread. Calls made before the queue is open wait for it."""
        if not self.ready:
            self.start(lambda: self.run(call, on_result, on_error))
            return

        async def invoke() -> Any:
            service = self.service
            if service is None:
                return None
            result = call(service)
            if hasattr(result, "__await__"):
                result = await result
            return result

        self.context.bridge.submit(invoke(), on_result=on_result, on_error=on_error or self._call_failed)

    def _call_failed(self, error: BaseException) -> None:
        from studio.services.advice import explain

        log.error("a batch queue command failed", exc_info=error)
        self.context.notify(explain(error))

    # -- following the studio's state -----------------------------------------------------------------
    def _state_changed(self) -> None:
        if self._waiting_for_key and self.context.state.key.source is not KeySource.UNKNOWN:
            self.start()
            return
        if not self._started:
            return
        choice = EngineChoice.of(self.context)
        settings = self.context.state.settings
        engine_changed = choice.identity != self._choice.identity
        self._choice = choice
        settings_changed = settings.batch != self._settings.batch or settings.language != self._settings.language
        self._settings = settings
        if not engine_changed and not settings_changed:
            return

        async def apply(service: BatchService) -> None:
            if engine_changed:
                service.engine_changed()
            if settings_changed:
                self._configure(service, settings)
                await self._watch(service, settings)

        self.run(apply)

    def _configure(self, service: BatchService, settings: Settings) -> None:
        try:
            auto_export = auto_export_from(settings)
        except ValueError as exc:
            auto_export = None
            self._notify(f"Auto-export is off: {exc}")
        service.configure(defaults=defaults_from(settings), limits=self._choice.limits,
                          concurrency=settings.batch.concurrency, auto_export=auto_export)

    @staticmethod
    async def _watch(service: BatchService, settings: Settings) -> None:
        folder = settings.batch.watch_folder.strip()
        path = Path(folder).expanduser() if folder else None
        await service.watch(path if path is not None and path.is_dir() else None)
