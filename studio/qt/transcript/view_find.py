"""Find in the transcript view (a mixin of ``TranscriptView``): the find bar, Enter / Shift+Enter, F3 /
Shift+F3, match case, "3 of 41"; ``search`` for programs. The matches themselves are ``search.Matches``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from studio.core.transcript.paragraphs import Row
    from studio.qt.transcript.list_view import TranscriptList
    from studio.qt.transcript.search import FindBar

    _Base = QWidget
else:
    _Base = object


class FindMixin(_Base):
    if TYPE_CHECKING:  # what TranscriptView provides
        list: TranscriptList
        find_bar: FindBar

        def _reveal(self, item: Row, offset: int) -> None: ...

    # -- find ------------------------------------------------------------------------------------------------
    def show_find(self) -> None:
        self.find_bar.show()
        self.find_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_bar.edit.selectAll()

    def hide_find(self) -> None:
        self.find_bar.hide()
        self.list.matches.set_query("", False, [])
        self.list.viewport().update()
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def search(self, query: str, case: bool = False) -> int:
        """Search for ``query``; returns how many matches there are (the first one after the top of the screen
        becomes the current match)."""
        self.find_bar.edit.setText(query)
        self._search(query, case)
        return self.list.matches.total

    def find_next(self) -> None:
        self._step(True)

    def find_previous(self) -> None:
        self._step(False)

    def _search(self, query: str, case: bool) -> None:
        matches = self.list.matches
        if query == matches.query and case == matches.case:
            return
        matches.set_query(query, case, self.list.rows)
        if query:
            self._step(True)
        else:
            self._show_count()
        self.list.viewport().update()

    def _step(self, forward: bool) -> None:
        self._search(self.find_bar.edit.text(), self.find_bar.case.isChecked())
        matches = self.list.matches
        found = matches.step(self.list.rows, self.list.geometry_.row_at(self.list.verticalScrollBar().value()),
                             forward)
        if found is not None:
            span = matches.current_span(found[0])
            if span is not None:
                self._reveal(found[0], span[0])
        self.list.viewport().update()
        self._show_count()

    def _show_count(self) -> None:
        matches = self.list.matches
        self.find_bar.show_count(matches.ordinal(self.list.rows), matches.total, matches.query)

    @property
    def match_count(self) -> int:
        return self.list.matches.total
