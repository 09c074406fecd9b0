"""One transcript model for live sessions, batch results and exports.

``apply(message)`` takes realtime messages — the typed ones from ``studio.api.messages`` (anything with a
``raw`` dict) or the JSON dicts themselves — and follows the rules of the protocol:

- finals are appended and never change afterwards (except by the user's edits);
- the partial region of a channel is replaced as a whole by each partial, and a final clears the partial
  tokens it covers (the partial that follows every final carries what is still open);
- an empty final advances time;
- multichannel results are kept per channel (``channel`` at the top of the message, or on the result);
- translations are kept per language, partial ones replaced as a whole;
- ``RecognitionStarted`` sets the word delimiter and writing direction.

Bookmarks (``add_bookmark``, ``remove_bookmark``) mark moments by audio time; they are kept in time order,
written to json-v2 (in the ``studio`` block) and shown by the TXT and DOCX exports.

Observers subscribe to ``changes`` and get ``studio.core.transcript.changes`` objects; no Qt.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.core.observable import Observable
from studio.core.transcript.changes import (
    Bookmark,
    BookmarksChanged,
    Change,
    FinalsAppended,
    PartialReplaced,
    Reloaded,
    TokensEdited,
    TranslationChanged,
    UtteranceEnded,
)
from studio.core.transcript.speakers import SpeakerRegistry
from studio.core.transcript.tokens import Token, tokens_from_results

if TYPE_CHECKING:
    from studio.core.transcript.segments import Segment

NO_SPACE_LANGUAGES = ("ja", "cmn", "yue", "zh", "th", "lo", "my", "km")
RTL_LANGUAGES = ("ar", "he", "fa", "ur", "ug", "yi", "ps")


@dataclass(frozen=True)
class Sentence:
    """A translated sentence."""

    text: str
    start: float
    end: float
    speaker: str | None = None
    channel: str | None = None


@dataclass
class Track:
    """One channel's stream of results."""

    finals: list[Token] = field(default_factory=list)
    partial: list[Token] = field(default_factory=list)
    final_end: float = 0.0  # audio time the finals cover (empty finals included)
    utterance_ends: list[float] = field(default_factory=list)

    def ends(self) -> list[float]:
        return [t.end for t in self.finals]


