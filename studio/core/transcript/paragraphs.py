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
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import operator
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

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
from studio.core.transcript.segments import Segment
from studio.core.transcript.speakers import SpeakerRenamed, speaker_key
from studio.core.transcript.tokens import Token, render

PAUSE = 3.0
TURN_GAP = 0.5
LONG_WORDS = 60
MAX_WORDS = 200
BOOKMARK_RANK = -1  # bookmarks sort before paragraphs that start at the same moment
_NEIGHBOURS = 16  # how far a row looks for another channel's paragraph after it

RowKey = tuple[float, int, int]  # (start time, channel rank, sequence): a row's place, fixed for its life


@dataclass(eq=False)
class Paragraph:
    channel: str | None
    speaker: str  # speaker key (studio.core.transcript.speakers.speaker_key) of its first word
    key: RowKey
    first: int  # the paragraph shows finals[first:stop] of its channel …
    stop: int
    partial: tuple[Token, ...] = ()  # … then these partial tokens (the live edge)
    words: int = 0  # words among the finals
    chars: int = 0  # about how many characters its text has (finals and partial)
    end: float = 0.0
    continued: bool = False  # the row before it is the same speaker in the same channel
    revision: int = 0  # bumped whenever what it shows changes
    _text: tuple[int, ParagraphText] | None = field(default=None, repr=False)

    @property
    def start(self) -> float:
        return self.key[0]

    @property
    def is_live(self) -> bool:
        """Only partial tokens (no finals yet)."""
        return self.first == self.stop


@dataclass(eq=False)
class BookmarkRow:
    bookmark: Bookmark
    key: RowKey
    revision: int = 0

    @property
    def start(self) -> float:
        return self.key[0]


Row = Paragraph | BookmarkRow


@dataclass(frozen=True)
class Inserted:
    row: int
    item: Row


@dataclass(frozen=True)
class Removed:
    row: int
    item: Row


@dataclass(frozen=True)
class Changed:
    item: Row


@dataclass(frozen=True)
class Reset:
    """Everything changed: read ``rows`` again."""


@dataclass(frozen=True)
class Renamed:
    """A speaker's name changed: no row moved or changed size, names are drawn anew."""

    key: str
    name: str


Op = Inserted | Removed | Changed | Reset | Renamed


@dataclass(frozen=True)
class ParagraphText:
    """A paragraph's text and where each of its tokens is in it."""

    text: str
    tokens: tuple[Token, ...]
    starts: tuple[int, ...]  # character offset of each token
    partial_from: int  # index of the first partial token (len(tokens) when there is none)

    def span(self, index: int) -> tuple[int, int]:
        start = self.starts[index]
        return start, start + len(self.tokens[index].text)

    def token_at(self, offset: int) -> int | None:
        """The token at character ``offset`` (a delimiter belongs to the token before it)."""
        if not self.tokens:
            return None
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    @property
    def partial_offset(self) -> int:
        return self.starts[self.partial_from] if self.partial_from < len(self.tokens) else len(self.text)


def render_offsets(tokens: Sequence[Token], delimiter: str = " ") -> tuple[str, tuple[int, ...]]:
    """The text of ``tokens`` (as ``studio.core.transcript.render``) and each token's offset in it."""
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    glue = True
    for token in tokens:
        if parts and not glue and not token.glue_before:
            parts.append(delimiter)
            length += len(delimiter)
        starts.append(length)
        parts.append(token.text)
        length += len(token.text)
        glue = token.glue_after
    return "".join(parts), tuple(starts)


@dataclass
class _Channel:
    rank: int
    paragraphs: list[Paragraph] = field(default_factory=list)  # those with finals, in token order
    count: int = 0  # finals consumed
    tail: Paragraph | None = None  # the final paragraph that carries the partial tail
    live: list[Paragraph] = field(default_factory=list)  # paragraphs of partial tokens only


_key = operator.attrgetter("key")
_first = operator.attrgetter("first")
_start = operator.attrgetter("start")


