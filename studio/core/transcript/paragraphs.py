"""An incremental paragraph index over a ``Transcript``: the rows a transcript view shows, in time order (no Qt).

Rows are paragraphs — a speaker's turn in one channel — and bookmarks. A new paragraph starts
- when the speaker changes (the speaker key: the diarization label, else the channel label),
- after a pause longer than ``pause`` seconds,
- at a bookmark (the bookmark is a row of its own between the two),
- when another channel's paragraph (or its partial) began meanwhile and this channel is at a turn boundary
  — after a sentence end or a pause of ``turn_gap`` seconds (turn taking between "Me" and "Them"; crosstalk,
  an echo of the meeting in the microphone or a "mm-hm" inside a sentence do not cut a sentence up),
- in a long monologue: at the first sentence end after ``long_words`` words, or at ``max_words`` words.
Punctuation never starts a paragraph, except an opening mark (``attaches_to: next``).

The live edge: each channel's open partial continues that channel's last paragraph when no rule above breaks
it (its tokens are the paragraph's ``partial`` tail), otherwise it makes paragraphs of its own that have no
finals yet (``is_live``), placed in time order. With ``partials=False`` (reading mode) partials are left out.

``apply(change)`` keeps the index current from ``transcript.changes`` with work proportional to the change:
finals and partials touch the last paragraph(s) of their channel, an edit the paragraph it edits, a bookmark
the paragraph it splits, a rename no row at all. Each change to ``rows`` is logged as an ``Op``; ``take_ops()``
hands them over (the Qt adapter replays them once a frame).

    index = ParagraphIndex(transcript)
    transcript.changes.subscribe(index.apply)
    ops = index.take_ops()              # Inserted / Removed / Changed / Reset / Renamed since the last call
    index.text(paragraph)               # ParagraphText: text, tokens and each token's character offset
    index.paragraph_at(seconds)         # playback
    index.segment(paragraph)            # a Segment for Transcript.edit
    index.blocks(paragraph, "de")       # its text cut after each translated sentence, with the translations

The rows, ops and ``ParagraphText`` are in ``rows``, the ordered rows and their op log in ``row_log``, the turn
rules and the live edge in ``turns``, where translated sentences go in ``paragraph_translations``; the names
are importable from here. This module: the queries, applying changes, rebuilding, edits and bookmarks.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
from collections import Counter
from collections.abc import KeysView

from studio.core.transcript.changes import (
    Bookmark,
    BookmarksChanged,
    Change,
    FinalsAppended,
    PartialReplaced,
    Reloaded,
    TokensEdited,
    TranslationChanged,
)
from studio.core.transcript.model import Sentence, Transcript
from studio.core.transcript.paragraph_translations import ParagraphTranslations, TranslationBlock
from studio.core.transcript.rows import (
    BookmarkRow,
    Changed,
    FinalText,
    Inserted,
    Op,
    Paragraph,
    ParagraphText,
    Removed,
    Renamed,
    Reset,
    Row,
    RowKey,
    render_offsets,
)
from studio.core.transcript.segments import Segment
from studio.core.transcript.speakers import SpeakerRenamed, speaker_key
from studio.core.transcript.tokens import render
from studio.core.transcript.turns import (
    LONG_WORDS,
    MAX_WORDS,
    NEIGHBOURS,
    PAUSE,
    TURN_GAP,
    ChannelRows,
    TurnRows,
    stream,
)

__all__ = ["BOOKMARK_RANK", "LONG_WORDS", "MAX_WORDS", "PAUSE", "TURN_GAP", "BookmarkRow", "Changed", "Inserted", "Op",
           "Paragraph", "ParagraphIndex", "ParagraphText", "Removed", "Renamed", "Reset", "Row", "RowKey",
           "TranslationBlock", "render_offsets"]

BOOKMARK_RANK = -1  # bookmarks sort before paragraphs that start at the same moment

_key = operator.attrgetter("key")
_first = operator.attrgetter("first")
_start = operator.attrgetter("start")


class ParagraphIndex(TurnRows):
    def __init__(self, transcript: Transcript, *, partials: bool = True, pause: float = PAUSE,
                 turn_gap: float = TURN_GAP, long_words: int = LONG_WORDS, max_words: int = MAX_WORDS) -> None:
        super().__init__(transcript, partials=partials, pause=pause, turn_gap=turn_gap, long_words=long_words,
                         max_words=max_words)
        self.translations = ParagraphTranslations(self)
        self.rebuild()

    # -- reading ----------------------------------------------------------------------------------------------
    @property
    def translation(self) -> str | None:
        """The language whose translated sentences rows show (None: none)."""
        return self.translations.language

    @property
    def channels(self) -> KeysView[str | None]:
        """The channels that have rows (or had), in the order they appeared."""
        return self._channels.keys()

    def text(self, paragraph: Paragraph) -> ParagraphText:
        """The paragraph's text. Its finals are rendered once and extended as words are appended; only the
        partial tail is rendered again when it changes."""
        cached = paragraph._text
        if cached is not None and cached[0] == paragraph.revision:
            return cached[1]
        finals = self.transcript.track(paragraph.channel).finals
        first, stop = paragraph.first, paragraph.stop
        done = paragraph._final_text
        if done is None or done.generation != paragraph.generation or done.count > stop - first \
                or (done.count and (done.tokens[0] is not finals[first]
                                    or done.tokens[-1] is not finals[first + done.count - 1])):
            done = FinalText(paragraph.generation, self.transcript.word_delimiter)
        if done.count < stop - first:
            done = done.extended(finals[first + done.count:stop])
        paragraph._final_text = done
        result = done.compose(paragraph.partial)
        paragraph._text = (paragraph.revision, result)
        return result

    def segment(self, paragraph: Paragraph) -> Segment:
        """The paragraph's finals as a ``Segment`` (what ``Transcript.edit`` takes)."""
        tokens = tuple(self.finals(paragraph))
        if not tokens:
            raise ValueError("a paragraph of partial words cannot be edited")
        return Segment(paragraph.channel, paragraph.speaker, tokens[0].start, max(t.end for t in tokens), tokens,
                       paragraph.first, paragraph.stop, render(tokens, self.transcript.word_delimiter))

    def paragraph_at(self, time: float) -> Paragraph | None:
        """The paragraph with finals being spoken at ``time`` (else the last one that began before it)."""
        pos = bisect.bisect_right(self.rows, time, key=_start)
        before: Paragraph | None = None
        for item in reversed(self.rows[max(0, pos - NEIGHBOURS):pos]):
            if isinstance(item, Paragraph) and not item.is_live:
                if item.end >= time:
                    return item
                before = before or item
        return before

    def paragraphs(self, channel: str | None) -> list[Paragraph]:
        """A copy of the channel's paragraphs that have finals, in order."""
        return list(self.paragraph_list(channel))

    def paragraph_list(self, channel: str | None) -> list[Paragraph]:
        """The channel's paragraphs that have finals, in order (the index's own list: do not change it)."""
        state = self._channels.get(channel)
        return state.paragraphs if state else []

    def live_edge(self, channel: str | None) -> Paragraph | None:
        """The channel's last row: its last paragraph of partial words, else its last paragraph."""
        state = self._channels.get(channel)
        if state is None:
            return None
        return state.live[-1] if state.live else (state.paragraphs[-1] if state.paragraphs else None)

    def sentences(self, paragraph: Paragraph, language: str) -> tuple[list[Sentence], list[Sentence]]:
        """The translated sentences shown under ``paragraph``: final ones, then partial ones."""
        return self.translations.sentences(paragraph, language)

    def blocks(self, paragraph: Paragraph, language: str) -> tuple[TranslationBlock, ...]:
        """``paragraph``'s text cut after each translated sentence, with the translations read there."""
        return self.translations.blocks(paragraph, language)

    # -- applying changes -------------------------------------------------------------------------------------
    def apply(self, change: Change) -> None:
        if isinstance(change, FinalsAppended):
            self._finals_appended(change)
        elif isinstance(change, PartialReplaced):
            self._set_partial(change.channel, change.tokens)
        elif isinstance(change, TokensEdited):
            self._tokens_edited(change)
        elif isinstance(change, SpeakerRenamed):
            self._ops.append(Renamed(change.key, change.name))
        elif isinstance(change, BookmarksChanged):
            self._bookmarks_changed(list(change.bookmarks))
        elif isinstance(change, TranslationChanged):
            for item in self.translations.changed_rows(change):
                if self._shown(item):
                    self._changed(item)
        elif isinstance(change, Reloaded):
            self.rebuild()

    def set_partials(self, shown: bool) -> None:
        """Reading mode (False): partial words are left out."""
        if shown == self.partials:
            return
        self.partials = shown
        for channel in list(self._channels):
            self._set_partial(channel, tuple(self.transcript.track(channel).partial))

    def set_translation(self, language: str | None) -> None:
        self.translations.set_language(language)

    def rebuild(self) -> None:
        """Everything again from the transcript (it was loaded or cleared)."""
        self.rows = []
        self._channels = {}
        self.translations.reset()
        self._bookmarks = list(self.transcript.bookmarks)
        self._times = [b.time for b in self._bookmarks]
        for bookmark in self._bookmarks:
            self._insert(BookmarkRow(bookmark, self._bookmark_key(bookmark)))
        streams = []
        for channel, track in self.transcript.tracks.items():
            self._channel(channel)
            streams.append(stream(channel, track.finals))  # a function binds its channel now, not late
        for token, channel, i in heapq.merge(*streams, key=lambda entry: entry[0].start):
            self._append(self._channels[channel], channel, i, token, self.transcript.track(channel).finals)
        for channel, track in self.transcript.tracks.items():
            self._channels[channel].count = len(track.finals)
            self._set_partial(channel, tuple(track.partial))
        self._ops = [Reset()]

    # -- edits -----------------------------------------------------------------------------------------------
    def _tokens_edited(self, change: TokensEdited) -> None:
        state = self._channel(change.channel)
        paragraphs = state.paragraphs
        if not paragraphs or change.stop > state.count:
            self.rebuild()
            return
        delta = len(change.tokens) - (change.stop - change.start)
        i = max(0, bisect.bisect_right(paragraphs, change.start, key=_first) - 1)
        j = max(i, bisect.bisect_right(paragraphs, change.stop - 1, key=_first) - 1) if change.stop > change.start \
            else i
        target = paragraphs[i]
        stop = paragraphs[j].stop + delta
        for merged in paragraphs[i + 1:j + 1]:
            self._remove(merged)
        del paragraphs[i + 1:j + 1]
        for later in itertools.chain(paragraphs[i + 1:], state.live):
            later.first += delta
            later.stop += delta
        state.count += delta
        target.stop = stop
        if target.stop <= target.first:  # its words were deleted: the row goes, its neighbours may join
            self._remove(target)
            del paragraphs[i]
            if state.tail is target:
                state.tail = None
            if 0 < i < len(paragraphs):
                self._merge_at(change.channel, paragraphs[i].start)
            self._set_partial(change.channel, tuple(self.transcript.track(change.channel).partial))
            return
        target.generation += 1  # its words changed: render them again
        self._recount(target)
        self._rekey(target)
        self._changed(target)
        self._fix_continued_around(target)
        if self._resplit(state, change.channel, i) and state.paragraphs[-1] is not target:
            self._set_partial(change.channel, tuple(self.transcript.track(change.channel).partial))

    def _rekey(self, paragraph: Paragraph) -> None:
        """An edit moved the paragraph's first word in time (words restored before it): its row moves there."""
        first = self.transcript.track(paragraph.channel).finals[paragraph.first]
        if first.start != paragraph.start:
            self._remove(paragraph)
            paragraph.key = (first.start, paragraph.key[1], next(self._sequence))
            self._insert(paragraph)

    def _resplit(self, state: ChannelRows, channel: str | None, k: int) -> bool:
        """Cut paragraph ``k`` where its words change speaker or pause (an undo restored another speaker's
        words into it); whether it was cut."""
        paragraph = state.paragraphs[k]
        finals = self.transcript.track(channel).finals
        cut = False
        c = paragraph.first + 1
        while c < paragraph.stop:
            token = finals[c]
            if (token.is_punctuation or speaker_key(token) == paragraph.speaker) \
                    and token.start - finals[c - 1].end <= self.pause:
                c += 1
                continue
            stop = paragraph.stop
            paragraph.stop = c
            paragraph.generation += 1
            self._recount(paragraph)
            self._changed(paragraph)
            rest = self._new(channel, state, token, c, stop)
            self._recount(rest)
            k += 1
            state.paragraphs.insert(k, rest)
            paragraph, cut = rest, True
            c += 1
        return cut

    # -- bookmarks -------------------------------------------------------------------------------------------
    def _bookmark_key(self, bookmark: Bookmark) -> RowKey:
        return (bookmark.time, BOOKMARK_RANK, next(self._sequence))

    def _bookmarks_changed(self, bookmarks: list[Bookmark]) -> None:
        old, new = Counter(self._bookmarks), Counter(bookmarks)
        removed, added = list((old - new).elements()), list((new - old).elements())
        self._bookmarks = bookmarks
        self._times = [b.time for b in bookmarks]
        for bookmark in removed:
            row = self._bookmark_row(bookmark)
            if row is not None:
                self._remove(row)
            for channel in self._channels:
                self._merge_at(channel, bookmark.time)
        for bookmark in added:
            self._insert(BookmarkRow(bookmark, self._bookmark_key(bookmark)))
            for channel in self._channels:
                self._split_at(channel, bookmark.time)
        for channel in list(self._channels):
            self._set_partial(channel, tuple(self.transcript.track(channel).partial))

    def _bookmark_row(self, bookmark: Bookmark) -> BookmarkRow | None:
        pos = bisect.bisect_left(self.rows, (bookmark.time, BOOKMARK_RANK, -1), key=_key)
        for item in itertools.islice(self.rows, pos, None):
            if item.start != bookmark.time:
                break
            if isinstance(item, BookmarkRow) and item.bookmark == bookmark:
                return item
        return None

    def _split_at(self, channel: str | None, time: float) -> None:
        state = self._channels[channel]
        k = bisect.bisect_left(state.paragraphs, time, key=_start) - 1
        if k < 0:
            return
        paragraph = state.paragraphs[k]
        finals = self.transcript.track(channel).finals
        cut = bisect.bisect_left(finals, time, paragraph.first, paragraph.stop, key=_start)
        while cut < paragraph.stop and finals[cut].glue_before:
            cut += 1
        if cut >= paragraph.stop:
            return
        stop = paragraph.stop
        paragraph.stop = cut
        paragraph.generation += 1
        self._recount(paragraph)
        self._changed(paragraph)
        rest = self._new(channel, state, finals[cut], cut, stop)
        self._recount(rest)
        state.paragraphs.insert(k + 1, rest)

    def _merge_at(self, channel: str | None, time: float) -> None:
        state = self._channels[channel]
        k = bisect.bisect_left(state.paragraphs, time, key=_start)
        if not 0 < k < len(state.paragraphs):
            return
        before, after = state.paragraphs[k - 1], state.paragraphs[k]
        finals = self.transcript.track(channel).finals
        if before.stop != after.first or self._breaks(channel, before.key, before.speaker, before.words,
                                                      finals[before.stop - 1], finals[after.first]):
            return
        self._remove(after)
        del state.paragraphs[k]
        before.stop = after.stop
        self._recount(before)
        self._changed(before)
