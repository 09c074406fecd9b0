"""The sessions library: the list of recorded sessions (searchable) beside the one being read.

    view = SessionsView(context, own_live=lambda: <id of the session this studio records now, or None>)
    view.open_session(session_id)             # select it and read it (after "Open in library", a recovery)
    view.open_session(session_id, recovered)  # … saying what the recovery found

Opening reads the session's folder in a worker thread (``SessionLibrary.summary`` and ``open``); nothing is
read or written on the GUI thread. ``show_find`` / ``export`` are the page's Find and Export when the
library is showing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QStackedWidget, QVBoxLayout, QWidget

from studio.qt.context import WorkspaceContext
from studio.qt.live.library.client import LibraryClient
from studio.qt.live.library.list_pane import SessionList
from studio.qt.live.library.reader import SessionReader
from studio.qt.widgets.labels import make_label
from studio.storage.sessions_library import SessionDocument, SessionSummary

if TYPE_CHECKING:
    from studio.services.live.recovery import Recovered


class SessionsView(QWidget):
    #: A session was opened and is showing (its id).
    opened = Signal(str)

    def __init__(self, context: WorkspaceContext, own_live: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SessionsLibrary")
        self.setAccessibleName("Recorded sessions")
        self.context = context
        self.client = LibraryClient(context, self)
        self.sessions = SessionList(self.client, context.colors, own_live)
        self.sessions.setMinimumWidth(280)
        self.reader = SessionReader(context, self.client, own_live)
        self.placeholder = make_label("Choose a session on the left to read it and play its audio.", "EmptyNote",
                                      wrap=True)
        self.placeholder.setAccessibleName("No session chosen")
        self.problem = make_label("", "ErrorText", wrap=True)
        self.problem.setAccessibleName("The session could not be opened")
        self.problem.hide()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addStretch(1)
        column.addWidget(self.placeholder, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.problem, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(2)
        self.right = QStackedWidget()
        self.right.addWidget(holder)
        self.right.addWidget(self.reader)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.sessions)
        self.split.addWidget(self.right)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([340, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.split)

        self.sessions.chosen.connect(lambda session_id: self.open_session(session_id))
        self.sessions.delete_requested.connect(self._delete_requested)
        self.reader.deleted.connect(self._deleted)
        self.reader.changed.connect(self.sessions.refresh)
        self._opening: str | None = None
        self._delete_once_shown: str | None = None  # Delete pressed while that session was being read

    def refresh(self) -> None:
        self.sessions.refresh()

    def open_session(self, session_id: str, recovered: Recovered | None = None) -> None:
        """Reads ``session_id`` (off the GUI thread) and shows it; selects it in the list."""
        self._opening = session_id
        self.sessions.select_session(session_id)

        def read(library: object) -> tuple[SessionSummary, SessionDocument]:
            from studio.storage.sessions_library import SessionLibrary

            assert isinstance(library, SessionLibrary)
            return library.summary(session_id), library.open(session_id)

        self.client.run(read, on_result=lambda found: self._read(session_id, found, recovered),
                        on_error=lambda error: self._not_read(session_id, error))

    def _read(self, session_id: str, found: tuple[SessionSummary, SessionDocument],
              recovered: Recovered | None) -> None:
        if self._opening != session_id:
            return  # another was chosen meanwhile
        summary, document = found
        self.problem.hide()
        self.reader.show_session(summary, document, recovered)
        self.right.setCurrentWidget(self.reader)
        self.opened.emit(session_id)
        if self._delete_once_shown == session_id:
            self._delete_once_shown = None
            self.reader.delete()

    def _not_read(self, session_id: str, error: BaseException) -> None:
        if self._opening != session_id:
            return
        self.reader.clear()
        self.right.setCurrentIndex(0)
        self.problem.setText(f"This session could not be opened. {self.client.explain(error)}")
        self.problem.show()

    def _delete_requested(self, session_id: str) -> None:
        if self.showing == session_id:
            self.reader.delete()  # asks first; refused while it is being recorded
        elif self._opening == session_id:
            self._delete_once_shown = session_id  # still being read: asked about once it shows

    def _deleted(self, session_id: str) -> None:
        self._opening = None
        self.right.setCurrentIndex(0)
        self.sessions.forget(session_id)

    @property
    def showing(self) -> str | None:
        """The id of the session being read, if one is."""
        return self.reader.session_id if self.right.currentWidget() is self.reader else None

    # -- the page's actions ---------------------------------------------------------------------------------
    def show_find(self) -> None:
        if self.showing is not None:
            self.reader.view.show_find()
        else:
            self.sessions.focus_search()

    def export(self) -> None:
        if self.showing is not None:
            self.reader.export()
        else:
            self.context.notify("Choose a session in the list to export it.")

    def restyle(self) -> None:
        self.reader.restyle()
        self.sessions.list.viewport().update()

    def close_media(self) -> None:
        self.reader.media.unload()
