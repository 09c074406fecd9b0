"""Where people spoke, per channel, from the transcript's word times: the waveform shades these spans.

No Qt. ``SpeechRegions(transcript)`` follows the transcript's changes with work proportional to each change:
final words extend or start a span (words closer than ``join`` seconds share one), the open partial is a
provisional span of its own; spans older than ``keep`` seconds before the newest are dropped. ``version``
counts changes, so a view redraws only when something moved; ``finals_version`` counts only the changes to
final spans (a partial changes many times a second, the finals far less often).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from studio.core.transcript import Token, Transcript
from studio.core.transcript.changes import Change, FinalsAppended, PartialReplaced, Reloaded, TokensEdited

Span = tuple[float, float]


class SpeechRegions:
    def __init__(self, transcript: Transcript, *, join: float = 0.4, keep: float = 180.0) -> None:
        self.transcript = transcript
        self.join = join
        self.keep = keep
        self.version = 0
        self.finals_version = 0
        self._finals: dict[str | None, deque[Span]] = {}
        self._partial: dict[str | None, Span] = {}
        self._unsubscribe: Callable[[], None] | None = transcript.changes.subscribe(self._changed)
        self._rebuild()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def channels(self) -> list[str | None]:
        return list(dict.fromkeys([*self._finals, *self._partial]))

    def finals(self, channel: str | None, start: float = float("-inf"), end: float = float("inf")) -> list[Span]:
        """The final spans of ``channel`` that overlap ``start``–``end``, in time order."""
        spans = self._finals.get(channel)
        if not spans:
            return []
        out: list[Span] = []
        for span in reversed(spans):  # the newest are wanted: walk back only as far as the window
            if span[1] < start:
                break
            if span[0] <= end:
                out.append(span)
        out.reverse()
        return out

    def partial(self, channel: str | None) -> Span | None:
        return self._partial.get(channel)

    # -- following the transcript --------------------------------------------------------------------------
    def _changed(self, change: Change) -> None:
        if isinstance(change, FinalsAppended):
            if self._add(change.channel, change.tokens):
                self.version += 1
                self.finals_version += 1
        elif isinstance(change, PartialReplaced):
            span = _extent(change.tokens)
            if span is None:
                if self._partial.pop(change.channel, None) is not None:
                    self.version += 1
            elif self._partial.get(change.channel) != span:
                self._partial[change.channel] = span
                self.version += 1
        elif isinstance(change, TokensEdited | Reloaded):
            self._rebuild()

    def _rebuild(self) -> None:
        self._finals.clear()
        self._partial.clear()
        for channel, track in self.transcript.tracks.items():
            self._add(channel, track.finals)
            span = _extent(track.partial)
            if span is not None:
                self._partial[channel] = span
        self.version += 1
        self.finals_version += 1

    def _add(self, channel: str | None, tokens: Iterable[Token]) -> bool:
        spans = self._finals.setdefault(channel, deque())
        added = False
        for token in tokens:
            if token.is_punctuation or token.end <= token.start:
                continue
            added = True
            if spans and token.start - spans[-1][1] <= self.join:
                if token.end > spans[-1][1]:
                    spans[-1] = (spans[-1][0], token.end)
            else:
                spans.append((token.start, token.end))
        if spans:
            horizon = spans[-1][1] - self.keep
            while spans and spans[0][1] < horizon:
                spans.popleft()
        return added


def _extent(tokens: Iterable[Token]) -> Span | None:
    words = [t for t in tokens if not t.is_punctuation]
    if not words:
        return None
    return min(t.start for t in words), max(t.end for t in words)
