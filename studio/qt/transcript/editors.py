"""Editing in place: a speaker's name (over the name) and a paragraph's words (over the paragraph).

Both take Enter to accept, Escape to cancel, and accept when the user clicks elsewhere. Neither changes
anything itself: they emit what the user typed and the view writes it through the transcript's methods.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFont, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QPlainTextEdit, QWidget

from studio.core.transcript.paragraphs import Paragraph


class NameEditor(QLineEdit):
    renamed = Signal(str, str)  # speaker key, the name typed ("" restores the default name)
    finished = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAccessibleName("Speaker name")
        self.setToolTip("Enter renames this speaker everywhere; Esc cancels; an empty name restores the default")
        self.key = ""
        self._original = ""
        self.hide()

    def open(self, key: str, name: str, rect: QRect, font: QFont) -> None:
        self.key = key
        self._original = name
        self.setFont(font)
        self.setText(name)
        self.setPlaceholderText("Speaker name")
        height = max(rect.height() + 8, self.sizeHint().height())
        self.setGeometry(QRect(rect.left() - 4, rect.top() - (height - rect.height()) // 2,
                               max(rect.width() + 60, 180), height))
        self.selectAll()
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _close(self, accept: bool) -> None:
        if not self.isVisible():
            return
        self.hide()
        if accept and self.text().strip() != self._original:
            self.renamed.emit(self.key, self.text().strip())
        self.finished.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._close(True)
        elif event.key() == Qt.Key.Key_Escape:
            self._close(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self._close(True)


class ParagraphEditor(QPlainTextEdit):
    edited = Signal(object, str)  # the Paragraph, its new text
    finished = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAccessibleName("Edit paragraph text")
        self.setToolTip("Enter keeps the change (the words keep their timing); Esc cancels")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setTabChangesFocus(True)
        self.paragraph: Paragraph | None = None
        self._original = ""
        self.textChanged.connect(self._fit)
        self.hide()

    def open(self, paragraph: Paragraph, text: str, rect: QRect, font: QFont) -> None:
        self.paragraph = paragraph
        self._original = text
        self.setFont(font)
        self.setPlainText(text)
        self.setGeometry(rect.adjusted(-8, -6, 8, 6))
        self._fit()
        self.selectAll()
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fit(self) -> None:
        """As tall as its text at its width (it grows as the user types)."""
        margins = self.contentsMargins()
        inner = round(2 * self.document().documentMargin()) + margins.left() + margins.right() + 4
        width = max(40, self.width() - inner)
        text = self.toPlainText() or " "
        bound = self.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text)
        height = bound.height() + round(2 * self.document().documentMargin()) + margins.top() + margins.bottom() + 4
        self.resize(self.width(), max(height, self.fontMetrics().lineSpacing() + 12))

    def _close(self, accept: bool) -> None:
        if not self.isVisible():
            return
        self.hide()
        text = " ".join(self.toPlainText().split())
        paragraph, self.paragraph = self.paragraph, None
        if accept and paragraph is not None and text != self._original:  # "" deletes the words (undoable)
            self.edited.emit(paragraph, text)
        self.finished.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._close(True)
        elif event.key() == Qt.Key.Key_Escape:
            self._close(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self._close(True)
