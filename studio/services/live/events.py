"""What a live session tells the views: ``LiveEvent``s, pulled with ``session.drain()`` at display rate.

``StateChanged(state)``; ``Message(message, channel)`` for every server message (typed ``studio.api.messages``
objects, in order; ``channel`` is the message's own, None in a one-source session); ``Problem(text, severity,
action)`` in plain words (``studio.services.advice``); ``SourceChanged(channel, source_id, label)`` when a
channel's device is lost (``source_id`` None) or capture resumes on another device.

Issue 12: ``Reconnecting(attempt, retry_in, buffered_seconds, reason)`` each time the session is about to try
to reconnect (the state is ``RECONNECTING``: show "Reconnecting…"), ``Reconnected(attempts, offline_seconds,
replayed_seconds)`` once the new connection is up (the captions then catch up as the buffered audio is
transcribed); ``RecordingChanged(state, session_id, folder, text)`` from the recorder (``recording``,
``stopped`` at the end, ``failed`` — disk full, folder unwritable — while the captions go on, ``off``).

``EventQueue`` is thread-safe: the event loop appends, the GUI thread drains. ``subscribe(listener)`` calls
``listener(event)`` on the loop for every event as it is put (the recorder journals from there).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from studio.api import messages as m

log = logging.getLogger(__name__)


class SessionState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"  # sources opening and the service starting the session
    RUNNING = "running"
    RECONNECTING = "reconnecting"  # issue 12: a dropped connection being re-established
    STOPPING = "stopping"  # EndOfStream sent, the last finals on their way
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def active(self) -> bool:
        """Capturing or finishing: the settings that cannot change mid-session are greyed out."""
        return self in (SessionState.CONNECTING, SessionState.RUNNING, SessionState.RECONNECTING,
                        SessionState.STOPPING)


class Severity(StrEnum):
    INFO = "info"  # e.g. capture resumed on the default device
    WARNING = "warning"  # the session goes on, something is missing (a device lost, a server warning)
    ERROR = "error"  # the session ended


class Action(StrEnum):
    """What the view may offer next to a problem (the text already says it in words)."""

    NONE = "none"
    SETTINGS = "settings"  # open Settings (API key, engine, model, region)
    RETRY = "retry"  # start again
    SOURCES = "sources"  # choose another source


@dataclass(frozen=True)
class LiveEvent:
    pass


@dataclass(frozen=True)
class StateChanged(LiveEvent):
    state: SessionState


@dataclass(frozen=True)
class Message(LiveEvent):
    message: m.ServerMessage
    channel: str | None = None


@dataclass(frozen=True)
class Problem(LiveEvent):
    text: str
    severity: Severity = Severity.WARNING
    action: Action = Action.NONE


@dataclass(frozen=True)
class SourceChanged(LiveEvent):
    channel: str  # "Me" or "Them"
    source_id: str | None  # None: the channel's device was lost and nothing captures it now
    label: str = ""


@dataclass(frozen=True)
class Reconnecting(LiveEvent):
    attempt: int  # 1 for the first attempt after the drop
    retry_in: float  # seconds until this attempt
    buffered_seconds: float  # audio kept to be sent first (bounded: reconnect.BUFFER_SECONDS)
    reason: str  # why the connection went, in plain words


@dataclass(frozen=True)
class Reconnected(LiveEvent):
    attempts: int
    offline_seconds: float  # from the drop to the new session's start
    replayed_seconds: float  # audio sent again first (what the old session had not finished)


@dataclass(frozen=True)
class RecordingChanged(LiveEvent):
    state: str  # "recording" | "stopped" | "failed" | "off"
    session_id: str = ""
    folder: str = ""
    text: str = ""  # for "failed"/"off": why, in plain words (also said by a Problem)


class EventQueue:
    """Appended on the event loop, drained on the GUI thread."""

    def __init__(self) -> None:
        self._items: deque[LiveEvent] = deque()  # append and popleft are atomic: no lock
        self._listeners: list[Callable[[LiveEvent], None]] = []

    def put(self, event: LiveEvent) -> None:
        self._items.append(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("live: an event listener failed")

    def subscribe(self, listener: Callable[[LiveEvent], None]) -> Callable[[], None]:
        """``listener(event)`` for every event put from now on (on the loop); returns the unsubscriber."""
        self._listeners = [*self._listeners, listener]

        def remove() -> None:
            self._listeners = [x for x in self._listeners if x is not listener]

        return remove

    def drain(self) -> list[LiveEvent]:
        out: list[LiveEvent] = []
        while True:
            try:
                out.append(self._items.popleft())
            except IndexError:
                return out
