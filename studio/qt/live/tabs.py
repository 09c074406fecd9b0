"""The Live workspace's two tabs: **Live captions** (the page's session) and **Recorded sessions** (the
sessions library, built the first time it is shown: it brings QtMultimedia).

``LiveTabs(live_widget, make_library)``: ``show_library(session_id=None, recovered=None)``, ``show_live()``,
``toggle()`` (Ctrl+L), ``library`` (None until first shown), ``library_showing``; ``changed(library_showing)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QStackedWidget, QTabBar, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from studio.qt.live.library.view import SessionsView
    from studio.services.live.recovery import Recovered

LIVE, LIBRARY = 0, 1
TABS = (("Live captions", "Caption a meeting now"),
        ("Recorded sessions", "Read, play and export the sessions recorded before (Ctrl+L)"))


class LiveTabs(QWidget):
    changed = Signal(bool)  # the library is showing

    def __init__(self, live: QWidget, make_library: Callable[[], SessionsView],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make_library = make_library
        self.library: SessionsView | None = None
        self.bar = QTabBar()
        self.bar.setObjectName("LiveTabs")
        self.bar.setAccessibleName("Live captions or recorded sessions")
        self.bar.setDrawBase(False)
        self.bar.setExpanding(False)
        for text, tip in TABS:
            self.bar.setTabToolTip(self.bar.addTab(text), tip)
        self.stack = QStackedWidget()
        self.stack.addWidget(live)
        self.stack.addWidget(QWidget())  # the library, once first shown
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.stack, 1)
        self.bar.currentChanged.connect(self._show)

    @property
    def library_showing(self) -> bool:
        return self.stack.currentIndex() == LIBRARY

    def show_library(self, session_id: str | None = None, recovered: Recovered | None = None) -> SessionsView:
        self.bar.setCurrentIndex(LIBRARY)
        library = self._library()
        if session_id:
            library.open_session(session_id, recovered)
        return library

    def show_live(self) -> None:
        self.bar.setCurrentIndex(LIVE)

    def toggle(self) -> None:
        self.bar.setCurrentIndex(LIVE if self.library_showing else LIBRARY)

    def _library(self) -> SessionsView:
        if self.library is None:
            self.library = self._make_library()
            blank = self.stack.widget(LIBRARY)
            self.stack.insertWidget(LIBRARY, self.library)
            if blank is not None:
                self.stack.removeWidget(blank)
                blank.deleteLater()
        return self.library

    def _show(self, index: int) -> None:
        if index == LIBRARY:
            self._library()
        elif self.library is not None:
            self.library.reader.media.pause()  # reading goes quiet when the live captions come back
        self.stack.setCurrentIndex(index)
        self.changed.emit(index == LIBRARY)
