"""The sessions library's list: every recorded session, newest first, with a search field.

Typing searches (a quarter of a second after the last key) titles, transcripts, speaker names and sources,
every word of the query (``SessionLibrary.search``, in a worker thread). The list refreshes when it is shown,
after a change, and every few seconds while it shows a session being recorded (which grows). ``chosen(id)`` is
emitted when the user picks a session (a click, or the arrow keys: a moment after the selection settles);
the Delete key on the list emits ``delete_requested(id)`` for the session chosen (the reader asks first).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QListView, QVBoxLayout, QWidget

from studio.qt.live.library.client import LibraryClient
from studio.qt.live.library.delegate import SessionDelegate
from studio.qt.live.library.model import SessionListModel
from studio.qt.theme import Colors
from studio.qt.widgets.labels import make_label
from studio.storage.sessions_library import SessionSummary

SEARCH_DELAY_MS = 250
CHOOSE_DELAY_MS = 120
REFRESH_MS = 4000


class SessionList(QWidget):
    chosen = Signal(str)
    #: The Delete key on the list, for the session chosen (its id).
    delete_requested = Signal(str)
    #: A refresh arrived (the sessions now listed).
    refreshed = Signal(list)

    def __init__(self, client: LibraryClient, colors: Callable[[], Colors], own_live: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Recorded sessions")
        self.client = client
        self._own_live = own_live
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search words, speakers, titles, sources")
        self.search.setAccessibleName("Search recorded sessions")
        self.search.setClearButtonEnabled(True)
        self.model = SessionListModel()
        self.list = QListView()
        self.list.setObjectName("SessionList")
        self.list.setAccessibleName("Recorded sessions, newest first")
        self.list.setModel(self.model)
        self.list.setItemDelegate(SessionDelegate(colors, own_live, self.list))
        self.list.setMouseTracking(True)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.count = make_label("", "SectionHint")
        self.count.setAccessibleName("How many sessions")
        self.empty = make_label("", "EmptyNote", wrap=True)
        self.empty.setAccessibleName("No sessions")
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.count)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addStretch(0)

        self.loaded = False  # a first answer arrived
        self._pending_choice: str | None = None
        self._searching = QTimer(self)
        self._searching.setSingleShot(True)
        self._searching.setInterval(SEARCH_DELAY_MS)
        self._searching.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._searching.start())
        self.search.returnPressed.connect(self.refresh)
        self._choosing = QTimer(self)
        self._choosing.setSingleShot(True)
        self._choosing.setInterval(CHOOSE_DELAY_MS)
        self._choosing.timeout.connect(self._choose_current)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.clicked.connect(lambda _index: self._choose_current())
        self.list.activated.connect(lambda _index: self._choose_current())
        self.delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list,
                                    context=Qt.ShortcutContext.WidgetShortcut)
        self.delete_key.activated.connect(self._delete_chosen)
        self._ticker = QTimer(self)
        self._ticker.setInterval(REFRESH_MS)
        self._ticker.timeout.connect(self.refresh)
        self._chosen_id: str | None = None
        self._in_flight = False
        self._again = False

    # -- listing ------------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self._ticker.stop()

    def refresh(self) -> None:
        """Lists the sessions again (those matching the search), off the GUI thread."""
        self._searching.stop()
        if self._in_flight:  # one read at a time; the newest query is read once this one is back
            self._again = True
            return
        self._in_flight = True
        query = self.search.text()
        self.client.run(lambda library: library.search(query), on_result=lambda found: self._listed(query, found),
                        on_error=self._failed)

    def _listed(self, query: str, found: list[SessionSummary]) -> None:
        self._in_flight = False
        if self._again:
            self._again = False
            self.refresh()
        if query != self.search.text():
            return  # the user typed on meanwhile; the next answer is theirs
        self.loaded = True
        self.model.set_own_live(self._own_live())
        keep = self._chosen_id
        self.model.set_sessions(found)
        if keep is not None and (row := self.model.row_of(keep)) >= 0:
            self._select(row)
        self._say_count(query, len(found))
        if any(s.live for s in found) and self.isVisible():
            self._ticker.start()  # a session being recorded grows: list it again in a moment
        else:
            self._ticker.stop()
        self.refreshed.emit(found)

    def _failed(self, error: BaseException) -> None:
        self._in_flight = False
        self._again = False
        self.count.setText(self.client.explain(error))

    def _say_count(self, query: str, found: int) -> None:
        if query.strip():
            self.count.setText(f"{found} session{'s' if found != 1 else ''} with “{query.strip()}”")
        else:
            self.count.setText(f"{found} recorded session{'s' if found != 1 else ''}" if found else "")
        empty = found == 0
        self.empty.setVisible(empty)
        self.list.setVisible(not empty)
        if empty and query.strip():
            self.empty.setText(f"No session has “{query.strip()}” in its words, speakers, title or sources.")
        elif empty:
            self.empty.setText("No recorded sessions yet.\n\nEvery live session is kept here as it runs — its "
                               "audio and its words — so a crash loses nothing. Start one in Live captions.")

    # -- choosing -----------------------------------------------------------------------------------------
    def select_session(self, session_id: str) -> None:
        """Selects ``session_id`` once it is listed (a refresh is asked for if it is not yet)."""
        self._chosen_id = session_id
        row = self.model.row_of(session_id)
        if row >= 0:
            self._select(row)
        else:
            if self.search.text():
                self.search.clear()
            self.refresh()

    def _select(self, row: int) -> None:
        index = self.model.index(row)
        selection = self.list.selectionModel()
        if selection.currentIndex() != index or not selection.isSelected(index):
            self.list.blockSignals(True)
            selection.blockSignals(True)
            selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect)
            selection.blockSignals(False)
            self.list.blockSignals(False)
            self.list.viewport().update()
        self.list.scrollTo(index)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._choosing.start()

    def _choose_current(self) -> None:
        self._choosing.stop()
        summary = self.model.summary(self.list.currentIndex().row())
        if summary is not None and summary.id != self._chosen_id:
            self._chosen_id = summary.id
            self.chosen.emit(summary.id)

    def _delete_chosen(self) -> None:
        self._choose_current()  # the row under the cursor is the one shown, then asked about
        if self._chosen_id is not None:
            self.delete_requested.emit(self._chosen_id)

    def forget(self, session_id: str) -> None:
        """``session_id`` is gone (deleted): nothing is chosen any more, and the list is read again."""
        if self._chosen_id == session_id:
            self._chosen_id = None
        self.refresh()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
