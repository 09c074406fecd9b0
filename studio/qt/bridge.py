"""The one place that knows both asyncio and Qt.

An asyncio event loop runs on its own thread. The GUI submits coroutines with ``submit`` and gets the
result, the exception or the cancellation back as a call on the GUI thread; ``to_gui`` wraps a callback so
that asyncio code (progress reports, events) can call it from its thread and it runs on the GUI thread.
``shutdown`` cancels whatever is still running, waits for it to unwind, and joins the thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

import sniffio
from PySide6.QtCore import QObject, Signal, Slot
from shiboken6 import isValid

T = TypeVar("T")
Cleanup = Callable[[], Coroutine[Any, Any, object]]

log = logging.getLogger(__name__)


class TaskHandle(Generic[T]):
    """A submitted coroutine, as the GUI sees it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._task: asyncio.Task[T] | None = None
        self.future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def cancel(self) -> None:
        """Ask the coroutine to stop; ``on_cancelled`` runs once it has unwound."""
        if not self.future.done() and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._cancel_in_loop)

    def _cancel_in_loop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _start(self, coro: Coroutine[Any, Any, T]) -> None:
        # Runs on the loop; the task's outcome is copied to the thread-safe future when it ends.
        task = self._loop.create_task(coro)
        self._task = task

        def copy(done: asyncio.Task[T]) -> None:
            if done.cancelled():
                self.future.cancel()
            elif (error := done.exception()) is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(done.result())

        task.add_done_callback(copy)

    @property
    def done(self) -> bool:
        return self.future.done()


class AsyncBridge(QObject):
    #: Emitted on the GUI thread with a short message when a task failed and nobody handled the error.
    unhandled_error = Signal(str)
    _deliver = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver.connect(self._run_delivered)
        self._loop = asyncio.new_event_loop()
        self._closed = False
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, name="studio-asyncio", daemon=True)
        self._thread.start()
        self._started.wait()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        # Only asyncio runs on this thread: said once, sniffio (asked by httpx's transport several times per
        # request) answers at once instead of importing and looking for the current task each time.
        sniffio.thread_local.name = "asyncio"
        self._loop.call_soon(self._started.set)
        try:
            self._loop.run_forever()
        finally:
            # Joins the worker threads of asyncio.to_thread, so none is left behind.
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()

    @Slot(object)
    def _run_delivered(self, call: Callable[[], None]) -> None:
        if not self._closed:
            call()

    def to_gui(self, fn: Callable[..., None]) -> Callable[..., None]:
        """``fn`` made callable from any thread; each call runs on the GUI thread, in order."""

        def post(*args: Any) -> None:
            if not self._closed:
                self._deliver.emit(partial(fn, *args))

        return post

    def submit(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        owner: QObject | None = None,
    ) -> TaskHandle[T]:
        """Run ``coro`` on the loop; the outcome is reported to one callback on the GUI thread.

        With ``owner``, the callbacks are skipped if that object was destroyed in the meantime (a closed
        dialog). Without ``on_error``, a failure is logged and announced through ``unhandled_error``.
        """
        if self._closed:
            coro.close()
            raise RuntimeError("the bridge is shut down")
        handle: TaskHandle[T] = TaskHandle(self._loop)

        def finish(done: concurrent.futures.Future[T]) -> None:
            if owner is not None and not isValid(owner):
                return
            if done.cancelled():
                if on_cancelled is not None:
                    on_cancelled()
                return
            error = done.exception()
            if error is None:
                if on_result is not None:
                    on_result(done.result())
            elif on_error is not None:
                on_error(error)
            else:
                log.error("background task failed", exc_info=error)
                self.unhandled_error.emit(str(error) or type(error).__name__)

        handle.future.add_done_callback(lambda done: self._post(partial(finish, done)))
        self._loop.call_soon_threadsafe(handle._start, coro)
        return handle

    def _post(self, call: Callable[[], None]) -> None:
        if not self._closed:
            self._deliver.emit(call)

    def shutdown(self, timeout: float = 1.5, cleanup: Sequence[Cleanup | tuple[Cleanup, float]] = ()) -> bool:
        """Await each ``cleanup`` (e.g. stopping a server, so its socket closes), then cancel all tasks, let
        them unwind, stop the loop and join the thread. A step may take ``timeout / 2`` seconds, or as long as
        it was given with it (``(step, seconds)``: a live session delivering its last finals); the rest takes
        about ``timeout``.

        Returns True when everything stopped in time. Deliveries still queued are dropped.
        """
        if self._closed:
            return True
        self._closed = True
        steps = [entry if isinstance(entry, tuple) else (entry, timeout / 2) for entry in cleanup]

        async def cancel_all() -> None:
            for step, seconds in steps:
                try:
                    await asyncio.wait_for(step(), seconds)
                except TimeoutError:  # wait_for's, whose message is empty: say which step and how long
                    log.warning("clean-up at shutdown: %s did not finish within %.2f s; going on without it",
                                _name(step), seconds)
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # the shutdown itself is being cancelled
                    # What the step awaited was cancelled (a task ended by the quit): expected, not a failure.
                    log.debug("clean-up at shutdown: %s ended by a cancellation", _name(step))
                except Exception as exc:  # a failed clean-up must not stop the rest of the shutdown
                    log.warning("clean-up at shutdown failed: %s: %s", _name(step), _describe(exc))
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)
            await self._loop.shutdown_asyncgens()

        clean = True
        allowed = sum(seconds for _step, seconds in steps) + timeout + 0.25
        try:
            asyncio.run_coroutine_threadsafe(cancel_all(), self._loop).result(allowed)
        except (concurrent.futures.TimeoutError, RuntimeError):
            clean = False
            log.warning("background tasks did not finish within %.1f s of shutdown", allowed)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=1.0)
        return clean and not self._thread.is_alive()


def _name(step: Callable[..., object]) -> str:
    """A clean-up step's name for the log (a bound method reads ``Class.method``)."""
    return getattr(step, "__qualname__", None) or repr(step)


def _describe(error: BaseException) -> str:
    """The exception's type, and its message when it has one (``str`` of many is empty)."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
