"""Keeps the source picker up to date: the device lists re-read as devices come and go, and the level meters
moving — from a ``SourceMonitor`` before a session starts, from the session's own levels while it runs.

Listing talks to the sound server, so it runs on the bridge's loop in a worker thread, every
``LIST_SECONDS`` while the page is showing and no session runs (a new or unplugged device shows up within
that). The monitor opens the chosen devices only while the page is showing and idle — the microphone is
never held open behind the user's back — and is closed before a session opens the devices itself. The
meters are pulled on a timer at a fraction of the display rate: never a signal per audio block.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, QTimer

from studio.qt.context import WorkspaceContext
from studio.qt.live.source_picker import SourcePicker
from studio.services.live import SourceMonitor, Sources, list_sources

log = logging.getLogger(__name__)

LIST_SECONDS = 3.0
METER_HZ = 30


class DeviceWatch(QObject):
    def __init__(self, context: WorkspaceContext, picker: SourcePicker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.picker = picker
        self.monitor: SourceMonitor | None = None
        self.sources: Sources | None = None
        self.session_levels: object = None  # a callable giving {"Me": peak} while a session runs
        self._watching = False
        self._paused = False
        self._listing = False
        self._opening = False
        self._lister = QTimer(self)
        self._lister.setInterval(int(LIST_SECONDS * 1000))
        self._lister.timeout.connect(self.refresh)
        self._meters = QTimer(self)
        self._meters.setInterval(1000 // METER_HZ)
        self._meters.timeout.connect(self._pull_levels)
        self._closed = False
        context.on_shutdown(self._shutdown)

    async def _shutdown(self) -> None:
        """At quit (on the loop): let go of the devices; nothing is opened or listed afterwards."""
        self._closed = True
        monitor, self.monitor = self.monitor, None
        if monitor is not None:
            await monitor.aclose()

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
            self._open_monitor()
        else:
            self._lister.stop()
            self._close_monitor()
        if self._watching:
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
        if self.monitor is not None or self._opening or self._closed:
            return
        monitor = SourceMonitor(self.picker.choice())
        self._opening = True

        def opened(_result: object) -> None:
            self._opening = False
            if self._watching and not self._paused and not self._closed and monitor.choice == self.picker.choice():
                self.monitor = monitor
            else:
                self._release(monitor)

        def failed(error: BaseException) -> None:
            self._opening = False
            log.info("the sources could not be opened for metering: %s", error)

        self.context.bridge.submit(monitor.start(), on_result=opened, on_error=failed, owner=self)

    def _close_monitor(self) -> None:
        monitor, self.monitor = self.monitor, None
        if monitor is not None:
            self._release(monitor)

    def _release(self, monitor: SourceMonitor) -> None:
        if self._closed:
            monitor.close()
        else:
            self.context.bridge.submit(monitor.aclose())

    def _pull_levels(self) -> None:
        levels = self.session_levels
        if callable(levels):
            self.picker.set_levels(levels())
        elif self.monitor is not None:
            self.picker.set_levels(self.monitor.levels())
        else:
            self.picker.set_levels({})
