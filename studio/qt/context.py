"""What a workspace page is given: the studio's state and services, reached through one object.

A page is built the first time it is shown, with ``factory(context, spec)`` (see ``studio.qt.workspaces``).
It reads and observes ``context.state`` (settings, engine, key), runs asyncio work through
``context.bridge`` and gets protocol clients for the active engine from ``await context.connect()``; it
reaches the other workspaces only through the hooks here (``speak_line``, ``transcribe_files``), and the
window's Settings through ``open_settings``, so that no page imports another or reaches into the window.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtGui import QColor

from studio.services.app_state import AppState
from studio.storage.paths import Paths

if TYPE_CHECKING:
    # The protocol clients (httpx, websockets) load when first needed, never at start-up.
    from studio.qt.bridge import AsyncBridge
    from studio.qt.theme import Colors
    from studio.services.connections import Connection
    from studio.services.connector import Connector

Cleanup = Callable[[], Coroutine[Any, Any, object]]


class WorkspacePage(Protocol):
    """What the main window asks of a page (every method is optional; see ``studio.qt.workspaces``)."""

    def trigger(self, action: str) -> None:
        """Run one of the page's actions (``WorkspaceAction.id``, or ``find`` / ``export``)."""

    def restyle(self, color: QColor) -> None:
        """The theme changed; ``color`` is the muted text colour."""

    def confirm_close(self) -> bool:
        """The window is about to close: False keeps it open (the page asked the user)."""


class WorkspaceContext:
    """The state and services a page is given. (A plain class, not a dataclass: it is made at start-up, where
    creating a dataclass costs about a millisecond.)"""

    def __init__(self, state: AppState, paths: Paths, colors: Callable[[], Colors],
                 bridge_factory: Callable[[], AsyncBridge], connector_factory: Callable[[], Connector], *,
                 notify: Callable[[str], None] | None = None, speak_line: Callable[[str], None] | None = None,
                 transcribe_files: Callable[[Sequence[Path]], None] | None = None,
                 open_settings: Callable[[], object] | None = None) -> None:
        self.state = state
        self.paths = paths
        self.colors = colors
        self.bridge_factory = bridge_factory
        self.connector_factory = connector_factory
        #: A short message in the window's status bar.
        self.notify: Callable[[str], None] = notify or (lambda _text: None)
        #: Speak ``text`` in the voice chosen in the Voices workspace (builds that workspace if need be).
        self.speak_line: Callable[[str], None] = speak_line or (lambda _text: None)
        #: Add these files to the batch queue (builds the Batch workspace if need be).
        self.transcribe_files: Callable[[Sequence[Path]], None] = transcribe_files or (lambda _paths: None)
        #: Open the Settings dialog (a page's "Open Settings" button).
        self.open_settings: Callable[[], object] = open_settings or (lambda: None)
        self._cleanups: list[tuple[Cleanup, float] | Cleanup] = []

    @property
    def bridge(self) -> AsyncBridge:
        return self.bridge_factory()

    def connect(self) -> Coroutine[Any, Any, Connection]:
        """A coroutine (for ``bridge.submit``, or to await on the loop) giving the active engine's clients.

        The engine is chosen now, on the GUI thread; the coroutine starts the built-in engine or reads the
        API key. It raises ``studio.api.errors.ConfigurationError`` with a sentence for the user."""
        from studio.services.connector import EngineRequest

        return self.connector_factory().connect(EngineRequest.of(self.state))

    def on_shutdown(self, cleanup: Cleanup, seconds: float | None = None) -> None:
        """Await ``cleanup`` on the event loop when the studio shuts down (before tasks are cancelled):
        ending a live session cleanly, writing a queue's last state. It may take ``seconds`` (by default the
        bridge's short limit for a step); the window is gone by then, the process waits for it."""
        self._cleanups.append(cleanup if seconds is None else (cleanup, seconds))

    @property
    def cleanups(self) -> list[tuple[Cleanup, float] | Cleanup]:
        return list(self._cleanups)