def _is_word(token: Token) -> bool:
    return not token.is_punctuation


def _stream(channel: str | None, finals: list[Token]) -> Iterator[tuple[Token, str | None, int]]:
    """A channel's finals for ``heapq.merge``: (token, channel, index in the channel's finals)."""
    for i, token in enumerate(finals):
        yield token, channel, i


class ParagraphIndex:
    def __init__(self, transcript: Transcript, *, partials: bool = True, pause: float = PAUSE,
                 turn_gap: float = TURN_GAP, long_words: int = LONG_WORDS, max_words: int = MAX_WORDS) -> None:
        self.transcript = transcript
        self.partials = partials
        self.pause = pause
        self.turn_gap = turn_gap
        self.long_words = long_words
        self.max_words = max_words
        self.translation: str | None = None  # the language whose sentences rows show (None: none)
        self.rows: list[Row] = []
        self._ops: list[Op] = []
        self._channels: dict[str | None, _Channel] = {}
        self._bookmarks: list[Bookmark] = []
        self._times: list[float] = []
        self._sequence = itertools.count()
        self._sentences: dict[str, tuple[int, list[Sentence]]] = {}
        self._partial_targets: list[Row] = []
        self.rebuild()

    # -- reading ----------------------------------------------------------------------------------------------
    def take_ops(self) -> list[Op]:
        ops, self._ops = self._ops, []
        return ops

    @property
    def pending(self) -> bool:
        return bool(self._ops)

    def position(self, item: Row) -> int:
        """The row of ``item`` (ValueError if it is not shown)."""
        rows = self.rows
        for back in range(1, min(4, len(rows)) + 1):  # the live edge: nearly always one of the last rows
            if rows[-back] is item:
                return len(rows) - back
        pos = bisect.bisect_left(rows, item.key, key=_key)
        if pos < len(rows) and rows[pos] is item:
            return pos
        raise ValueError("not a row of this index")

    def finals(self, paragraph: Paragraph) -> list[Token]:
        return self.transcript.track(paragraph.channel).finals[paragraph.first:paragraph.stop]

    def text(self, paragraph: Paragraph) -> ParagraphText:
        cached = paragraph._text
        if cached is not None and cached[0] == paragraph.revision:
            return cached[1]
        finals = self.finals(paragraph)
        tokens = (*finals, *paragraph.partial)
        text, starts = render_offsets(tokens, self.transcript.word_delimiter)
        result = ParagraphText(text, tokens, starts, len(finals))
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
        for item in reversed(self.rows[max(0, pos - _NEIGHBOURS):pos]):
            if isinstance(item, Paragraph) and not item.is_live:
                if item.end >= time:
                    return item
                before = before or item
        return before

    def paragraphs(self, channel: str | None) -> list[Paragraph]:
        state = self._channels.get(channel)
        return list(state.paragraphs) if state else []

    def sentences(self, paragraph: Paragraph, language: str) -> tuple[list[Sentence], list[Sentence]]:
        """The translated sentences shown under ``paragraph``: final ones, then partial ones."""
        finals = []
        if not paragraph.is_live:
            ordered = self._sorted_sentences(language)[1]
            low, high = self._sentence_range(paragraph, ordered)
            for sentence in ordered[low:high]:
                if sentence.channel not in (None, paragraph.channel):
                    continue
                if sentence.speaker and paragraph.channel is None and sentence.speaker != paragraph.speaker:
                    continue
                finals.append(sentence)
        partials = [s for s in self.transcript.partial_translations.get(language, [])
                    if self._partial_target(s) is paragraph]
        return finals, partials

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
            self._translation_changed(change)
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
        self.translation = language
        self._partial_targets = []

    def rebuild(self) -> None:
        """Everything again from the transcript (it was loaded or cleared)."""
        self.rows = []
        self._channels = {}
        self._sentences = {}
        self._partial_targets = []
        self._bookmarks = list(self.transcript.bookmarks)
        self._times = [b.time for b in self._bookmarks]
        for bookmark in self._bookmarks:
            self._insert(BookmarkRow(bookmark, self._bookmark_key(bookmark)))
        streams = []
        for channel, track in self.transcript.tracks.items():
            self._channel(channel)
            streams.append(_stream(channel, track.finals))  # a function binds its channel now, not late
        for token, channel, i in heapq.merge(*streams, key=lambda entry: entry[0].start):
            self._append(self._channels[channel], channel, i, token, self.transcript.track(channel).finals)
        for channel, track in self.transcript.tracks.items():
            self._channels[channel].count = len(track.finals)
            self._set_partial(channel, tuple(track.partial))
        self._ops = [Reset()]

    # -- finals ----------------------------------------------------------------------------------------------
    def _channel(self, channel: str | None) -> _Channel:
        state = self._channels.get(channel)
        if state is None:
            state = self._channels[channel] = _Channel(len(self._channels))
        return state

    def _finals_appended(self, change: FinalsAppended) -> None:
        if not change.tokens:
            return
        state = self._channel(change.channel)
        finals = self.transcript.track(change.channel).finals
        if change.index != state.count:  # out of step (changes were missed): start again
            self.rebuild()
            return
        self._set_partial(change.channel, ())
        touched: dict[int, Paragraph] = {}
        for i in range(change.index, len(finals)):
            paragraph = self._append(state, change.channel, i, finals[i], finals)
            touched[id(paragraph)] = paragraph
        state.count = len(finals)
        for paragraph in touched.values():
            self._changed(paragraph)
        track = self.transcript.track(change.channel)
        covered = track.final_end
        self._set_partial(change.channel, tuple(t for t in track.partial if t.start >= covered and t.end > covered))

    def _append(self, state: _Channel, channel: str | None, i: int, token: Token, finals: list[Token]) -> Paragraph:
        last = state.paragraphs[-1] if state.paragraphs else None
        if last is None or self._breaks(channel, last.key, last.speaker if last.words else None, last.words,
                                        finals[i - 1], token):
            last = self._new(channel, state, token, i, i)
            state.paragraphs.append(last)
        last.stop = i + 1
        self._count(last, token)
        return last

    def _new(self, channel: str | None, state: _Channel, token: Token, first: int, stop: int) -> Paragraph:
        speaker = self.transcript.speakers.of(token).key  # colours follow the order speakers appear in
        paragraph = Paragraph(channel, speaker, (token.start, state.rank, next(self._sequence)), first, stop)
        self._insert(paragraph)
        return paragraph

    def _count(self, paragraph: Paragraph, token: Token) -> None:
        if _is_word(token):
            if not paragraph.words:
                speaker = self.transcript.speakers.of(token).key
                if speaker != paragraph.speaker:
                    paragraph.speaker = speaker
                    self._fix_continued_around(paragraph)
            paragraph.words += 1
        paragraph.chars += len(token.text) + 1
        paragraph.end = max(paragraph.end, token.end)

    def _breaks(self, channel: str | None, key: RowKey, speaker: str | None, words: int, previous: Token,
                token: Token) -> bool:
        """Whether ``token`` starts a new paragraph after ``previous`` (in a paragraph of ``speaker``, ``words``
        words long, at ``key``)."""
        if token.is_punctuation and not token.glue_after:
            return False  # marks stay with the words before them
        if speaker is not None and (token.speaker is not None or not token.is_punctuation) \
                and speaker_key(token) != speaker:
            return True
        if token.start - previous.end > self.pause:
            return True
        if self._times and self._bookmark_between(previous.start, token.start):
            return True
        if words >= self.max_words or (words >= self.long_words and previous.is_eos):
            return True
        at_boundary = previous.is_eos or token.start - previous.end >= self.turn_gap
        return at_boundary and self._interrupted(channel, key, token.start)

    def _bookmark_between(self, after: float, upto: float) -> bool:
        i = bisect.bisect_right(self._times, after)
        return i < len(self._times) and self._times[i] <= upto

    def _interrupted(self, channel: str | None, key: RowKey, time: float) -> bool:
        """Another channel's paragraph (its partial words too) began after the row at ``key`` and by ``time``."""
        rows = self.rows
        if rows and rows[-1].key <= key:
            return False
        pos = bisect.bisect_right(rows, key, key=_key)
        for item in itertools.islice(rows, pos, pos + _NEIGHBOURS):
            if isinstance(item, Paragraph) and item.channel != channel:
                return item.start <= time
        return False

    # -- partials --------------------------------------------------------------------------------------------
    def _set_partial(self, channel: str | None, tokens: Sequence[Token]) -> None:
        state = self._channel(channel)
        if not self.partials:
            tokens = ()
        finals = self.transcript.track(channel).finals
        last = state.paragraphs[-1] if state.paragraphs else None
        tail: list[Token] = []
        groups: list[list[Token]] = []
        previous = finals[state.count - 1] if last is not None and state.count else None
        words = last.words if last is not None else 0
        speaker = (last.speaker if last is not None and last.words else None)
        key = last.key if last is not None else None
        for token in tokens:
            attached = previous is not None and key is not None and not self._breaks(
                channel, key, speaker, words, previous, token)
            if not attached:
                groups.append([])
                key = (token.start, state.rank, 1 << 62)
                speaker, words = None, 0
            (groups[-1] if groups else tail).append(token)
            if _is_word(token):
                speaker = speaker or speaker_key(token)
                words += 1
            previous = token
        self._set_tail(state, last, tuple(tail))
        self._set_live(state, channel, groups)

    def _set_tail(self, state: _Channel, last: Paragraph | None, tail: tuple[Token, ...]) -> None:
        if state.tail is not None and state.tail is not last and state.tail.partial:
            old = state.tail
            old.partial = ()
            self._recount(old)
            self._changed(old)
        if last is not None and last.partial != tail:
            last.partial = tail
            self._recount(last)
            self._changed(last)
        state.tail = last if tail else None

    def _set_live(self, state: _Channel, channel: str | None, groups: list[list[Token]]) -> None:
        kept = 0
        for old, group in zip(state.live, groups, strict=False):
            if old.start != group[0].start:
                break
            kept += 1
            if old.partial != tuple(group):
                old.partial = tuple(group)
                self._recount(old)
                self._changed(old)
        for old in state.live[kept:]:
            self._remove(old)
        del state.live[kept:]
        for group in groups[kept:]:
            paragraph = self._new(channel, state, group[0], state.count, state.count)
            paragraph.partial = tuple(group)
            self._recount(paragraph)
            state.live.append(paragraph)

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
        if target.stop <= target.first:
            self._remove(target)
            del paragraphs[i]
            if state.tail is target:
                state.tail = None
            return
        self._recount(target)
        self._changed(target)
        self._fix_continued_around(target)

    def _recount(self, paragraph: Paragraph) -> None:
        finals = self.finals(paragraph)
        paragraph.words = sum(1 for t in finals if _is_word(t))
        paragraph.chars = 0
        paragraph.end = paragraph.start
        first_word = None
        for token in itertools.chain(finals, paragraph.partial):
            if first_word is None and _is_word(token):
                first_word = token
            paragraph.chars += len(token.text) + 1
            paragraph.end = max(paragraph.end, token.end)
        if first_word is not None and speaker_key(first_word) != paragraph.speaker:
            paragraph.speaker = self.transcript.speakers.of(first_word).key
            self._fix_continued_around(paragraph)

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

    # -- translations ----------------------------------------------------------------------------------------
    def _sorted_sentences(self, language: str) -> tuple[int, list[Sentence]]:
        sentences = self.transcript.translations.get(language, [])
        count, ordered = self._sentences.get(language, (0, []))
        if len(sentences) != count:
            if len(sentences) < count:
                count, ordered = 0, []
            for sentence in sentences[count:]:
                bisect.insort(ordered, sentence, key=_start)
            self._sentences[language] = (len(sentences), ordered)
        return self._sentences.get(language, (0, []))

    def _sentence_range(self, paragraph: Paragraph, ordered: list[Sentence]) -> tuple[int, int]:
        """The sorted sentences that begin within the paragraph's time, up to the channel's next paragraph."""
        state = self._channels[paragraph.channel]
        k = bisect.bisect_left(state.paragraphs, paragraph.key, key=_key)
        upto = state.paragraphs[k + 1].start if k + 1 < len(state.paragraphs) else float("inf")
        since = paragraph.start if k > 0 else float("-inf")
        return (bisect.bisect_left(ordered, since - 0.05, key=_start),
                bisect.bisect_left(ordered, upto - 0.05, key=_start))

    def _final_target(self, sentence: Sentence) -> Paragraph | None:
        channels = [sentence.channel] if sentence.channel in self._channels else list(self._channels)
        for channel in channels:
            paragraphs = self._channels[channel].paragraphs
            k = bisect.bisect_right(paragraphs, sentence.start + 0.05, key=_start) - 1
            if paragraphs:
                return paragraphs[max(k, 0)]
        return None

    def _partial_target(self, sentence: Sentence) -> Row | None:
        """Partial translations go under their channel's live edge."""
        best: Row | None = None
        for channel, state in self._channels.items():
            if sentence.channel is not None and channel != sentence.channel:
                continue
            edge = state.live[-1] if state.live else (state.paragraphs[-1] if state.paragraphs else None)
            if edge is not None and (best is None or best.start < edge.start <= sentence.start + 0.05):
                best = edge
        return best

    def _translation_changed(self, change: TranslationChanged) -> None:
        if change.language != self.translation:
            return
        targets: list[Row] = []
        if change.partial:
            targets.extend(self._partial_targets)
            self._partial_targets = [t for s in self.transcript.partial_translations.get(change.language, [])
                                     if (t := self._partial_target(s)) is not None]
            targets.extend(self._partial_targets)
        else:
            count = self._sentences.get(change.language, (0, []))[0]
            fresh = self.transcript.translations.get(change.language, [])[count:]
            self._sorted_sentences(change.language)
            targets.extend(t for s in fresh if (t := self._final_target(s)) is not None)
            targets.extend(self._partial_targets)
            self._partial_targets = []
        for item in {id(t): t for t in targets}.values():
            if self._shown(item):
                self._changed(item)

    # -- rows ------------------------------------------------------------------------------------------------
    def _shown(self, item: Row) -> bool:
        try:
            self.position(item)
        except ValueError:
            return False
        return True

    def _insert(self, item: Row) -> None:
        rows = self.rows
        pos = len(rows) if not rows or rows[-1].key < item.key else bisect.bisect_right(rows, item.key, key=_key)
        rows.insert(pos, item)
        self._ops.append(Inserted(pos, item))
        self._fix_continued(pos)
        self._fix_continued(pos + 1)

    def _remove(self, item: Row) -> None:
        pos = self.position(item)
        del self.rows[pos]
        self._ops.append(Removed(pos, item))
        self._fix_continued(pos)

    def _changed(self, item: Row) -> None:
        item.revision += 1
        self._ops.append(Changed(item))

    def _fix_continued_around(self, paragraph: Paragraph) -> None:
        try:
            pos = self.position(paragraph)
        except ValueError:
            return  # not placed yet: _insert sets it
        self._fix_continued(pos)
        self._fix_continued(pos + 1)

    def _fix_continued(self, pos: int) -> None:
        rows = self.rows
        if not 0 <= pos < len(rows):
            return
        item = rows[pos]
        if not isinstance(item, Paragraph):
            return
        before = rows[pos - 1] if pos > 0 else None
        continued = (isinstance(before, Paragraph) and before.speaker == item.speaker
                     and before.channel == item.channel)
        if continued != item.continued:
            item.continued = continued
            self._changed(item)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)
