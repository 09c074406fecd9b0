"""The rows of a transcript view and what changes them (no Qt): paragraphs, bookmark rows, the ops a
``ParagraphIndex`` logs, and a paragraph's text with the offset of each token in it.

A paragraph's text is its channel's finals ``first:stop`` then its partial tail. The finals part is rendered
once and extended as finals are appended (``FinalText``); only the partial tail is rendered again when the
partial words change, so the live edge costs the same at its 200th word as at its first.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from studio.core.transcript.changes import Bookmark
from studio.core.transcript.tokens import Token

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
    generation: int = 0  # bumped when its finals change other than by words appended at its end
    final_chars: int = field(default=0, repr=False)  # ``chars`` and ``end`` of the finals alone
    final_end: float = field(default=0.0, repr=False)
    _final_text: FinalText | None = field(default=None, repr=False)
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
    generation: int = 0  # the paragraph's ``generation``: the finals part only grew while it is the same
    sentence_ends: tuple[int, ...] = ()  # indices of the final tokens that end a sentence (``is_eos``)

    def span(self, index: int) -> tuple[int, int]:
        start = self.starts[index]
        return start, start + len(self.tokens[index].text)

    def token_at(self, offset: int) -> int | None:
        """The token at character ``offset`` (a delimiter belongs to the token before it)."""
        if not self.tokens:
            return None
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def tokens_in(self, start: int, end: int) -> range:
        """The indices of the tokens that begin in characters ``start:end``."""
        return range(bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end))

    @property
    def partial_offset(self) -> int:
        return self.starts[self.partial_from] if self.partial_from < len(self.tokens) else len(self.text)


def render_offsets(tokens: Sequence[Token], delimiter: str = " ") -> tuple[str, tuple[int, ...]]:
    """The text of ``tokens`` (as ``studio.core.transcript.render``) and each token's offset in it."""
    final = FinalText(0, delimiter).extended(tokens)
    return final.text, final.starts


@dataclass(frozen=True)
class FinalText:
    """The rendered finals of a paragraph; ``extended`` renders only the tokens appended since."""

    generation: int
    delimiter: str
    text: str = ""
    tokens: tuple[Token, ...] = ()
    starts: tuple[int, ...] = ()
    glue: bool = True  # no delimiter before the next token (nothing yet, or the last one glues to it)
    sentence_ends: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.tokens)

    def _render(self, tokens: Sequence[Token]) -> tuple[list[str], list[int], bool, list[int]]:
        parts: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        length = len(self.text)
        glue = self.glue
        delimiter = self.delimiter
        index = len(self.tokens)
        for token in tokens:
            if not glue and not token.glue_before:
                parts.append(delimiter)
                length += len(delimiter)
            starts.append(length)
            parts.append(token.text)
            length += len(token.text)
            glue = token.glue_after
            if token.is_eos:
                ends.append(index)
            index += 1
        return parts, starts, glue, ends

    def extended(self, tokens: Sequence[Token]) -> FinalText:
        if not tokens:
            return self
        parts, starts, glue, ends = self._render(tokens)
        return FinalText(self.generation, self.delimiter, self.text + "".join(parts), self.tokens + tuple(tokens),
                         self.starts + tuple(starts), glue, self.sentence_ends + tuple(ends))

    def compose(self, partial: Sequence[Token]) -> ParagraphText:
        """The paragraph's text: these finals, then ``partial``."""
        if not partial:
            return ParagraphText(self.text, self.tokens, self.starts, len(self.tokens), self.generation,
                                 self.sentence_ends)
        parts, starts, _glue, _ends = self._render(partial)
        return ParagraphText(self.text + "".join(parts), self.tokens + tuple(partial), self.starts + tuple(starts),
                             len(self.tokens), self.generation, self.sentence_ends)
