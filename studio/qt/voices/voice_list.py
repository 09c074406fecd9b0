"""The voice list: every voice of the engine with its language, accent, gender and description, filtered by
language; the current row is the voice Play uses, and ticked voices are the ones Compare plays.

``VoiceListModel`` is a Qt item model over a plain list of ``VoiceInfo`` (``set_voices`` replaces it);
``LanguageFilter`` shows one language; ``VoicePanel`` puts a language box over the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.services.voices.catalogue import VoiceInfo, languages

Index = QModelIndex | QPersistentModelIndex
VoiceRole = Qt.ItemDataRole.UserRole + 1
LanguageRole = Qt.ItemDataRole.UserRole + 2
MAX_COMPARED = 4


class VoiceListModel(QAbstractListModel):
    #: The ticked (compared) voices changed.
    compared_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._voices: list[VoiceInfo] = []
        self._compared: list[str] = []

    # -- the collection -----------------------------------------------------------------------------------
    @property
    def voices(self) -> list[VoiceInfo]:
        return list(self._voices)

    def set_voices(self, voices: Sequence[VoiceInfo]) -> None:
        self.beginResetModel()
        self._voices = list(voices)
        known = {voice.id for voice in self._voices}
        self._compared = [voice for voice in self._compared if voice in known]
        self.endResetModel()

    def row_of(self, voice_id: str) -> int:
        return next((row for row, voice in enumerate(self._voices) if voice.id == voice_id), -1)

    @property
    def compared(self) -> list[str]:
        """The ticked voices, in the order they were ticked."""
        return list(self._compared)

    def set_compared(self, voice_ids: Sequence[str]) -> None:
        known = {voice.id for voice in self._voices}
        wanted = [voice for voice in dict.fromkeys(voice_ids) if voice in known or not self._voices]
        if wanted != self._compared:
            self._compared = wanted[:MAX_COMPARED]
            if self._voices:
                self.dataChanged.emit(self.index(0), self.index(len(self._voices) - 1),
                                      [Qt.ItemDataRole.CheckStateRole])
            self.compared_changed.emit()

    # -- the Qt model -------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self._voices)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._voices):
            return None
        voice = self._voices[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return voice.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{voice.name} — {voice.summary}\n{voice.description}\nVoice id: {voice.id}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            ticked = ", compared" if voice.id in self._compared else ""
            return f"{voice.name}, {voice.summary}{ticked}"
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if voice.id in self._compared else Qt.CheckState.Unchecked
        if role == VoiceRole:
            return voice
        if role == LanguageRole:
            return voice.language
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() else base

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        voice = self._voices[index.row()].id
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
        compared = [v for v in self._compared if v != voice]
        if checked:
            compared.append(voice)
            if len(compared) > MAX_COMPARED:
                compared = compared[-MAX_COMPARED:]
        self.set_compared(compared)
        return True


class LanguageFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._language = ""

    @property
    def language(self) -> str:
        return self._language

    def set_language(self, language: str) -> None:
        if language == self._language:
            return
        if hasattr(self, "beginFilterChange"):  # Qt 6.10 and later
            self.beginFilterChange()
            self._language = language
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._language = language
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802 - Qt's name
        if not self._language:
            return True
        model = self.sourceModel()
        return bool(model.data(model.index(source_row, 0, source_parent), LanguageRole) == self._language)


def draw_tick_box(painter: QPainter, palette: QPalette, x: int, y: int, size: int, ticked: bool, *,
                  on_highlight: bool = False) -> None:
    """A tick box that stays visible in both themes and on a highlighted row (the style's own vanishes on a
    dark base)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(x + 0.5, y + 0.5, size - 1, size - 1)
    text = palette.color(QPalette.ColorRole.HighlightedText if on_highlight else QPalette.ColorRole.Text)
    accent = palette.color(QPalette.ColorRole.Highlight)
    if ticked:
        fill = palette.color(QPalette.ColorRole.HighlightedText) if on_highlight else accent
        painter.setPen(QPen(fill, 1.2))
        painter.setBrush(fill)
        painter.drawRoundedRect(box, 3, 3)
        mark = accent if on_highlight else palette.color(QPalette.ColorRole.HighlightedText)
        painter.setPen(QPen(mark, 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        painter.drawPolyline([QPointF(x + size * 0.25, y + size * 0.52), QPointF(x + size * 0.43, y + size * 0.7),
                              QPointF(x + size * 0.76, y + size * 0.32)])
    else:
        border = QColor(text)
        border.setAlphaF(0.55)
        painter.setPen(QPen(border, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, 3, 3)
    painter.restore()


class VoiceDelegate(QStyledItemDelegate):
    """Two lines per voice: the name and what it is, then the description, muted; a tick box for Compare."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802 - Qt's name
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        voice = index.data(VoiceRole)
        if not isinstance(voice, VoiceInfo):
            return
        rect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        elif index.row() % 2:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
        size = 16
        ticked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        draw_tick_box(painter, palette, rect.left() + 8, rect.top() + (rect.height() - size) // 2, size, ticked,
                      on_highlight=selected)
        text_left = rect.left() + 8 + size + 10
        metrics = QFontMetrics(option.font)
        line = metrics.height()
        top = rect.top() + 6
        name_font = QFont(option.font)
        name_font.setBold(True)
        painter.setFont(name_font)
        fg = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(fg)
        name_width = QFontMetrics(name_font).horizontalAdvance(voice.name)
        available = rect.right() - text_left - 8
        painter.drawText(text_left, top, min(name_width, available), line, Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(name_font).elidedText(voice.name, Qt.TextElideMode.ElideRight, available))
        painter.setFont(option.font)
        muted = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(palette.color(muted))
        left = text_left + name_width + 8
        detail = voice.summary if voice.summary != voice.name else voice.id  # eSpeak's names say the language
        if left < rect.right() - 40:
            painter.drawText(left, top, rect.right() - left - 8, line, Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.right() - left - 8))
        painter.drawText(text_left, top + line + 2, available, line, Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(voice.description, Qt.TextElideMode.ElideRight, available))
        painter.restore()

    def editorEvent(self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem,  # noqa: N802
                    index: Index) -> bool:
        """A click on the tick box, or Space, ticks or unticks the voice for Compare."""
        toggle = False
        if isinstance(event, QMouseEvent) and event.type() == QEvent.Type.MouseButtonRelease:
            toggle = event.position().x() < option.rect.left() + 8 + 16 + 6
        elif isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            toggle = event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Select)
        if toggle:
            ticked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
            model.setData(index, Qt.CheckState.Unchecked if ticked else Qt.CheckState.Checked,
                          Qt.ItemDataRole.CheckStateRole)
        return toggle


class VoicePanel(QWidget):
    #: The chosen voice (the current row) changed.
    voice_chosen = Signal(str)
    language_chosen = Signal(str)

    ALL = "All languages"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = VoiceListModel(self)
        self.filter = LanguageFilter(self)
        self.filter.setSourceModel(self.model)
        self.heading = QLabel("Voices")
        self.heading.setObjectName("PanelHeading")
        self.count_label = QLabel("")
        self.count_label.setObjectName("SectionHint")
        self.language_combo = QComboBox()
        self.language_combo.setAccessibleName("Language filter")
        self.language_combo.setToolTip("Show the voices of one language")
        self.language_combo.addItem(self.ALL, "")
        self.language_combo.currentIndexChanged.connect(self._language_changed)
        self.view = QListView()
        self.view.setModel(self.filter)
        self.view.setItemDelegate(VoiceDelegate(self.view))
        self.view.setAccessibleName("Voices")
        self.view.setAccessibleDescription("Select the voice to play; tick voices to compare them.")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(True)
        self.view.selectionModel().currentChanged.connect(self._current_changed)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.heading)
        top.addWidget(self.count_label)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.language_combo)
        layout.addWidget(self.view, 1)
        self._choosing = False

    def set_voices(self, voices: Sequence[VoiceInfo], chosen: str, language: str) -> None:
        self._choosing = True
        self.model.set_voices(voices)
        self.language_combo.blockSignals(True)
        self.language_combo.clear()
        self.language_combo.addItem(f"{self.ALL} ({len(voices)})", "")
        for name, count in languages(voices):
            self.language_combo.addItem(f"{name} ({count})", name)
        index = self.language_combo.findData(language)
        self.language_combo.setCurrentIndex(max(0, index))
        self.language_combo.blockSignals(False)
        self.filter.set_language(language if index > 0 else "")
        self.count_label.setText(f"{len(voices)}")
        self._choosing = False
        self.choose(chosen)

    def choose(self, voice_id: str) -> None:
        row = self.model.row_of(voice_id)
        if row < 0:
            return
        index = self.filter.mapFromSource(self.model.index(row))
        if not index.isValid():  # filtered out: show every language
            self.language_combo.setCurrentIndex(0)
            index = self.filter.mapFromSource(self.model.index(row))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)

    @property
    def chosen(self) -> str | None:
        voice = self.view.currentIndex().data(VoiceRole)
        return voice.id if isinstance(voice, VoiceInfo) else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        voice = current.data(VoiceRole)
        if isinstance(voice, VoiceInfo) and not self._choosing:
            self.voice_chosen.emit(voice.id)

    def _language_changed(self, _index: int) -> None:
        language = str(self.language_combo.currentData() or "")
        chosen = self.chosen
        self.filter.set_language(language)
        if chosen is not None:
            row = self.model.row_of(chosen)
            index = self.filter.mapFromSource(self.model.index(row))
            if index.isValid():
                self.view.setCurrentIndex(index)
        self.language_chosen.emit(language)