def _raw(message: Any) -> Mapping[str, Any]:
    raw = getattr(message, "raw", message)
    if not isinstance(raw, Mapping):
        raise TypeError("apply() takes a realtime message or its JSON object")
    return raw


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class Transcript:
    def __init__(self, language: str = "en", word_delimiter: str | None = None,
                 writing_direction: str | None = None) -> None:
        self.language = language
        self.word_delimiter = (word_delimiter if word_delimiter is not None
                               else "" if language in NO_SPACE_LANGUAGES else " ")
        self.writing_direction = writing_direction or (
            "right-to-left" if language in RTL_LANGUAGES else "left-to-right")
        self.tracks: dict[str | None, Track] = {}
        self.speakers = SpeakerRegistry()
        self.translations: dict[str, list[Sentence]] = {}
        self.partial_translations: dict[str, list[Sentence]] = {}
        self.extras: dict[str, Any] = {}  # batch features: summary, sentiment_analysis, topics, chapters…
        self.metadata: dict[str, Any] = {}
        self.bookmarks: list[Bookmark] = []
        self.changes: Observable[Change] = Observable()
        self.speakers.renamed.subscribe(self.changes.emit)

    # -- reading ------------------------------------------------------------------------------------------
    @property
    def rtl(self) -> bool:
        return self.writing_direction == "right-to-left"

    @property
    def channels(self) -> list[str | None]:
        return list(self.tracks)

    def track(self, channel: str | None = None) -> Track:
        track = self.tracks.get(channel)
        if track is None:
            track = self.tracks[channel] = Track()
        return track

    def finals(self, channel: str | None = None) -> list[Token]:
        return list(self.track(channel).finals) if channel in self.tracks else []

    def all_finals(self) -> list[Token]:
        """Every channel's finals in time order."""
        if len(self.tracks) == 1:
            return list(next(iter(self.tracks.values())).finals)
        merged = [t for track in self.tracks.values() for t in track.finals]
        merged.sort(key=lambda t: (t.start, -t.end))
        return merged

    @property
    def duration(self) -> float:
        ends = [max(track.final_end, track.finals[-1].end if track.finals else 0.0) for track in self.tracks.values()]
        return max(ends, default=0.0)

    # -- applying realtime messages -----------------------------------------------------------------------
    def apply(self, message: Any) -> None:
        data = _raw(message)
        kind = data.get("message")
        if kind == "AddTranscript":
            self._final(data)
        elif kind == "AddPartialTranscript":
            self._partial(data)
        elif kind in ("AddTranslation", "AddPartialTranslation"):
            self._translation(data, partial=kind == "AddPartialTranslation")
        elif kind == "EndOfUtterance":
            channel = data.get("channel")
            time = _number((data.get("metadata") or {}).get("end_time"))
            self.track(channel).utterance_ends.append(time)
            self.changes.emit(UtteranceEnded(channel, time))
        elif kind == "RecognitionStarted":
            self._language_pack(data.get("language_pack_info") or {})

    def _language_pack(self, info: Mapping[str, Any]) -> None:
        delimiter = info.get("word_delimiter")
        if isinstance(delimiter, str):
            self.word_delimiter = delimiter
        direction = info.get("writing_direction")
        if direction in ("left-to-right", "right-to-left"):
            self.writing_direction = direction

    def _tokens(self, data: Mapping[str, Any]) -> tuple[str | None, list[Token]]:
        channel = data.get("channel") if isinstance(data.get("channel"), str) else None
        tokens = tokens_from_results(data.get("results") or [], channel)
        if channel is None and tokens and tokens[0].channel is not None:
            channel = tokens[0].channel  # the older place: on each result
        for token in tokens:
            self.speakers.of(token)  # colours follow the order speakers appear in
        return channel, tokens

    def _final(self, data: Mapping[str, Any]) -> None:
        channel, tokens = self._tokens(data)
        track = self.track(channel)
        end = max(_number((data.get("metadata") or {}).get("end_time")), max((t.end for t in tokens), default=0.0))
        index = len(track.finals)
        track.finals.extend(tokens)
        track.final_end = max(track.final_end, end)
        self.changes.emit(FinalsAppended(channel, index, tuple(tokens), track.final_end))
        if track.partial:
            covered = track.final_end
            remaining = [t for t in track.partial if t.start >= covered and t.end > covered]
            if len(remaining) != len(track.partial):
                track.partial = remaining
                self.changes.emit(PartialReplaced(channel, tuple(remaining)))

    def _partial(self, data: Mapping[str, Any]) -> None:
        channel, tokens = self._tokens(data)
        track = self.track(channel)
        if tokens != track.partial:
            track.partial = tokens
            self.changes.emit(PartialReplaced(channel, tuple(tokens)))

    def _translation(self, data: Mapping[str, Any], partial: bool) -> None:
        language = data.get("language")
        if not isinstance(language, str):
            return
        sentences = [Sentence(str(r.get("content", "")), _number(r.get("start_time")), _number(r.get("end_time")),
                              r.get("speaker"), r.get("channel"))
                     for r in data.get("results") or [] if isinstance(r, Mapping) and r.get("content")]
        if partial:
            self.partial_translations[language] = sentences
        else:
            self.translations.setdefault(language, []).extend(sentences)
            self.partial_translations.pop(language, None)
        self.changes.emit(TranslationChanged(language, partial))

    # -- bookmarks -------------------------------------------------------------------------------------------
    def add_bookmark(self, time: float, label: str = "") -> Bookmark:
        bookmark = Bookmark(max(0.0, float(time)), label)
        bisect.insort(self.bookmarks, bookmark, key=lambda b: b.time)
        self.changes.emit(BookmarksChanged(tuple(self.bookmarks)))
        return bookmark

    def remove_bookmark(self, bookmark: Bookmark) -> None:
        if bookmark in self.bookmarks:
            self.bookmarks.remove(bookmark)
            self.changes.emit(BookmarksChanged(tuple(self.bookmarks)))

    def relabel_bookmark(self, bookmark: Bookmark, label: str) -> Bookmark:
        index = self.bookmarks.index(bookmark)
        renamed = self.bookmarks[index] = Bookmark(bookmark.time, label)
        self.changes.emit(BookmarksChanged(tuple(self.bookmarks)))
        return renamed

    # -- translations ---------------------------------------------------------------------------------------
    def translation_between(self, language: str, start: float, end: float) -> list[Sentence]:
        """The final translated sentences that overlap ``start``–``end`` (the span of a segment)."""
        return [s for s in self.translations.get(language, []) if s.start < end and s.end > start]

    # -- segments, edits, json-v2 (in their own modules) ---------------------------------------------------
    @classmethod
    def from_json_v2(cls, doc: Mapping[str, Any]) -> Transcript:
        """A transcript from a batch json-v2 document (or one this model wrote)."""
        from studio.core.transcript.jsonv2 import from_json_v2

        return from_json_v2(doc, cls)

    def to_json_v2(self) -> dict[str, Any]:
        from studio.core.transcript.jsonv2 import to_json_v2

        return to_json_v2(self)

    def segments(self, *, pause: float | None = None) -> list[Segment]:
        """Sentences and turns, in time order (``studio.core.transcript.segments``)."""
        from studio.core.transcript.segments import DEFAULT_PAUSE, segments

        return segments(self, pause=DEFAULT_PAUSE if pause is None else pause)

    def edit(self, segment: Segment, new_text: str) -> list[Token]:
        """Replace a segment's text, keeping the words' timing; returns the new tokens."""
        from studio.core.transcript.segments import edit_segment

        return edit_segment(self, segment, new_text)

    # -- edits -----------------------------------------------------------------------------------------------
    def replace_finals(self, channel: str | None, start: int, stop: int, tokens: Sequence[Token]) -> None:
        """Replace finals ``start:stop`` of a channel (the user's edit); observers hear ``TokensEdited``."""
        track = self.track(channel)
        track.finals[start:stop] = list(tokens)
        self.changes.emit(TokensEdited(channel, start, stop, tuple(tokens)))

    def index_at(self, channel: str | None, time: float) -> int:
        """The position of the first final of ``channel`` ending after ``time``."""
        return bisect.bisect_right(self.track(channel).ends(), time)

    def clear(self) -> None:
        self.tracks.clear()
        self.translations.clear()
        self.partial_translations.clear()
        self.extras.clear()
        self.bookmarks.clear()
        self.changes.emit(Reloaded())
