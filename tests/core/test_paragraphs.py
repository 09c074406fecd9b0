"""The paragraph index: turns, the live edge, channels, bookmarks, edits — and that its op log replays exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.transcript import Transcript
from studio.core.transcript.paragraphs import (
    BookmarkRow,
    Changed,
    Inserted,
    Op,
    Paragraph,
    ParagraphIndex,
    Removed,
    Renamed,
    Reset,
    Row,
    render_offsets,
)
from tests.core.test_transcript_model import final, mark, partial, word


class Mirror:
    """What a view does with the op log: its own copy of the rows, changed only by the ops."""

    def __init__(self, index: ParagraphIndex) -> None:
        self.index = index
        self.rows: list[Row] = list(index.rows)
        self.changed: list[Row] = []
        index.take_ops()

    def sync(self) -> list[Op]:
        ops = self.index.take_ops()
        for op in ops:
            if isinstance(op, Inserted):
                self.rows.insert(op.row, op.item)
            elif isinstance(op, Removed):
                assert self.rows[op.row] is op.item
                del self.rows[op.row]
            elif isinstance(op, Changed):
                self.changed.append(op.item)
            elif isinstance(op, Reset):
                self.rows = list(self.index.rows)
        assert self.rows == self.index.rows
        return ops


def feed(transcript: Transcript) -> tuple[ParagraphIndex, Mirror]:
    index = ParagraphIndex(transcript)
    transcript.changes.subscribe(index.apply)
    return index, Mirror(index)


def texts(index: ParagraphIndex) -> list[tuple[str, str]]:
    out = []
    for row in index.rows:
        if isinstance(row, Paragraph):
            out.append((row.speaker, index.text(row).text))
        else:
            out.append(("bookmark", row.bookmark.label))
    return out


def sentence(words: str, start: float, speaker: str | None = None, step: float = 0.4) -> list[dict[str, Any]]:
    results = []
    at = start
    for token in words.split():
        mark_char = token[-1] if token[-1] in ".,?!" else ""
        results.append(word(token.rstrip(".,?!"), at, at + step - 0.1, speaker))
        if mark_char:
            results.append(mark(mark_char, at + step - 0.1, speaker))
        at += step
    return results


def test_a_paragraph_per_speaker_turn_with_punctuation_kept() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("Hello there.", 0.0, "S1") + sentence("Hi, how are you?", 1.0, "S2"), 0, 3))
    t.apply(final(sentence("Fine thanks.", 3.0, "S2"), 3, 4))
    t.apply(final(sentence("Good.", 4.0, "S1"), 4, 5))
    mirror.sync()
    assert texts(index) == [("S1", "Hello there."), ("S2", "Hi, how are you? Fine thanks."), ("S1", "Good.")]
    assert [isinstance(r, Paragraph) and r.continued for r in index.rows] == [False, False, False]


def test_long_pauses_and_long_monologues_start_new_paragraphs() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("One two.", 0.0, "S1"), 0, 1))
    t.apply(final(sentence("Three four.", 10.0, "S1"), 10, 11))  # a long pause
    mirror.sync()
    assert texts(index) == [("S1", "One two."), ("S1", "Three four.")]
    second = index.rows[1]
    assert isinstance(second, Paragraph) and second.continued  # same speaker: views may leave the name out
    t2 = Transcript()
    index2 = ParagraphIndex(t2, long_words=5)
    t2.changes.subscribe(index2.apply)
    t2.apply(final(sentence("a b c d e f g. h i j.", 0.0, "S1"), 0, 5))
    assert texts(index2) == [("S1", "a b c d e f g."), ("S1", "h i j.")]  # split at the sentence end after 5


def test_partials_continue_the_last_paragraph_then_settle_in_place() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("Hello there.", 0.0, "S1"), 0, 1))
    mirror.sync()
    t.apply(partial([word("How", 1.0, 1.2, "S1")], 1.0, 1.3))
    mirror.sync()
    only = index.rows[0]
    assert isinstance(only, Paragraph) and len(index.rows) == 1
    assert index.text(only).text == "Hello there. How" and index.text(only).partial_from == 3
    t.apply(partial([word("How", 1.0, 1.2, "S1"), word("are", 1.3, 1.5, "S1")], 1.0, 1.6))
    ops = mirror.sync()
    assert ops == [Changed(only)]  # replaced in place: one row changed, nothing inserted
    t.apply(final([word("How", 1.0, 1.2, "S1"), word("are", 1.3, 1.5, "S1")], 1.0, 1.6))
    t.apply(partial([], 1.6, 1.6))
    mirror.sync()
    assert texts(index) == [("S1", "Hello there. How are")]
    assert not only.partial and index.text(only).partial_from == 5


def test_a_new_speakers_partial_is_a_live_paragraph_at_the_edge() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("Hello there.", 0.0, "S1"), 0, 1))
    t.apply(partial([word("Hi", 1.0, 1.2, "S2")], 1.0, 1.3))
    mirror.sync()
    live = index.rows[-1]
    assert isinstance(live, Paragraph) and live.is_live and live.speaker == "S2"
    t.apply(partial([word("Hi", 1.0, 1.2, "S2"), word("you", 1.3, 1.5, "S2")], 1.0, 1.6))
    assert mirror.sync() == [Changed(live)]
    t.apply(final([word("Hi", 1.0, 1.2, "S2"), word("you", 1.3, 1.5, "S2")], 1.0, 1.6))
    mirror.sync()
    assert texts(index) == [("S1", "Hello there."), ("S2", "Hi you")]
    assert not any(isinstance(r, Paragraph) and r.is_live for r in index.rows)


def test_reading_mode_leaves_partials_out_and_back_in() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("Hello.", 0.0, "S1"), 0, 1))
    t.apply(partial([word("and", 0.6, 0.8, "S1")], 0.6, 0.9))
    t.apply(partial([word("so", 0.6, 0.8, "S2")], 0.6, 0.9))
    index.set_partials(False)
    mirror.sync()
    assert texts(index) == [("S1", "Hello.")]
    index.set_partials(True)
    mirror.sync()
    assert texts(index) == [("S1", "Hello."), ("S2", "so")]


def test_two_channels_interleave_in_time_each_with_its_live_edge() -> None:
    t = Transcript()
    index, mirror = feed(t)
    me = {"channel": "Me"}
    them = {"channel": "Them"}
    t.apply(final(sentence("Can you hear me?", 0.0), 0, 2, **me))
    t.apply(final(sentence("Yes I can.", 2.0), 2, 3.5, **them))
    t.apply(final(sentence("Great, let us start.", 1.8 + 2.0), 3.8, 6, **me))  # after Them began: a new turn
    t.apply(partial([word("Sure", 6.0, 6.3)], 6.0, 6.4, **them))
    t.apply(partial([word("So", 6.1, 6.3)], 6.1, 6.4, **me))
    mirror.sync()
    # Them's partial began (6.0) before Me's (6.1): in time order, each at its channel's live edge.
    assert texts(index) == [("Me", "Can you hear me?"), ("Them", "Yes I can."), ("Me", "Great, let us start."),
                            ("Them", "Sure"), ("Me", "So")]
    assert [r.is_live for r in index.rows if isinstance(r, Paragraph)] == [False, False, False, True, True]
    t.apply(partial([word("So", 5.95, 6.05)], 5.95, 6.1, **me))  # revised: Me spoke first after all
    mirror.sync()
    assert texts(index)[2:] == [("Me", "Great, let us start. So"), ("Them", "Sure")]
    assert t.speakers.get("Me").colour == 0 and t.speakers.get("Them").colour == 1


def test_the_other_channel_takes_the_turn_at_a_sentence_end_or_a_pause_not_mid_sentence() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("I think that", 0.0), 0, 1.2, channel="Me"))
    t.apply(final(sentence("Mm-hm.", 1.0), 1.0, 1.4, channel="Them"))  # a backchannel inside Me's sentence
    t.apply(final(sentence("we should go.", 1.3), 1.3, 2.5, channel="Me"))
    t.apply(final(sentence("Okay.", 2.6), 2.6, 3.0, channel="Them"))
    t.apply(final(sentence("Now?", 3.4), 3.4, 3.8, channel="Me"))  # after Me's sentence end: a new turn
    mirror.sync()
    assert texts(index) == [("Me", "I think that we should go."), ("Them", "Mm-hm. Okay."), ("Me", "Now?")]


def test_crosstalk_and_echo_do_not_cut_sentences_into_words() -> None:
    t = Transcript()
    index, mirror = feed(t)
    for n, start in enumerate((0.5, 3.0)):  # the meeting in the microphone too: both channels, the same words
        for channel in ("Me", "Them"):
            words = sentence("Welcome to the studio." if n == 0 else "This session is scripted.", start + 0.02 * n)
            t.apply(partial(words[:2], start, start + 1, channel=channel))
            t.apply(final(words, start, start + 2, channel=channel))
    mirror.sync()
    assert texts(index) == [("Me", "Welcome to the studio."), ("Them", "Welcome to the studio."),
                            ("Me", "This session is scripted."), ("Them", "This session is scripted.")]


def test_a_rename_changes_no_row() -> None:
    t = Transcript()
    _index, mirror = feed(t)
    t.apply(final(sentence("Hello.", 0.0, "S1"), 0, 1))
    mirror.sync()
    t.speakers.rename("S1", "Alice")
    assert mirror.sync() == [Renamed("S1", "Alice")]


def test_bookmarks_are_rows_that_split_and_rejoin_paragraphs() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("one two three four", 0.0, "S1"), 0, 2))
    mirror.sync()
    bookmark = t.add_bookmark(0.8, "here")
    mirror.sync()
    assert texts(index) == [("S1", "one two"), ("bookmark", "here"), ("S1", "three four")]
    t.remove_bookmark(bookmark)
    mirror.sync()
    assert texts(index) == [("S1", "one two three four")]
    # A live bookmark (at the edge): the words spoken after it start a paragraph after it.
    t.add_bookmark(2.0)
    t.apply(final(sentence("five six", 1.6, "S1"), 1.6, 2.5))
    mirror.sync()
    assert texts(index) == [("S1", "one two three four five"), ("bookmark", ""), ("S1", "six")]
    assert isinstance(index.rows[1], BookmarkRow)


def test_an_edit_changes_one_paragraph_and_keeps_later_ones_in_step() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("Hello there.", 0.0, "S1") + sentence("Hi you.", 1.0, "S2")
                  + sentence("Bye now.", 2.0, "S1"), 0, 3))
    mirror.sync()
    first, _second, third = index.rows
    assert isinstance(first, Paragraph) and isinstance(third, Paragraph)
    t.edit(index.segment(first), "Hello over there, friend.")
    ops = mirror.sync()
    assert ops == [Changed(first)]
    assert texts(index) == [("S1", "Hello over there, friend."), ("S2", "Hi you."), ("S1", "Bye now.")]
    assert index.text(third).tokens[0].text == "Bye" and third.first == first.stop + 3
    assert index.finals(first)[0].start == 0.0  # the words keep their timing


def test_an_edit_that_empties_a_paragraph_deletes_it_and_undo_brings_it_back() -> None:
    t = Transcript()
    index, mirror = feed(t)
    t.apply(final(sentence("Hello there.", 0.0, "S1") + sentence("Hi you.", 1.0, "S2")
                  + sentence("Bye now.", 2.0, "S1"), 0, 3))
    mirror.sync()
    middle = index.rows[1]
    assert isinstance(middle, Paragraph)
    segment = index.segment(middle)
    t.edit(segment, "")
    mirror.sync()
    assert texts(index) == [("S1", "Hello there. Bye now.")]  # the neighbours join, as if never apart
    t.replace_finals(segment.channel, segment.first, segment.first, segment.tokens)  # undo
    mirror.sync()
    assert texts(index) == [("S1", "Hello there."), ("S2", "Hi you."), ("S1", "Bye now.")]
    assert [r.start for r in index.rows] == [0.0, 1.0, 2.0]  # each row at its first word's time
    assert texts(ParagraphIndex(t)) == texts(index)


def test_paragraph_at_finds_the_words_being_played() -> None:
    t = Transcript()
    index, _ = feed(t)
    t.apply(final(sentence("Hello there.", 0.0, "S1") + sentence("Hi you.", 5.0, "S2"), 0, 6))
    found = index.paragraph_at(5.3)
    assert found is not None and found.speaker == "S2"
    found = index.paragraph_at(0.1)
    assert found is not None and found.speaker == "S1"


def test_translations_go_under_their_paragraph() -> None:
    t = Transcript()
    index, mirror = feed(t)
    index.set_translation("de")
    t.apply(final(sentence("Hello there.", 0.0, "S1") + sentence("Hi you.", 5.0, "S2"), 0, 6))
    mirror.sync()
    t.apply({"message": "AddTranslation", "language": "de",
             "results": [{"content": "Hallo.", "start_time": 0.0, "end_time": 0.7},
                         {"content": "Hi du.", "start_time": 5.0, "end_time": 5.7}]})
    ops = mirror.sync()
    assert {id(op.item) for op in ops if isinstance(op, Changed)} == {id(r) for r in index.rows}
    first, second = index.rows
    assert isinstance(first, Paragraph) and isinstance(second, Paragraph)
    assert [s.text for s in index.sentences(first, "de")[0]] == ["Hallo."]
    assert [s.text for s in index.sentences(second, "de")[0]] == ["Hi du."]


def test_translations_are_read_under_the_sentence_they_translate() -> None:
    t = Transcript()
    index, mirror = feed(t)
    index.set_translation("de")
    t.apply(final(sentence("Hello there. How are you? Fine.", 0.0, "S1"), 0, 3))
    t.apply(partial([word("and", 2.9, 3.1, "S1")], 2.9, 3.2))
    mirror.sync()
    (paragraph,) = index.rows
    assert isinstance(paragraph, Paragraph)
    t.apply({"message": "AddTranslation", "language": "de",
             "results": [{"content": "Hallo.", "start_time": 0.0, "end_time": 0.7},
                         {"content": "Wie geht's? Gut.", "start_time": 0.8, "end_time": 2.7}]})
    t.apply({"message": "AddPartialTranslation", "language": "de",
             "results": [{"content": "und", "start_time": 2.9, "end_time": 3.1}]})
    mirror.sync()
    text = index.text(paragraph).text
    blocks = index.blocks(paragraph, "de")
    # each translation right after the last source sentence it covers; the partial one at the live edge
    assert [(text[:b.end], b.final, b.partial) for b in blocks] == [
        ("Hello there.", ("Hallo.",), ()),
        ("Hello there. How are you? Fine.", ("Wie geht's? Gut.",), ()),
        (text, (), ("und",))]
    assert text.endswith("Fine. and")
    assert index.blocks(paragraph, "fr") == ()


def test_a_translation_without_a_channel_goes_to_the_channel_whose_words_it_matches() -> None:
    t = Transcript()
    index, mirror = feed(t)
    index.set_translation("de")
    t.apply(final(sentence("Good morning.", 0.0), 0, 1, channel="Me"))
    t.apply(final(sentence("Hi.", 0.5, step=0.3), 0.5, 1.2, channel="Them"))  # began inside Me's paragraph
    mirror.sync()
    me, them = (r for r in index.rows if isinstance(r, Paragraph))
    t.apply({"message": "AddTranslation", "language": "de",  # realtime: no channel on a translation
             "results": [{"content": "Hallo.", "start_time": 0.5, "end_time": 0.7}]})
    mirror.sync()
    assert (me.channel, them.channel) == ("Me", "Them")
    assert [s.text for s in index.sentences(them, "de")[0]] == ["Hallo."]
    assert index.sentences(me, "de")[0] == []


def test_offsets_match_render() -> None:
    t = Transcript()
    t.apply(final([word("Well", 0.0, 0.2), mark(",", 0.2), mark("“", 0.3, attaches_to="next"), word("yes", 0.3, 0.5),
                   mark("”", 0.5), word("no", 0.6, 0.8), mark(".", 0.8)], 0, 1))
    text, starts = render_offsets(t.finals())
    assert text == "Well, “yes” no."
    for token, start in zip(t.finals(), starts, strict=True):
        assert text[start:start + len(token.text)] == token.text


# -- the op log against random traffic -----------------------------------------------------------------------

step = st.tuples(st.sampled_from(["final", "partial", "bookmark", "edit", "delete", "undo"]),
                 st.sampled_from([None, "Me", "Them"]), st.sampled_from(["S1", "S2"]),
                 st.integers(1, 4), st.floats(0.0, 5.0))


def coverage_ok(index: ParagraphIndex, t: Transcript) -> None:
    keys = [r.key for r in index.rows]
    assert keys == sorted(keys)
    for channel, track in t.tracks.items():
        paragraphs = [r for r in index.rows if isinstance(r, Paragraph) and r.channel == channel and not r.is_live]
        paragraphs.sort(key=lambda p: p.first)
        covered = [i for p in paragraphs for i in range(p.first, p.stop)]
        assert covered == list(range(len(track.finals)))
        shown = [tok for r in index.rows if isinstance(r, Paragraph) and r.channel == channel for tok in r.partial]
        assert sorted(shown, key=lambda tok: tok.start) == list(track.partial)
    for row in index.rows:  # the text kept up incrementally is the text rendered afresh
        if isinstance(row, Paragraph):
            fresh = render_offsets([*index.finals(row), *row.partial], t.word_delimiter)
            assert (index.text(row).text, index.text(row).starts) == fresh


@settings(max_examples=120, deadline=None)
@given(st.lists(step, min_size=1, max_size=40))
def test_random_traffic_replays_exactly_and_covers_every_final(steps: list[tuple[str, str | None, str, int, float]]
                                                                ) -> None:
    t = Transcript()
    index, mirror = feed(t)
    clock = {None: 0.0, "Me": 0.0, "Them": 0.0}
    multichannel = any(channel is not None for _, channel, *_ in steps)
    deleted: list[tuple[str | None, int, tuple[Any, ...]]] = []
    for kind, channel, speaker, count, gap in steps:
        if multichannel and channel is None:
            channel = "Me"
        if not multichannel:
            channel = None
        extra = {"channel": channel} if channel else {}
        at = clock[channel] + gap
        results = [word(f"w{i}", at + i * 0.3, at + i * 0.3 + 0.2, speaker) for i in range(count)]
        if kind == "final":
            t.apply(final([*results, mark(".", results[-1]["end_time"], speaker)], at, at + count * 0.3, **extra))
            clock[channel] = at + count * 0.3
        elif kind == "partial":
            t.apply(partial(results, at, at + count * 0.3, **extra))
        elif kind == "bookmark":
            t.add_bookmark(at)
        elif kind == "edit":
            paragraphs = [r for r in index.rows if isinstance(r, Paragraph) and not r.is_live]
            if paragraphs:
                target = paragraphs[count % len(paragraphs)]
                t.edit(index.segment(target), " ".join(["edited"] * count) + ".")
        elif kind == "delete":  # an edit that empties a paragraph, kept to be undone
            paragraphs = [r for r in index.rows if isinstance(r, Paragraph) and not r.is_live]
            if paragraphs:
                segment = index.segment(paragraphs[count % len(paragraphs)])
                t.edit(segment, "")
                deleted.append((segment.channel, segment.first, segment.tokens))
        elif kind == "undo" and deleted:
            where, first, tokens = deleted.pop()
            t.replace_finals(where, first, first, tokens)
            deleted.clear()  # older deletions' places are stale now
        mirror.sync()
        coverage_ok(index, t)
    if not multichannel:  # one channel: the incremental result is what a rebuild gives
        again = ParagraphIndex(t)
        shape = [(type(r).__name__, getattr(r, "first", None), getattr(r, "stop", None),
                  getattr(r, "partial", None)) for r in index.rows]
        assert shape == [(type(r).__name__, getattr(r, "first", None), getattr(r, "stop", None),
                          getattr(r, "partial", None)) for r in again.rows]



def test_a_transcript_opened_whole_keeps_each_channels_words_under_its_channel() -> None:
    messages = [final(sentence("Can you hear me?", 0.0), 0, 2, channel="Me"),
                final(sentence("Yes I can.", 2.0), 2, 3.5, channel="Them"),
                final(sentence("Great, let us start.", 3.8), 3.8, 6, channel="Me"),
                final(sentence("Sure.", 6.2), 6.2, 7, channel="Them")]
    live, _ = feed(Transcript())  # applied as the messages arrive
    whole = Transcript()
    for message in messages:
        live.transcript.apply(message)
        whole.apply(message)
    opened = ParagraphIndex(whole)  # opened whole: the rebuild merges the channels' finals in time
    expected = [("Me", "Me", "Can you hear me?"), ("Them", "Them", "Yes I can."),
                ("Me", "Me", "Great, let us start."), ("Them", "Them", "Sure.")]
    for index in (opened, live):
        assert [(r.channel, r.speaker, index.text(r).text) for r in index.rows if isinstance(r, Paragraph)] \
            == expected
