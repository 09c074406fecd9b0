"""Undoable edits of a transcript's words (QUndoCommand), written through the transcript's own methods.

The first ``redo`` is ``Transcript.edit`` (words that stay keep their timing, changed words take the timing of
the words they replace; an empty text deletes them); undo and later redos swap the same range of finals back
and forth with ``Transcript.replace_finals``, so every observer (the view, the overlay, exports) follows each
step.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from studio.core.transcript import Segment, Token, Transcript


class EditWords(QUndoCommand):
    def __init__(self, transcript: Transcript, segment: Segment, text: str) -> None:
        preview = text if len(text) <= 32 else text[:31] + "…"
        gone = segment.text if len(segment.text) <= 32 else segment.text[:31] + "…"
        super().__init__(f"Edit “{preview}”" if text.strip() else f"Delete “{gone}”")
        self._transcript = transcript
        self._segment = segment
        self._text = text
        self._old: tuple[Token, ...] = segment.tokens
        self._new: tuple[Token, ...] | None = None

    def redo(self) -> None:
        if self._new is None:
            self._new = tuple(self._transcript.edit(self._segment, self._text))
        else:
            first = self._segment.first
            self._transcript.replace_finals(self._segment.channel, first, first + len(self._old), self._new)

    def undo(self) -> None:
        if self._new is None:
            return
        first = self._segment.first
        self._transcript.replace_finals(self._segment.channel, first, first + len(self._new), self._old)
