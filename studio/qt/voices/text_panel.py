"""The text to speak: a text box with sample texts and the texts used last, and a character counter that
says, before anything is sent, whether the engine will take it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from studio.qt.widgets.labels import set_role

SAMPLES: tuple[tuple[str, str], ...] = (
    ("Welcome", "Welcome to the future of speech technology! This is how I sound when I read your text aloud."),
    ("Numbers and dates", "Your appointment is on Tuesday, the 14th of March, at 3:45 pm. The reference number is "
                          "AB-2049, and the fee is £27.50."),
    ("A question", "Have you ever wondered what your words would sound like in someone else's voice?"),
    ("Names and places", "Siobhán flew from Reykjavík to Kraków via Zürich, then took the train to "
                         "Llanfairpwllgwyngyll."),
    ("A paragraph", "The meeting started late, but it ended on time. We agreed on three things: the launch moves "
                    "to June, the budget stays as it is, and everyone gets a clearer brief by Friday. Any "
                    "questions can go to the project channel."),
    ("French", "Bonjour à tous ! Voici comment je lis un texte en français."),
    ("German", "Guten Tag! So klingt dieser Text, wenn ich ihn auf Deutsch vorlese."),
    ("Spanish", "¡Hola a todos! Así suena este texto cuando lo leo en voz alta."),
)


class SpeechTextEdit(QPlainTextEdit):
    """Ctrl+Return plays (the window's shortcut); a plain Return stays a new line."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            event.ignore()  # let the window's action have it
            return
        super().keyPressEvent(event)


class TextPanel(QWidget):
    text_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._limit = 0
        self.heading = QLabel("Text")
        self.heading.setObjectName("PanelHeading")
        self.edit = SpeechTextEdit()
        self.edit.setAccessibleName("Text to speak")
        self.edit.setPlaceholderText("Type or paste what the voice should say, or pick a sample text…")
        self.edit.setTabChangesFocus(True)
        self.edit.setMinimumHeight(72)
        self.edit.textChanged.connect(self._changed)
        self.samples = QComboBox()
        self.samples.setAccessibleName("Sample texts")
        self.samples.setToolTip("Put a sample text in the box")
        self.samples.addItem("Sample texts…", "")
        for title, text in SAMPLES:
            self.samples.addItem(title, text)
        self.samples.activated.connect(self._sample_picked)
        self.recent = QComboBox()
        self.recent.setAccessibleName("Recent texts")
        self.recent.setToolTip("Put a text you used before in the box")
        self.recent.activated.connect(self._recent_picked)
        self.recent.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.recent.setMinimumContentsLength(16)
        self.set_recent([])
        self.counter = QLabel("")
        self.counter.setObjectName("SectionHint")
        self.counter.setAccessibleName("Character count")
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.heading)
        row.addSpacing(8)
        row.addWidget(self.samples)
        row.addWidget(self.recent)
        row.addStretch(1)
        row.addWidget(self.counter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(row)
        layout.addWidget(self.edit, 1)

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Replaces the text (undoable with Ctrl+Z, so nothing typed is lost)."""
        cursor = self.edit.textCursor()
        cursor.beginEditBlock()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.edit.setTextCursor(cursor)

    def set_limit(self, limit: int) -> None:
        self._limit = limit
        self._count()

    @property
    def over_limit(self) -> bool:
        return bool(self._limit) and len(self.text) > self._limit

    def set_recent(self, texts: Sequence[str]) -> None:
        self.recent.clear()
        self.recent.addItem("Recent texts…" if texts else "No recent texts yet", "")
        for text in texts:
            one_line = " ".join(text.split())
            self.recent.addItem(one_line if len(one_line) <= 60 else one_line[:57] + "…", text)
            self.recent.setItemData(self.recent.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.recent.setEnabled(bool(texts))

    def _sample_picked(self, index: int) -> None:
        text = self.samples.itemData(index)
        if text:
            self.set_text(str(text))
            self.edit.setFocus()
        self.samples.setCurrentIndex(0)

    def _recent_picked(self, index: int) -> None:
        text = self.recent.itemData(index)
        if text:
            self.set_text(str(text))
            self.edit.setFocus()
        self.recent.setCurrentIndex(0)

    def _changed(self) -> None:
        self._count()
        self.text_changed.emit()

    def _count(self) -> None:
        count = len(self.text)
        if self._limit:
            self.counter.setText(f"{count:,} / {self._limit:,} characters")
            over = count > self._limit
            set_role(self.counter, "ErrorText" if over else "SectionHint")
            self.counter.setToolTip(f"{count - self._limit:,} characters over the limit: shorten the text"
                                    if over else "The engine takes this many characters at a time")
        else:
            self.counter.setText(f"{count:,} characters")
