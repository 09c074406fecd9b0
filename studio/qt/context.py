"""What a workspace page is given: the studio's state and services, reached through one object.

A page is built the first time it is shown, with ``factory(context, spec)`` (see ``studio.qt.workspaces``).
It reads and observes ``context.state`` (settings, engine, key), runs asyncio work through
``context.bridge`` and gets protocol clients for the active engine from ``await context.connect()``; it
reaches the other workspaces only through the hooks here (``speak_line``, ``transcribe_files``), and the
window's Settings through ``open_settings``, so that no page imports another or reaches into the window.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
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


@dataclass
class WorkspaceContext:
    state: AppState
    paths: Paths
    colors: Callable[[], Colors]
    bridge_factory: Callable[[], AsyncBridge]
    connector_factory: Callable[[], Connector]
    #: A short message in the window's status bar.
    notify: Callable[[str], None] = field(default=lambda _text: None)
    #: Speak ``text`` in the voice chosen in the Voices workspace (builds that workspace if need be).
    speak_line: Callable[[str], None] = field(default=lambda _text: None)
    #: Add these files to the batch queue (builds the Batch workspace if need be).
    transcribe_files: Callable[[Sequence[Path]], None] = field(default=lambda _paths: None)
    #: Open the Settings dialog (a page's "Open Settings" button).
    open_settings: Callable[[], object] = field(default=lambda: None)
    _cleanups: list[Cleanup] = field(default_factory=list)

    @property
    def bridge(self) -> AsyncBridge:
        return self.bridge_factory()

    def connect(self) -> Coroutine[Any, Any, Connection]:
        """A coroutine (for ``bridge.submit``, or to await on the loop) giving the active engine's clients.

        The engine is chosen now, on the GUI thread; the coroutine starts the built-in engine or reads the
        API key. It raises ``studio.api.errors.ConfigurationError`` with a sentence for the user."""
        from studio.services.connector import EngineRequest

        return self.connector_factory().connect(EngineRequest.of(self.state))

    def on_shutdown(self, cleanup: Cleanup) -> None:
        """Await ``cleanup`` on the event loop when the studio shuts down (before tasks are cancelled):
        ending a live session cleanly, writing a queue's last state."""
        self._cleanups.append(cleanup)

    @property
    def cleanups(self) -> list[Cleanup]:
        return list(self._cleanups)
