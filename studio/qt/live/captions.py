"""What the caption overlay shows: the newest turns of the conversation, each headed by its speaker.

No Qt. ``CaptionFeed(transcript)`` follows the transcript's changes and keeps only its tail: the last few
turns of final words (a turn is a run of one speaker's words, in the order the finals arrived) and each
channel's open partial. ``runs(partials=True)`` gives them oldest first, as ``CaptionRun`` (speaker key, the
name the user gave or the default, colour index, final text, partial text); with ``partials=False``
("reading mode") only what is final. ``version`` counts changes so the overlay repaints only when needed;
names are looked up when read, so a rename shows at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from studio.core.transcript import Token, Transcript, render, speaker_key
from studio.core.transcript.changes import (
    Change,
    FinalsAppended,
    PartialReplaced,
    Reloaded,
    TokensEdited,
)
from studio.core.transcript.speakers import UNKNOWN, SpeakerRenamed

MAX_RUNS = 8
MAX_TOKENS = 80  # per run: more than a very large overlay shows


@dataclass(frozen=True)
class CaptionRun:
    key: str
    name: str
    colour: int
    final: str
    partial: str = ""
    show_name: bool = True


@dataclass
class _Run:
    key: str
    channel: str | None
    tokens: deque[Token] = field(default_factory=lambda: deque(maxlen=MAX_TOKENS))
    appended: int = 0  # tokens ever appended: the rendered text is kept until it changes
    _text: tuple[int, str] = (-1, "")

    def add(self, token: Token) -> None:
        self.tokens.append(token)
        self.appended += 1

    def text(self, delimiter: str) -> str:
        if self._text[0] != self.appended:
            self._text = (self.appended, render(list(self.tokens), delimiter))
        return self._text[1]


class CaptionFeed:
    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.version = 0
        self._runs: deque[_Run] = deque(maxlen=MAX_RUNS)
        self._partials: dict[str | None, tuple[Token, ...]] = {}
        self._unsubscribe: Callable[[], None] | None = transcript.changes.subscribe(self._changed)
        self._rebuild()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- reading ------------------------------------------------------------------------------------------
    def runs(self, *, partials: bool = True, budget: int | None = None) -> list[CaptionRun]:
        """The newest turns, oldest first; with ``budget``, only as many as it takes to have that many
        characters (the overlay asks for what its lines can hold, so old turns cost nothing)."""
        speakers = self.transcript.speakers
        delimiter = self.transcript.word_delimiter
        named = self._names_matter()
        newest_first: list[CaptionRun] = []
        pending = {channel: tokens for channel, tokens in self._partials.items() if tokens} if partials else {}
        last = self._runs[-1] if self._runs else None
        attached = ""
        if last is not None and last.channel in pending and _key(pending[last.channel][0]) == last.key:
            attached = render(pending.pop(last.channel), delimiter)
        for tokens in reversed(pending.values()):  # partials that start a new turn
            key = _key(tokens[0])
            speaker = speakers.get(key)
            newest_first.append(CaptionRun(key, speaker.display, speaker.colour, "", render(tokens, delimiter),
                                           named))
        total = sum(len(run.partial) for run in newest_first)
        for run in reversed(self._runs):
            if budget is not None and total >= budget:
                break
            speaker = speakers.get(run.key)
            text = run.text(delimiter)
            partial = attached if run is last else ""
            newest_first.append(CaptionRun(run.key, speaker.display, speaker.colour, text, partial, named))
            total += len(text) + len(partial) + len(speaker.display) + 2
        newest_first.reverse()
        return newest_first

    def _names_matter(self) -> bool:
        """Names are shown when there are speakers to tell apart (as the exports do)."""
        return any(s.key != UNKNOWN or s.name for s in self.transcript.speakers)

    # -- following the transcript --------------------------------------------------------------------------
    def _changed(self, change: Change) -> None:
        if isinstance(change, FinalsAppended):
            if change.tokens:
                self._append(change.channel, change.tokens)
                self.version += 1
        elif isinstance(change, PartialReplaced):
            if self._partials.get(change.channel, ()) != change.tokens:
                self._partials[change.channel] = change.tokens
                self.version += 1
        elif isinstance(change, SpeakerRenamed):
            self.version += 1
        elif isinstance(change, TokensEdited | Reloaded):
            self._rebuild()

    def _append(self, channel: str | None, tokens: Iterable[Token]) -> None:
        for token in tokens:
            key = _key(token)
            last = self._runs[-1] if self._runs else None
            if last is None or last.key != key or last.channel != channel:
                last = _Run(key, channel)
                self._runs.append(last)
            last.add(token)

    def _rebuild(self) -> None:
        """From the transcript's tail (after an edit or a reload): its last finals, in time order."""
        self._runs.clear()
        tail: list[Token] = []
        for track in self.transcript.tracks.values():
            tail.extend(track.finals[-MAX_RUNS * MAX_TOKENS:])
        tail.sort(key=lambda t: (t.start, -t.end))
        for token in tail[-MAX_RUNS * MAX_TOKENS:]:
            self._append(token.channel, (token,))
        self._partials = {channel: tuple(track.partial) for channel, track in self.transcript.tracks.items()}
        self.version += 1


def _key(token: Token) -> str:
    return speaker_key(token)
