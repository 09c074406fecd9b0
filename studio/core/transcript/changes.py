"""What a transcript tells its observers, with enough detail to update only what changed."""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.transcript.speakers import SpeakerRenamed
from studio.core.transcript.tokens import Token


@dataclass(frozen=True)
class FinalsAppended:
    channel: str | None
    index: int  # position of the first new token in that channel's finals
    tokens: tuple[Token, ...]
    end_time: float  # how far the finals now cover (an empty final advances it too)


@dataclass(frozen=True)
class PartialReplaced:
    channel: str | None
    tokens: tuple[Token, ...]  # the whole partial region now (empty: cleared)


@dataclass(frozen=True)
class UtteranceEnded:
    channel: str | None
    time: float


@dataclass(frozen=True)
class TranslationChanged:
    language: str
    partial: bool


@dataclass(frozen=True)
class TokensEdited:
    channel: str | None
    start: int  # the range of finals replaced …
    stop: int
    tokens: tuple[Token, ...]  # … by these


@dataclass(frozen=True)
class Bookmark:
    """A moment the user marked (a hotkey in a live session): audio time and an optional label."""

    time: float
    label: str = ""


@dataclass(frozen=True)
class BookmarksChanged:
    bookmarks: tuple[Bookmark, ...]  # all of them now, in time order


@dataclass(frozen=True)
class Reloaded:
    """The whole document changed (loaded or cleared)."""


Change = (FinalsAppended | PartialReplaced | UtteranceEnded | TranslationChanged | TokensEdited | SpeakerRenamed
          | BookmarksChanged | Reloaded)
