"""What a live session tells the views: ``LiveEvent``s, pulled with ``session.drain()`` at display rate.

``StateChanged(state)``; ``Message(message, channel)`` for every server message (typed ``studio.api.messages``
objects, in order; ``channel`` is the message's own, None in a one-source session); ``Problem(text, severity,
action)`` in plain words (``studio.services.advice``); ``SourceChanged(channel, source_id, label)`` when a
channel's device is lost (``source_id`` None) or capture resumes on another device.

``EventQueue`` is thread-safe: the event loop appends, the GUI thread drains.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from studio.api import messages as m


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


class EventQueue:
    """Appended on the event loop, drained on the GUI thread."""

    def __init__(self) -> None:
        self._items: deque[LiveEvent] = deque()  # append and popleft are atomic: no lock

    def put(self, event: LiveEvent) -> None:
        self._items.append(event)

    def drain(self) -> list[LiveEvent]:
        out: list[LiveEvent] = []
        while True:
            try:
                out.append(self._items.popleft())
            except IndexError:
                return out
