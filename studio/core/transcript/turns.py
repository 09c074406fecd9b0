"""How finals and partial words become paragraphs, channel by channel (no Qt): the turn rules of
``ParagraphIndex`` (``studio.core.transcript.paragraphs`` describes them) and the live edge.

``TurnRows`` is the part of the index that appends: a channel's finals extend its last paragraph or start a new
one (``_breaks``: a speaker change, a pause, a bookmark, another channel's turn, a long monologue); its partial
words continue that paragraph or make live paragraphs of their own. Each step costs what it changes: a partial
update does not walk the paragraph's finals again.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from studio.core.transcript.changes import Bookmark, FinalsAppended
from studio.core.transcript.model import Transcript
from studio.core.transcript.row_log import RowLog
from studio.core.transcript.rows import Paragraph, RowKey
from studio.core.transcript.speakers import speaker_key
from studio.core.transcript.tokens import Token

PAUSE = 3.0
TURN_GAP = 0.5
LONG_WORDS = 60
MAX_WORDS = 200
NEIGHBOURS = 16  # how far a row looks for another channel's paragraph after it


@dataclass
class ChannelRows:
    rank: int
    paragraphs: list[Paragraph] = field(default_factory=list)  # those with finals, in token order
    count: int = 0  # finals consumed
    tail: Paragraph | None = None  # the final paragraph that carries the partial tail
    live: list[Paragraph] = field(default_factory=list)  # paragraphs of partial tokens only


_key = operator.attrgetter("key")


def is_word(token: Token) -> bool:
    return not token.is_punctuation


def stream(channel: str | None, finals: list[Token]) -> Iterator[tuple[Token, str | None, int]]:
    """A channel's finals for ``heapq.merge``: (token, channel, index in the channel's finals)."""
    for i, token in enumerate(finals):
        yield token, channel, i


class TurnRows(RowLog):
    def __init__(self, transcript: Transcript, *, partials: bool, pause: float, turn_gap: float, long_words: int,
                 max_words: int) -> None:
        super().__init__()
        self.transcript = transcript
        self.partials = partials
        self.pause = pause
        self.turn_gap = turn_gap
        self.long_words = long_words
        self.max_words = max_words
        self._channels: dict[str | None, ChannelRows] = {}
        self._bookmarks: list[Bookmark] = []
        self._times: list[float] = []
        self._sequence = itertools.count()

    def finals(self, paragraph: Paragraph) -> list[Token]:
        return self.transcript.track(paragraph.channel).finals[paragraph.first:paragraph.stop]

    def rebuild(self) -> None:
        """Everything again from the transcript (``ParagraphIndex`` does it)."""
        raise NotImplementedError

    # -- finals ----------------------------------------------------------------------------------------------
    def _channel(self, channel: str | None) -> ChannelRows:
        state = self._channels.get(channel)
        if state is None:
            state = self._channels[channel] = ChannelRows(len(self._channels))
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

    def _append(self, state: ChannelRows, channel: str | None, i: int, token: Token, finals: list[Token]) -> Paragraph:
        last = state.paragraphs[-1] if state.paragraphs else None
        if last is None or self._breaks(channel, last.key, last.speaker if last.words else None, last.words,
                                        finals[i - 1], token):
            last = self._new(channel, state, token, i, i)
            state.paragraphs.append(last)
        last.stop = i + 1
        self._count(last, token)
        return last

    def _new(self, channel: str | None, state: ChannelRows, token: Token, first: int, stop: int) -> Paragraph:
        speaker = self.transcript.speakers.of(token).key  # colours follow the order speakers appear in
        paragraph = Paragraph(channel, speaker, (token.start, state.rank, next(self._sequence)), first, stop)
        self._insert(paragraph)
        return paragraph

    def _count(self, paragraph: Paragraph, token: Token) -> None:
        if is_word(token):
            if not paragraph.words:
                speaker = self.transcript.speakers.of(token).key
                if speaker != paragraph.speaker:
                    paragraph.speaker = speaker
                    self._fix_continued_around(paragraph)
            paragraph.words += 1
        paragraph.final_chars += len(token.text) + 1
        paragraph.final_end = max(paragraph.final_end, token.end)
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
        for item in itertools.islice(rows, pos, pos + NEIGHBOURS):
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
            if is_word(token):
                speaker = speaker or speaker_key(token)
                words += 1
            previous = token
        self._set_tail(state, last, tuple(tail))
        self._set_live(state, channel, groups)

    def _set_tail(self, state: ChannelRows, last: Paragraph | None, tail: tuple[Token, ...]) -> None:
        if state.tail is not None and state.tail is not last and state.tail.partial:
            old = state.tail
            old.partial = ()
            self._recount_partial(old)
            self._changed(old)
        if last is not None and last.partial != tail:
            last.partial = tail
            self._recount_partial(last)
            self._changed(last)
        state.tail = last if tail else None

    def _set_live(self, state: ChannelRows, channel: str | None, groups: list[list[Token]]) -> None:
        kept = 0
        for old, group in zip(state.live, groups, strict=False):
            if old.start != group[0].start:
                break
            kept += 1
            if old.partial != tuple(group):
                old.partial = tuple(group)
                self._recount_partial(old)
                self._changed(old)
        for old in state.live[kept:]:
            self._remove(old)
        del state.live[kept:]
        for group in groups[kept:]:
            paragraph = self._new(channel, state, group[0], state.count, state.count)
            paragraph.partial = tuple(group)
            self._recount(paragraph)
            state.live.append(paragraph)

    def _recount(self, paragraph: Paragraph) -> None:
        """Words, length, end and speaker from the paragraph's finals and partial (its finals changed)."""
        finals = self.finals(paragraph)
        paragraph.words = sum(1 for t in finals if is_word(t))
        paragraph.final_chars = sum(len(t.text) + 1 for t in finals)
        paragraph.final_end = max((t.end for t in finals), default=paragraph.start)
        self._recount_partial(paragraph, finals)

    def _recount_partial(self, paragraph: Paragraph, finals: Sequence[Token] | None = None) -> None:
        """Length, end and speaker again after the partial tail changed: the finals are not walked again
        (the live edge costs the same at a paragraph's 200th word as at its first)."""
        paragraph.chars = paragraph.final_chars
        paragraph.end = max(paragraph.start, paragraph.final_end)
        for token in paragraph.partial:
            paragraph.chars += len(token.text) + 1
            paragraph.end = max(paragraph.end, token.end)
        if finals is None:
            if paragraph.words:
                return  # its first final word decides the speaker, and that did not change
            finals = self.finals(paragraph)
        first_word = next((t for t in itertools.chain(finals, paragraph.partial) if is_word(t)), None)
        if first_word is not None and speaker_key(first_word) != paragraph.speaker:
            paragraph.speaker = self.transcript.speakers.of(first_word).key
            self._fix_continued_around(paragraph)
