"""Keeps the source picker up to date: the device lists re-read as devices come and go, and the level meters
(and the waveform) moving — from a ``SourceMonitor`` before a session starts, from the session while it runs.

Listing talks to the sound server, so it runs on the bridge's loop in a worker thread, every
``LIST_SECONDS`` while the page is showing and no session runs (a new or unplugged device shows up within
that). The monitor opens the chosen devices only while the page is showing and idle — the microphone is
never held open behind the user's back — and is closed before a session opens the devices itself, when
the page is hidden, and at quit (``context.on_shutdown``: a monitor still opening then is waited for and
closed, so no capture thread outlives the window). The meters are pulled on a timer at a fraction of the
display rate: never a signal per audio block. ``monitor_changed`` tells the page when a monitor opened
(its rings feed the waveform) or closed (None).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, QTimer, Signal

from studio.qt.context import WorkspaceContext
from studio.qt.live.source_picker import SourcePicker
from studio.services.live import SourceMonitor, Sources, list_sources

log = logging.getLogger(__name__)

LIST_SECONDS = 3.0
METER_HZ = 30
OPEN_WAIT = 0.6  # at quit, how long a monitor still opening is waited for (the bridge allows 0.75 s)
OPEN_DELAY_MS = 1200  # the page must have been showing (and idle) this long before the devices are opened


class DeviceWatch(QObject):
    monitor_changed = Signal(object)  # SourceMonitor | None

    def __init__(self, context: WorkspaceContext, picker: SourcePicker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.picker = picker
        self.monitor: SourceMonitor | None = None
        self.sources: Sources | None = None
        #: While a session runs: its levels ({"Me": peak}), pulled instead of the monitor's.
        self.session_levels: Callable[[], Mapping[str, float]] | None = None
        self._watching = False
        self._paused = False
        self._listing = False
        self._opening: asyncio.Task[SourceMonitor] | None = None  # on the loop: a monitor being opened
        self._wanted = False  # the GUI asked for a monitor that is not open yet
        self._held: set[SourceMonitor] = set()  # opened and not yet closed (kept on the loop)
        self._closed = False
        self._lister = QTimer(self)
        self._lister.setInterval(int(LIST_SECONDS * 1000))
        self._lister.timeout.connect(self.refresh)
        self._meters = QTimer(self)
        self._meters.setInterval(1000 // METER_HZ)
        self._meters.timeout.connect(self._pull_levels)
        # Opening a device takes a second or two and holds it: not for a page flicked past, nor at start-up.
        self._opener = QTimer(self)
        self._opener.setSingleShot(True)
        self._opener.setInterval(OPEN_DELAY_MS)
        self._opener.timeout.connect(self._open_monitor)
        context.on_shutdown(self._shutdown)

    # -- when to watch --------------------------------------------------------------------------------
    def set_watching(self, watching: bool) -> None:
        """The page is showing (True) or hidden."""
        self._watching = watching
        self._apply()

    def pause(self) -> None:
        """A session starts: it opens the devices, so the monitor lets go of them (the meters go on from the
        session's levels)."""
        self._paused = True
        self._apply()

    def resume(self) -> None:
        self._paused = False
        self.session_levels = None
        self._apply()

    def choice_changed(self) -> None:
        self._close_monitor()
        self._apply()

    def _apply(self) -> None:
        idle = self._watching and not self._paused and not self._closed
        if idle:
            if not self._lister.isActive():
                self._lister.start()
                self.refresh()
            if self.monitor is None and not self._opener.isActive():
                self._opener.start()
        else:
            self._lister.stop()
            self._opener.stop()
            self._close_monitor()
        if self._watching and not self._closed:
            self._meters.start()
        else:
            self._meters.stop()
            self.picker.set_levels({})

    # -- listing --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._listing or self._closed:
            return
        self._listing = True
        self.context.bridge.submit(asyncio.to_thread(list_sources), on_result=self._listed,
                                   on_error=self._list_failed, owner=self)

    def _listed(self, sources: Sources) -> None:
        self._listing = False
        changed = sources != self.sources
        self.sources = sources
        if changed:
            self.picker.set_sources(sources)

    def _list_failed(self, error: BaseException) -> None:
        self._listing = False
        log.warning("the audio devices could not be listed: %s", error)

    # -- metering -------------------------------------------------------------------------------------
    def _open_monitor(self) -> None:
        if self.monitor is not None or self._wanted or self._closed or not self._watching or self._paused:
            return
        self._wanted = True
        monitor = SourceMonitor(self.picker.choice())
        self.context.bridge.submit(self._start(monitor), on_result=self._opened, on_error=self._open_failed,
                                   owner=self)

    async def _start(self, monitor: SourceMonitor) -> SourceMonitor:
        """On the loop: opens ``monitor``; closes it again at once if the studio quit meanwhile."""
        self._opening = asyncio.current_task()
        try:
            self._held.add(monitor)
            await monitor.start()
        finally:
            self._opening = None
        if self._closed:
            await self._close(monitor)
        return monitor

    async def _close(self, monitor: SourceMonitor) -> None:
        self._held.discard(monitor)
        await monitor.aclose()

    def _opened(self, monitor: SourceMonitor) -> None:
        self._wanted = False
        if self._watching and not self._paused and not self._closed and monitor.choice == self.picker.choice():
            self.monitor = monitor
            self.monitor_changed.emit(monitor)
        else:
            self._release(monitor)

    def _open_failed(self, error: BaseException) -> None:
        self._wanted = False
        log.info("the sources could not be opened for metering: %s", error)

    def _close_monitor(self) -> None:
        monitor, self.monitor = self.monitor, None
        if monitor is not None:
            self.monitor_changed.emit(None)
            self._release(monitor)

    def _release(self, monitor: SourceMonitor) -> None:
        if not self._closed:  # else the clean-up at quit closes it
            self.context.bridge.submit(self._close(monitor))

    async def _shutdown(self) -> None:
        """At quit, on the loop: nothing is opened or listed any more, and every device the monitor holds is
        let go — one still opening is waited for (it closes itself once open)."""
        self._closed = True
        opening = self._opening
        if opening is not None and not opening.done():
            await asyncio.wait({opening}, timeout=OPEN_WAIT)
        self.monitor = None
        for monitor in list(self._held):
            await self._close(monitor)

    def _pull_levels(self) -> None:
        if self.session_levels is not None:
            self.picker.set_levels(self.session_levels())
        elif self.monitor is not None:
            self.picker.set_levels(self.monitor.levels())
        else:
            self.picker.set_levels({})
