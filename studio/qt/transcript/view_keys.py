"""The keys the transcript view claims while it has the focus, Ctrl+wheel zoom, and its undo/redo actions (a
mixin of ``TranscriptView``). Claimed keys (ShortcutOverride) work even if the window has the same shortcut;
the window's shortcut still works when the focus is elsewhere.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QWheelEvent

if TYPE_CHECKING:
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QWidget

    from studio.qt.transcript.list_view import TranscriptList
    from studio.qt.transcript.search import FindBar

    _Base = QWidget
else:
    _Base = object

ZOOM = 1.1  # the words a little larger than the controls around them: it is a reading pane


class KeysMixin(_Base):
    if TYPE_CHECKING:  # what TranscriptView provides
        list: TranscriptList
        find_bar: FindBar
        undo_stack: QUndoStack
        mode: str

        def show_find(self) -> None: ...
        def hide_find(self) -> None: ...
        def find_next(self) -> None: ...
        def find_previous(self) -> None: ...
        def zoom_in(self) -> None: ...
        def zoom_out(self) -> None: ...
        def set_zoom(self, zoom: float) -> None: ...
        def _place_jump_button(self) -> None: ...

    # -- keys the view claims while it has the focus ---------------------------------------------------------
    def _command(self, event: QKeyEvent) -> Callable[[], None] | None:
        keys = QKeySequence.StandardKey
        if event.matches(keys.Find):
            return self.show_find
        if event.matches(keys.FindNext):
            return self.find_next
        if event.matches(keys.FindPrevious):
            return self.find_previous
        if self.mode == "document" and event.matches(keys.Undo):
            return self.undo_stack.undo
        if self.mode == "document" and (event.matches(keys.Redo) or (
                event.key() == Qt.Key.Key_Z and event.modifiers() == (Qt.KeyboardModifier.ControlModifier
                                                                      | Qt.KeyboardModifier.ShiftModifier))):
            return self.undo_stack.redo
        if event.key() == Qt.Key.Key_Escape and self.find_bar.isVisible() and self.list.selection_.empty:
            return self.hide_find
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.matches(keys.ZoomIn) or (control and event.key() in (Qt.Key.Key_Equal, Qt.Key.Key_Plus)):
            return self.zoom_in
        if event.matches(keys.ZoomOut) or (control and event.key() == Qt.Key.Key_Minus):
            return self.zoom_out
        if control and event.key() == Qt.Key.Key_0:
            return lambda: self.set_zoom(ZOOM)
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.list.viewport() and isinstance(event, QWheelEvent) \
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
            return True
        if watched is self.list and event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self._place_jump_button()  # the find bar opened or closed above the list
        if watched is self.list and isinstance(event, QKeyEvent):
            if event.type() == QEvent.Type.ShortcutOverride:
                if self._command(event) is not None or event.matches(QKeySequence.StandardKey.Copy) \
                        or event.matches(QKeySequence.StandardKey.SelectAll):
                    event.accept()  # these keys are the view's while it has the focus, not the window's
                    return True
            elif event.type() == QEvent.Type.KeyPress:
                command = self._command(event)
                if command is not None:
                    command()
                    return True
        return super().eventFilter(watched, event)

    def actions_for_menus(self) -> builtins.list[QAction]:  # (``list`` here is the view's list)
        """Undo and redo as actions a workspace can put in its menus."""
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        return [undo, redo]
