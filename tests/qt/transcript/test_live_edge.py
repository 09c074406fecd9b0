"""The live edge laid out a line or two at a time (what was laid out before is kept and drawn the same), only
the changed lines repainted, and translations read under the sentence they translate."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.core.transcript import Transcript
from studio.qt.transcript import TranscriptView
from studio.qt.transcript.delegate import ParagraphDelegate, RowLayout
from tests.qt.transcript.feed import ViewFactory, final, paragraphs, partial, say


def lines(layout: RowLayout) -> list[str]:
    """The text of each line drawn, top to bottom, with where it is."""
    assert layout.text is not None
    out = []
    for part in layout.text_parts():
        for i in range(part.layout.lineCount()):
            line = part.layout.lineAt(i)
            start = part.start + line.textStart()
            out.append(f"{part.top + line.y():.1f}:{layout.text.text[start:start + line.textLength()]}")
    return out


def fresh(view: TranscriptView, row: int) -> RowLayout:
    """The row laid out whole, by a delegate that kept nothing."""
    delegate = ParagraphDelegate(view.model.paragraph_index, view.list.viewport(), view.list.delegate_.style)
    delegate.show_timestamps = view.list.delegate_.show_timestamps
    return delegate.layout(view.model.rows[row], view.list.viewport().width())


class Painted(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())  # type: ignore[attr-defined]
        return False


def test_a_growing_paragraph_keeps_its_complete_lines_and_wraps_as_if_laid_out_whole(qtbot: QtBot,
                                                                                     make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t, size=(420, 600))
    words = " ".join(f"word{i}" + ("," if i % 7 == 3 else "") for i in range(120))
    results, _ = say(words, 0.0, "S1", step=0.2)
    kept_before = None
    done = 0
    for n in range(1, len(results) + 1, 3):  # the live edge: a partial grows, finals settle every 12 results
        settled = (n // 12) * 12
        if settled > done:
            t.apply(final(results[done:settled], results[done]["start_time"], results[settled - 1]["end_time"]))
            done = settled
        t.apply(partial(results[settled:n], results[settled]["start_time"] if settled < n else 0.0,
                        results[n - 1]["end_time"]))
        view.flush()
        row = view.model.row_of(paragraphs(view)[0])
        layout = view.list.layout_for(row)
        assert lines(layout) == lines(fresh(view, row)), n  # the same lines, in the same places
        kept = [p.layout for p in layout.text_parts()[:-1]]
        if kept_before is not None:
            assert kept[:len(kept_before)] == kept_before  # what was kept is not laid out again
        kept_before = kept
    assert len(layout.text_parts()) >= 3  # most of the paragraph is kept lines; only its end is laid out
    assert layout.formats()[-1].format.fontItalic()  # the partial words are still drawn lighter, in italics


def test_a_new_word_repaints_the_last_lines_not_the_whole_paragraph(qtbot: QtBot, make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t, size=(420, 600))
    results, _ = say(" ".join(f"w{i}" for i in range(150)), 0.0, "S1", step=0.2)
    t.apply(final(results[:140], 0.0, results[139]["end_time"]))
    for n in (141, 142, 143):  # a few frames: the kept lines settle in
        t.apply(partial(results[140:n], results[140]["start_time"], results[n - 1]["end_time"]))
        view.flush()
    painted = Painted()
    view.list.viewport().installEventFilter(painted)
    QApplication.processEvents()  # those frames are painted
    painted.rects.clear()
    row = view.model.row_of(paragraphs(view)[0])
    height = view.list.geometry_.heights[row]
    short = {**results[143], "alternatives": [{"content": "x", "confidence": 0.9, "speaker": "S1"}]}
    t.apply(partial([*results[140:143], short], results[140]["start_time"], results[143]["end_time"]))  # no new line
    view.flush()
    qtbot.waitUntil(lambda: bool(painted.rects), timeout=3000)
    assert view.list.geometry_.heights[row] == height
    top = view.list.visualRect(view.model.index_of(row)).top()
    assert min(r.top() for r in painted.rects) > top + height // 2  # the last line or two only
    assert "x" in view.model.paragraph_index.text(paragraphs(view)[0]).text


def test_translations_are_read_under_the_sentence_they_translate(make_view: ViewFactory) -> None:
    t = Transcript()
    view = make_view(t)
    results, end = say("Good morning everyone. Shall we start? Yes.", 0.5, "S1")
    t.apply(final(results, 0.5, end))
    t.apply({"message": "AddTranslation", "language": "de",
             "results": [{"content": "Guten Morgen allerseits.", "start_time": 0.5, "end_time": 1.6},
                         {"content": "Sollen wir anfangen? Ja.", "start_time": 1.7, "end_time": end}]})
    view.set_translation("de")
    view.flush()
    layout = view.list.layout_for(view.model.row_of(paragraphs(view)[0]))
    assert layout.text is not None
    read = [(p.translation, p.layout.text()) for p in layout.parts]
    assert read == [(False, "Good morning everyone."), (True, "Guten Morgen allerseits."),
                    (False, "Shall we start? Yes."), (True, "Sollen wir anfangen? Ja.")]
    tops = [p.top for p in layout.parts]
    assert tops == sorted(tops) and len(set(tops)) == 4  # one under the other
    # a click on the second sentence's words still finds them
    second = layout.parts[2]
    caret = view.list.delegate_.caret_rect(layout, second.start + 1)
    hit = view.list.delegate_.hit(layout, caret.x() + 1, caret.y() + caret.height() / 2)
    assert hit.part == "text" and hit.token is not None and layout.text.tokens[hit.token].text == "Shall"
    view.set_translation(None)
    layout = view.list.layout_for(view.model.row_of(paragraphs(view)[0]))
    assert layout.translations() == [] and len(layout.parts) == 1


HEBREW = ("שלום לכולם, תודה שהצטרפתם לפגישה השבועית. נתחיל בלוח הזמנים של הגרסה הבאה, "
          "ואחר כך נדבר על הבדיקות ועל התמיכה בלקוחות.")


def test_a_right_to_left_transcript_reads_right_to_left_and_its_words_are_hit(qtbot: QtBot,
                                                                               make_view: ViewFactory) -> None:
    from PySide6.QtCore import Qt

    t = Transcript("he")
    t.apply({"message": "RecognitionStarted", "language_pack_info": {"writing_direction": "right-to-left",
                                                                     "word_delimiter": " "}})
    view = make_view(t, size=(420, 500))
    view.set_mode("document")
    results, _ = say(" ".join([HEBREW] * 3), 0.5, "S1", step=0.3)
    done = 0
    for n in range(4, len(results), 4):  # it grows as live captions do: kept lines must wrap as a whole layout
        t.apply(final(results[done:n], results[done]["start_time"], results[n - 1]["end_time"]))
        done = n
        view.flush()
        row = view.model.row_of(paragraphs(view)[0])
        assert lines(view.list.layout_for(row)) == lines(fresh(view, row))
    layout = view.list.layout_for(row)
    assert layout.text is not None and len(layout.text_parts()) >= 2
    for part in layout.text_parts():
        option = part.layout.textOption()
        assert option.textDirection() == Qt.LayoutDirection.RightToLeft
        assert option.alignment() & Qt.AlignmentFlag.AlignRight
    first = part.layout.lineAt(0)
    assert first.x() + first.naturalTextWidth() > view.list.viewport().width() * 0.6  # starts at the right edge
    # a click on a word of each part finds that word (visual order is right to left)
    seeks: list[float] = []
    view.seek_requested.connect(seeks.append)
    tokens = layout.text.tokens
    for part in layout.text_parts():
        token = next(i for i, tok in enumerate(tokens) if tok.kind == "word" and layout.text.starts[i] >= part.start)
        rect = view.word_rect(paragraphs(view)[0], token)
        assert not rect.isEmpty()
        qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert seeks[-1] == tokens[token].start, (part.start, tokens[token].text)
