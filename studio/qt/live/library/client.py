"""The sessions library as the GUI reaches it: every read and write of the session folders in a worker thread
(``asyncio.to_thread`` through the bridge), each answer back on the GUI thread as a call.

    client = LibraryClient(context, owner=widget)
    client.run(lambda library: library.search("budget"), on_result=show, on_error=say)

``on_error`` gets the exception; ``explain(error)`` turns it into the words the user reads
(``SessionLockedError`` and ``SessionStoreError`` already are sentences; an ``OSError`` is said by
``studio.services.advice.explain``). Once the studio is shutting down, calls are dropped (nothing is left to
answer to).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject

from studio.qt.context import WorkspaceContext
from studio.storage.sessions import SessionLockedError, SessionStoreError, sessions_folder
from studio.storage.sessions_library import SessionLibrary

T = TypeVar("T")
log = logging.getLogger(__name__)

LOCKED_ELSEWHERE = ("This session is being recorded by another studio window, so it cannot be changed here. "
                    "Stop it there first; you can read it here meanwhile.")


class LibraryClient:
    def __init__(self, context: WorkspaceContext, owner: QObject) -> None:
        self.context = context
        self.owner = owner
        self.library = SessionLibrary(sessions_folder(context.paths))

    def run(self, call: Callable[[SessionLibrary], T], *, on_result: Callable[[T], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None) -> None:
        library = self.library
        try:
            self.context.bridge.submit(asyncio.to_thread(call, library), on_result=on_result,
                                       on_error=on_error or self._unexpected, owner=self.owner)
        except RuntimeError:
            # The studio is quitting (the bridge has shut down): a list or a read asked for by a timer or a
            # window closing has no one left to show it to.
            log.debug("library call dropped: the studio is shutting down")

    def explain(self, error: BaseException) -> str:
        """What to tell the user about ``error`` (one or two plain sentences, never a traceback)."""
        if isinstance(error, SessionLockedError):
            return LOCKED_ELSEWHERE
        if isinstance(error, SessionStoreError):
            text = str(error).strip()
            return text if text.endswith((".", "!", "?")) else text + "."
        from studio.services.advice import explain

        return explain(error, local=self.context.state.capabilities.local)

    def _unexpected(self, error: BaseException) -> None:
        self.context.notify(self.explain(error))
