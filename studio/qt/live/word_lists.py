"""The session's two lists, edited in small dialogs: custom words with their sounds-like spellings, and the
languages to translate into.

Each list is a plain Python list behind a thin Qt item model (``VocabModel``: columns *Word* and *Sounds
like*, editable in place; ``LanguageChecklist``: one checkable row per language, at most ``limit`` checked).
The dialogs hand back plain values (``VocabEntry`` tuples, language codes); nothing here knows the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.api.config import VocabEntry
from studio.core.languages import LANGUAGES
from studio.qt.widgets.labels import make_label

Index = QModelIndex | QPersistentModelIndex
ROLE = Qt.ItemDataRole
ROOT = QModelIndex()


class VocabModel(QAbstractTableModel):
    """Rows of [word, sounds-like spellings]; the sounds-like column is edited as comma-separated text."""

    HEADERS = ("Word", "Sounds like (comma-separated)")

    def __init__(self, entries: Sequence[VocabEntry] = ()) -> None:
        super().__init__()
        self.rows: list[list[Any]] = [[e.content, list(e.sounds_like)] for e in entries]

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = ROLE.DisplayRole) -> Any:  # noqa: N802
        if orientation is Qt.Orientation.Horizontal and role == ROLE.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = ROLE.DisplayRole) -> Any:
        if not index.isValid():
            return None
        word, sounds = self.rows[index.row()]
        if role in (ROLE.DisplayRole, ROLE.EditRole):
            return word if index.column() == 0 else ", ".join(sounds)
        if role == ROLE.AccessibleTextRole:
            return f"{word}: sounds like {', '.join(sounds)}" if sounds else word
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = ROLE.EditRole) -> bool:  # noqa: N802 - Qt's name
        if not index.isValid() or role != ROLE.EditRole:
            return False
        text = str(value).strip()
        if index.column() == 0:
            self.rows[index.row()][0] = text.replace("|", " ")
        else:
            self.rows[index.row()][1] = [p.strip().replace("|", " ") for p in text.split(",") if p.strip()]
        self.dataChanged.emit(index, index)
        return True

    def add(self, word: str = "") -> QModelIndex:
        row = len(self.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows.append([word, []])
        self.endInsertRows()
        return self.index(row, 0)

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            self.endRemoveRows()

    def entries(self) -> tuple[VocabEntry, ...]:
        return tuple(VocabEntry(word, tuple(sounds)) for word, sounds in self.rows if word.strip())


class LanguageChecklist(QAbstractListModel):
    """Every language by name, checkable, at most ``limit`` checked."""

    def __init__(self, checked: Sequence[str] = (), *, limit: int = 5, exclude: str = "") -> None:
        super().__init__()
        self.codes = sorted((c for c in LANGUAGES if c != exclude), key=lambda c: LANGUAGES[c])
        self.checked: list[str] = [c for c in checked if c in LANGUAGES][:limit]
        self.limit = limit

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.codes)

    def data(self, index: Index, role: int = ROLE.DisplayRole) -> Any:
        if not index.isValid():
            return None
        code = self.codes[index.row()]
        if role in (ROLE.DisplayRole, ROLE.AccessibleTextRole):
            return LANGUAGES[code]
        if role == ROLE.CheckStateRole:
            return Qt.CheckState.Checked if code in self.checked else Qt.CheckState.Unchecked
        if role == ROLE.UserRole:
            return code
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        code = self.codes[index.row()] if index.isValid() else ""
        if code in self.checked or len(self.checked) < self.limit:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = ROLE.EditRole) -> bool:  # noqa: N802 - Qt's name
        if not index.isValid() or role != ROLE.CheckStateRole:
            return False
        code = self.codes[index.row()]
        on = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if on and code not in self.checked:
            if len(self.checked) >= self.limit:
                return False
            self.checked.append(code)
        elif not on and code in self.checked:
            self.checked.remove(code)
        else:
            return False
        # Whether the other rows may still be checked changed too.
        self.dataChanged.emit(self.index(0), self.index(len(self.codes) - 1))
        return True


def _buttons(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class VocabDialog(QDialog):
    def __init__(self, entries: Sequence[VocabEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom words")
        self.setAccessibleName("Custom words")
        self.resize(520, 380)
        self.model = VocabModel(entries)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Custom words and how they sound")
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        add = QPushButton("Add a word")
        add.setAccessibleName("Add a custom word")
        add.clicked.connect(self._add)
        remove = QPushButton("Remove")
        remove.setAccessibleName("Remove the selected word")
        remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(make_label("Words the service should know — names, jargon — with how they sound "
                                    "when it is not obvious (e.g. “Speechmatics” sounds like “speech "
                                    "matics”).", "SectionHint", wrap=True))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(_buttons(self))

    def _add(self) -> None:
        index = self.model.add()
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    def _remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()}, reverse=True)
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        for row in rows:
            self.model.remove(row)

    def entries(self) -> tuple[VocabEntry, ...]:
        return self.model.entries()


class TranslationDialog(QDialog):
    def __init__(self, targets: Sequence[str], language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Translate into")
        self.setAccessibleName("Translation languages")
        self.resize(320, 440)
        self.model = LanguageChecklist(targets, exclude=language)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setAccessibleName("Languages to translate into (at most five)")
        layout = QVBoxLayout(self)
        layout.addWidget(make_label("Up to five languages; translations appear under each sentence.",
                                    "SectionHint", wrap=True))
        layout.addWidget(self.list, 1)
        layout.addWidget(_buttons(self))

    def targets(self) -> tuple[str, ...]:
        return tuple(self.model.checked)
