"""Realtime messages for the transcript view's tests (the JSON objects the service sends), and view helpers."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from studio.core.transcript import Transcript
from studio.core.transcript.paragraphs import Paragraph
from studio.qt.theme import LIGHT, Colors
from studio.qt.transcript import TranscriptView
from studio.qt.transcript.delegate import TEXT_LEFT
from tests.core.test_transcript_model import final, mark, partial, word

__all__ = ["final", "partial", "say"]


def say(text: str, start: float, speaker: str | None = None, *, low: Collection[str] = (),
        step: float = 0.4) -> tuple[list[dict[str, Any]], float]:
    """The results of ``text`` spoken from ``start`` (a word every ``step`` seconds; words in ``low`` with a
    confidence of 0.4), and when it ends."""
    results: list[dict[str, Any]] = []
    at = start
    for token in text.split():
        trailing = token[-1] if token[-1] in ".,?!" else ""
        bare = token.rstrip(".,?!")
        results.append(word(bare, round(at, 3), round(at + step - 0.1, 3), speaker,
                            0.4 if bare in low else 0.95))
        if trailing:
            results.append(mark(trailing, round(at + step - 0.1, 3), speaker))
        at += step
    return results, round(at - 0.1, 3)


def turn(transcript: Transcript, text: str, start: float, speaker: str | None = None, **extra: Any) -> float:
    """A final for ``text``; returns its end."""
    results, end = say(text, start, speaker, low=extra.pop("low", ()))
    transcript.apply(final(results, start, end, **extra))
    return end


def conversation(transcript: Transcript) -> None:
    """Two speakers, three turns (9.5 s)."""
    end = turn(transcript, "Good morning everyone, thanks for joining.", 0.5, "S1")
    end = turn(transcript, "Morning! Should we start with the release schedule?", end + 0.6, "S2", low={"schedule"})
    turn(transcript, "Yes. The beta ships on Friday.", end + 0.6, "S1")


ViewFactory = Callable[..., TranscriptView]


def make_view_factory(qtbot: QtBot) -> ViewFactory:
    def make(transcript: Transcript, mode: str = "live", colors: Colors = LIGHT, size: tuple[int, int] = (700, 480)
             ) -> TranscriptView:
        view = TranscriptView(transcript, lambda: colors, mode=mode)  # type: ignore[arg-type]
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        view.flush()
        return view

    return make


def paragraphs(view: TranscriptView) -> list[Paragraph]:
    return [r for r in view.model.rows if isinstance(r, Paragraph)]


def shown(view: TranscriptView) -> list[tuple[str, str]]:
    """(speaker name, words) of each paragraph row, as the model gives them."""
    index = view.model.paragraph_index
    return [(view.transcript.speakers.display(p.speaker), index.text(p).text) for p in paragraphs(view)]


def word_point(view: TranscriptView, paragraph: Paragraph, token: int) -> QPoint:
    """The middle of a word of ``paragraph`` on screen (viewport coordinates)."""
    row = view.model.row_of(paragraph)
    view.list.scrollTo(view.model.index_of(row))
    layout = view.list.layout_for(row)
    assert layout.text is not None and layout.parts
    start, end = layout.text.span(token)
    left = view.list.delegate_.caret_rect(layout, start)
    right = view.list.delegate_.caret_rect(layout, end)
    top = view.list.visualRect(view.model.index_of(row)).top()
    return QPoint(int((left.x() + right.x()) / 2), int(top + left.y() + left.height() / 2))


def word_edge(view: TranscriptView, paragraph: Paragraph, token: int) -> QPoint:
    """Just inside the start of a word of ``paragraph`` (where a selection from it begins)."""
    row = view.model.row_of(paragraph)
    view.list.scrollTo(view.model.index_of(row))
    layout = view.list.layout_for(row)
    assert layout.text is not None
    left = view.list.delegate_.caret_rect(layout, layout.text.span(token)[0])
    top = view.list.visualRect(view.model.index_of(row)).top()
    return QPoint(int(left.x()) + 1, int(top + left.y() + left.height() / 2))


def name_point(view: TranscriptView, paragraph: Paragraph) -> QPoint:
    row = view.model.row_of(paragraph)
    layout = view.list.layout_for(row)
    rect = view.list.delegate_.name_rect(layout)
    top = view.list.visualRect(view.model.index_of(row)).top()
    return rect.translated(0, top).center()


def time_point(view: TranscriptView, paragraph: Paragraph) -> QPoint:
    row = view.model.row_of(paragraph)
    layout = view.list.layout_for(row)
    rect = view.list.delegate_.time_rect(layout)
    top = view.list.visualRect(view.model.index_of(row)).top()
    return rect.translated(0, top).center()


__all__ += ["TEXT_LEFT", "conversation", "make_view_factory", "name_point", "paragraphs", "shown", "time_point",
            "turn", "word_edge", "word_point"]
