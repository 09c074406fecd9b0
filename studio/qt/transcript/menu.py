"""The transcript's context menu: Copy, Speak this line, Play from here, Rename, Edit text, bookmarks, Select all.

"Copy" copies the selection (names and times included across paragraphs), else the paragraph's words;
"Speak this line" speaks the selected words, else the paragraph's (never names or times).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from studio.core.transcript.paragraphs import BookmarkRow, Paragraph, Row
from studio.qt.transcript.selection import selected_words

if TYPE_CHECKING:
    from studio.qt.transcript.view import TranscriptView


def build_menu(view: TranscriptView, item: Row | None, when: float | None) -> QMenu:
    menu = QMenu(view)
    menu.setAccessibleName("Transcript menu")
    index = view.model.paragraph_index
    paragraph_words = index.text(item).text if isinstance(item, Paragraph) else ""
    copy_text = view.list.selected_text() or paragraph_words
    copy = menu.addAction("Copy", lambda: _copy(copy_text))
    copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
    copy.setEnabled(bool(copy_text))
    words = selected_words(view.list.selection_, view.list.rows, index) or paragraph_words
    speak = menu.addAction("Speak this line", lambda: view.speak_requested.emit(words))
    speak.setEnabled(bool(words))
    document = view.mode == "document"
    if document and item is not None:
        start = when if when is not None else item.start
        menu.addAction("Play from here", lambda: view.seek_requested.emit(start))
    if isinstance(item, Paragraph):
        name = view.transcript.speakers.display(item.speaker)
        menu.addAction(f"Rename “{name}”…", lambda: view.rename_speaker(item))
        if document and not item.is_live:
            edit = menu.addAction("Edit text…", lambda: view.edit_paragraph(item))
            edit.setShortcut(QKeySequence(Qt.Key.Key_F2))
            at = when if when is not None else item.start
            menu.addAction("Add a bookmark here", lambda: view.transcript.add_bookmark(at))
    if isinstance(item, BookmarkRow):
        bookmark = item.bookmark
        menu.addAction("Remove bookmark", lambda: view.transcript.remove_bookmark(bookmark))
    menu.addSeparator()
    select = menu.addAction("Select all", view.list.select_all)
    select.setShortcut(QKeySequence(QKeySequence.StandardKey.SelectAll))
    return menu


def _copy(text: str) -> None:
    if text:
        QApplication.clipboard().setText(text)
