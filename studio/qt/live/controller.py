"""The Live workspace's controller: one ``LiveSession`` at a time, its events pulled at display rate and
applied to the workspace's ``Transcript``.

``start(choice, config)`` makes a session (``studio.services.live.LiveSession``) on the active engine and
starts it on the bridge's loop; ``stop()``, ``update_config(config)`` (SetRecognitionConfig for what may
change mid-session) and ``bookmark()`` go the same way. While a session runs, a timer at the screen's
refresh rate drains its events — never a signal per audio block or per message; a caption that arrives
between two frames wakes it once, so it is not left waiting for the next tick — and, on the GUI thread:

* applies the server messages to the transcript in order, skipping partials that a later partial of the
  same channel in the same batch replaces (they would be drawn and undrawn within one frame);
* calls ``after_apply`` (the page flushes the transcript view then, so a partial is painted in the frame it
  arrived in);
* reports state changes, problems, device changes, reconnections and the recording's state through Qt
  signals (a handful a session).

Each session is recorded to disk as it runs (``SessionRecording``, when the settings ask for it).

``on_shutdown`` makes quitting end a running session cleanly (its last finals arrive first).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from studio.api import messages as m
from studio.audio.clock import Clock
from studio.core.transcript import Transcript
from studio.qt.context import WorkspaceContext
from studio.qt.live.recording import SessionRecording
from studio.services.advice import explain
from studio.services.live import (
    LiveConfig,
    LiveEvent,
    LiveSession,
    Message,
    Problem,
    Reconnected,
    Reconnecting,
    RecordingChanged,
    SessionState,
    Severity,
    SourceChanged,
    SourceChoice,
    StateChanged,
)
from studio.services.live.sources import SourceFactory

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 15.0  # at quit, how long a running session may take to deliver its last finals
PARTIALS = ("AddPartialTranscript", "AddPartialTranslation")


def coalesce(events: Sequence[LiveEvent]) -> list[LiveEvent]:
    """``events`` without the partials that a later partial of the same kind and channel (or language)
    replaces anyway: the transcript ends in the same state, with less drawing."""
    last: dict[tuple[str, object], int] = {}
    for index, event in enumerate(events):
        if isinstance(event, Message):
            raw = event.message.raw
            kind = raw.get("message")
            if kind in PARTIALS:
                last[(kind, raw.get("language") if kind == "AddPartialTranslation" else raw.get("channel"))] = index
    keep = set(last.values())
    out = []
    for index, event in enumerate(events):
        if isinstance(event, Message):
            raw = event.message.raw
            if raw.get("message") in PARTIALS and index not in keep:
                continue
        out.append(event)
    return out


def display_rate() -> float:
    screen = QGuiApplication.primaryScreen()
    rate = screen.refreshRate() if screen is not None else 60.0
    return rate if 20.0 <= rate <= 240.0 else 60.0


class LiveController(QObject):
    state_changed = Signal(object)  # SessionState
    problem = Signal(object)  # Problem
    source_changed = Signal(object)  # SourceChanged
    #: How the connection and the recording are doing: Reconnecting, Reconnected, RecordingChanged.
    notice = Signal(object)
    #: A new session was made (its rings are there once it is CONNECTING).
    session_started = Signal(object)  # LiveSession

    def __init__(self, context: WorkspaceContext, transcript: Transcript, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.transcript = transcript
        self.session: LiveSession | None = None
        self.source_factory: SourceFactory | None = None  # tests and benchmarks: files instead of devices
        self.clock: Clock | None = None  # and the clock such files are paced by (faster than real time)
        self.after_apply: Callable[[], None] = lambda: None
        self.messages_applied = 0
        self.recording = SessionRecording(context, transcript)
        self._busy = False  # a start or stop is on its way
        self._frame = 1.0 / display_rate()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, int(self._frame * 1000)))
        self._timer.timeout.connect(self._tick)
        # A caption that arrives is drained at once if no frame was drawn from the queue in the last frame,
        # else at the next frame: one wake-up at most until it is served (never one per message).
        self._last_apply = 0.0  # when messages were last applied (and so the view drawn)
        self._wake_pending = False
        self.wake_on_arrival = True  # False: captions wait for the next frame (for comparisons)
        self._woken = context.bridge.to_gui(self._wake)
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setTimerType(Qt.TimerType.PreciseTimer)
        self._later.timeout.connect(lambda: self.pull())
        context.on_shutdown(self._shutdown, SHUTDOWN_SECONDS + 1.0)  # its own limit, then a little to log it

    # -- state ------------------------------------------------------------------------------------------
    @property
    def state(self) -> SessionState:
        return self.session.state if self.session is not None else SessionState.IDLE

    @property
    def active(self) -> bool:
        """A session is starting, running or finishing (a start asked for but not yet begun included)."""
        state = self.state
        return state.active or (self._busy and state is SessionState.IDLE)

    # -- control ----------------------------------------------------------------------------------------
    def start(self, choice: SourceChoice, config: LiveConfig) -> LiveSession:
        if self.active:
            raise RuntimeError("a session is already running")
        self.transcript.clear()
        session = LiveSession(self.context.connect, choice, config, source_factory=self.source_factory,
                              clock=self.clock, capabilities=self.context.state.capabilities)
        self.session = session
        self._busy = True
        self._timer.start()
        session.events.subscribe(self._arrived)
        self.session_started.emit(session)
        recorder = self.recording.recorder_for(session)

        async def run() -> None:
            if recorder is not None:
                await recorder.attach(session)  # before the first audio: the whole session is on disk
            await session.start()

        self.context.bridge.submit(run(), on_result=lambda _r: self._settled(session),
                                   on_error=lambda error: self._failed(session, error), owner=self)
        return session

    def stop(self) -> None:
        session = self.session
        if session is None or not session.state.active:
            return
        self._busy = True
        self.context.bridge.submit(session.stop(), on_result=lambda _r: self._settled(session),
                                   on_error=lambda error: self._failed(session, error), owner=self)

    def update_config(self, config: LiveConfig) -> None:
        session = self.session
        if session is None or not session.state.active:
            return
        self.context.bridge.submit(session.update_config(config),
                                   on_error=lambda error: self._failed(session, error, ending=False), owner=self)

    def bookmark(self, label: str = "") -> None:
        session = self.session
        if session is None or session.state not in (SessionState.RUNNING, SessionState.CONNECTING):
            self.context.notify("Bookmarks mark moments of a running session; start one first.")
            return
        self.context.bridge.submit(session.bookmark(label), on_result=self._bookmarked, owner=self)

    def _bookmarked(self, time: float) -> None:
        self.transcript.add_bookmark(time)
        minutes, seconds = divmod(int(time), 60)
        self.context.notify(f"Bookmarked {minutes}:{seconds:02d}.")

    def _settled(self, session: LiveSession) -> None:
        if session is self.session:
            self._busy = False
            self.pull()

    def _failed(self, session: LiveSession, error: BaseException, *, ending: bool = True) -> None:
        log.warning("live session call failed: %s", error)
        if session is self.session and ending:
            self._busy = False
        self.problem.emit(Problem(explain(error, local=self.context.state.capabilities.local),
                                 Severity.ERROR if ending else Severity.WARNING))
        self.pull()

    # -- pulling ----------------------------------------------------------------------------------------
    def _arrived(self, event: LiveEvent) -> None:
        """On the event loop, as the session puts an event: wakes the GUI for what it shows (a caption, a
        state, a problem), once until the GUI has drained; acknowledgements of audio wait for the frame."""
        if self._wake_pending or not self.wake_on_arrival:
            return
        if isinstance(event, Message) and isinstance(event.message, m.AudioAdded | m.ChannelAudioAdded):
            return
        self._wake_pending = True
        self._woken()

    def _wake(self) -> None:
        wait = self._last_apply + self._frame - time.perf_counter()
        if wait <= 0:
            self.pull()
        elif not self._later.isActive():  # the view was drawn less than a frame ago: at the next frame
            self._later.start(max(1, int(wait * 1000 + 0.999)))

    def _tick(self) -> None:
        if time.perf_counter() - self._last_apply >= self._frame * 0.75:
            self.pull()

    def pull(self) -> None:
        """Drains the session's events and applies them (at display rate, sooner when a caption arrives)."""
        self._wake_pending = False  # what arrives from now on wakes the GUI again
        session = self.session
        if session is None:
            self._timer.stop()
            return
        events = coalesce(session.drain())
        applied = False
        for event in events:
            if isinstance(event, Message):
                self.transcript.apply(event.message)
                self.messages_applied += 1
                applied = True
            elif isinstance(event, StateChanged):
                if event.state in (SessionState.STOPPED, SessionState.FAILED):
                    applied = self._settle_partials() or applied
                self.state_changed.emit(event.state)
            elif isinstance(event, Problem):
                self.problem.emit(event)
            elif isinstance(event, SourceChanged):
                self.source_changed.emit(event)
            elif isinstance(event, Reconnecting | Reconnected | RecordingChanged):
                self.notice.emit(event)
        if applied:
            self._last_apply = time.perf_counter()
            self.after_apply()
        recorder = self.recording.recorder
        finishing = recorder is not None and recorder.state == "recording"  # its last event is still to come
        if not session.state.active and not self._busy and not finishing:
            self._timer.stop()

    def _settle_partials(self) -> bool:
        """The session has ended: no partial left on screen will ever become final, so it goes (what the
        view shows is then what is exported)."""
        stale = [channel for channel, track in self.transcript.tracks.items() if track.partial]
        for channel in stale:
            self.transcript.apply({"message": "AddPartialTranscript", "results": [],
                                   **({"channel": channel} if channel is not None else {})})
        return bool(stale)

    async def _shutdown(self) -> None:
        session = self.session
        if session is not None and session.state.active:
            try:
                await asyncio.wait_for(session.stop(), SHUTDOWN_SECONDS)
            except (TimeoutError, Exception) as exc:  # quitting goes on whatever happens
                log.warning("the live session did not end cleanly at quit: %s", exc)
