"""Which translated sentences go under which paragraph, and under which of its sentences (no Qt).

Speechmatics returns a translation as sentences with the start and end time of the speech they translate
(realtime: ``AddTranslation``, without a channel even in a multichannel session; batch: ``translations``,
with a channel there). A final translated sentence belongs to the paragraph it begins in — in a channelled
transcript, of its channel, or (no channel given) of the channel whose words it matches best in time — and
sits under the last of that paragraph's source sentences it overlaps: ``blocks(paragraph)`` cuts the
paragraph's text after each translated sentence, so every translation is read right under its sentence
(several source sentences translated as one share one block). Partial translations sit under their
channel's live edge, after everything.
"""

from __future__ import annotations

import bisect
import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.core.transcript.changes import TranslationChanged
from studio.core.transcript.model import Sentence
from studio.core.transcript.rows import Paragraph, Row

if TYPE_CHECKING:
    from studio.core.transcript.paragraphs import ParagraphIndex

TOLERANCE = 0.05  # seconds: a translation's times and its words' times may differ by rounding
_start = operator.attrgetter("start")
_key = operator.attrgetter("key")


@dataclass(frozen=True)
class TranslationBlock:
    """A run of a paragraph's text and the translated sentences read under it."""

    end: int  # the run ends at this character of the paragraph's text (it begins where the block before ended)
    final: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()


class ParagraphTranslations:
    def __init__(self, index: ParagraphIndex) -> None:
        self.index = index
        self.language: str | None = None  # the language whose sentences rows show (None: none)
        self._sorted: dict[str, tuple[int, list[Sentence]]] = {}
        self._owners: dict[Sentence, str | None] = {}
        self._partial_targets: list[Row] = []

    def set_language(self, language: str | None) -> None:
        self.language = language
        self._partial_targets = []

    def reset(self) -> None:
        self._sorted = {}
        self._owners = {}
        self._partial_targets = []

    # -- queries ---------------------------------------------------------------------------------------------
    def sentences(self, paragraph: Paragraph, language: str) -> tuple[list[Sentence], list[Sentence]]:
        """The translated sentences shown under ``paragraph``: final ones, then partial ones."""
        finals = []
        if not paragraph.is_live:
            ordered = self._ordered(language)
            low, high = self._range(paragraph, ordered)
            several = len(self.index.channels) > 1
            for sentence in ordered[low:high]:
                if sentence.channel is not None:
                    if sentence.channel != paragraph.channel:
                        continue
                elif several and self._owner(sentence) != paragraph.channel:
                    continue
                if sentence.speaker and paragraph.channel is None and sentence.speaker != paragraph.speaker:
                    continue
                finals.append(sentence)
        partials = [s for s in self.index.transcript.partial_translations.get(language, [])
                    if self._partial_target(s) is paragraph]
        return finals, partials

    def blocks(self, paragraph: Paragraph, language: str) -> tuple[TranslationBlock, ...]:
        """``paragraph``'s text cut into runs, each with the translated sentences that go under it."""
        finals, partials = self.sentences(paragraph, language)
        if not finals and not partials:
            return ()
        text = self.index.text(paragraph)
        stops = [end + 1 for end in text.sentence_ends]
        if text.partial_from and (not stops or stops[-1] < text.partial_from):
            stops.append(text.partial_from)  # the sentence still being spoken
        firsts = [0, *stops[:-1]]
        began = [text.tokens[first].start for first in firsts]
        cuts: dict[int, list[str]] = {}
        for sentence in finals:
            k = max(0, bisect.bisect_left(began, sentence.end - TOLERANCE) - 1)  # the last one it overlaps
            last = stops[k] - 1
            cuts.setdefault(text.starts[last] + len(text.tokens[last].text), []).append(sentence.text)
        out = [TranslationBlock(cut, tuple(cuts[cut])) for cut in sorted(cuts)]
        if partials:
            end, pending = len(text.text), tuple(s.text for s in partials)
            if out and out[-1].end >= end:
                out[-1] = TranslationBlock(end, out[-1].final, pending)
            else:
                out.append(TranslationBlock(end, (), pending))
        return tuple(out)

    # -- which rows a change touches -------------------------------------------------------------------------
    def changed_rows(self, change: TranslationChanged) -> list[Row]:
        if change.language != self.language:
            return []
        targets: list[Row] = []
        if change.partial:
            targets.extend(self._partial_targets)
            self._partial_targets = [t for s in self.index.transcript.partial_translations.get(change.language, [])
                                     if (t := self._partial_target(s)) is not None]
            targets.extend(self._partial_targets)
        else:
            count = self._sorted.get(change.language, (0, []))[0]
            fresh = self.index.transcript.translations.get(change.language, [])[count:]
            self._ordered(change.language)
            targets.extend(t for s in fresh if (t := self._final_target(s)) is not None)
            targets.extend(self._partial_targets)
            self._partial_targets = []
        return list({id(t): t for t in targets}.values())

    # -- placing ---------------------------------------------------------------------------------------------
    def _ordered(self, language: str) -> list[Sentence]:
        sentences = self.index.transcript.translations.get(language, [])
        count, ordered = self._sorted.get(language, (0, []))
        if len(sentences) != count:
            if len(sentences) < count:
                count, ordered = 0, []
            for sentence in sentences[count:]:
                bisect.insort(ordered, sentence, key=_start)
            self._sorted[language] = (len(sentences), ordered)
        return ordered

    def _range(self, paragraph: Paragraph, ordered: list[Sentence]) -> tuple[int, int]:
        """The sorted sentences that begin within the paragraph's time, up to the channel's next paragraph."""
        paragraphs = self.index.paragraph_list(paragraph.channel)
        k = bisect.bisect_left(paragraphs, paragraph.key, key=_key)
        upto = paragraphs[k + 1].start if k + 1 < len(paragraphs) else math.inf
        since = paragraph.start if k > 0 else -math.inf
        return (bisect.bisect_left(ordered, since - TOLERANCE, key=_start),
                bisect.bisect_left(ordered, upto - TOLERANCE, key=_start))

    def _owner(self, sentence: Sentence) -> str | None:
        """The channel whose words ``sentence`` (given without a channel) matches best in time."""
        if sentence in self._owners:
            return self._owners[sentence]
        best, score = None, math.inf
        for channel in self.index.channels:
            finals = self.index.transcript.track(channel).finals
            i = bisect.bisect_left(finals, sentence.start - TOLERANCE, key=_start)
            near = finals[max(0, i - 1):i + 1]
            if not near:
                continue
            j = bisect.bisect_left(finals, sentence.end - TOLERANCE, key=_start)
            ends = finals[max(0, j - 1):j + 1]
            distance = min(abs(t.start - sentence.start) for t in near) + min(abs(t.end - sentence.end) for t in ends)
            if distance < score:
                best, score = channel, distance
        self._owners[sentence] = best
        return best

    def _final_target(self, sentence: Sentence) -> Paragraph | None:
        channel = sentence.channel if sentence.channel in self.index.channels else None
        if channel is None and len(self.index.channels) > 1:
            channel = self._owner(sentence)
        for candidate in [channel] if channel in self.index.channels else self.index.channels:
            paragraphs = self.index.paragraph_list(candidate)
            k = bisect.bisect_right(paragraphs, sentence.start + TOLERANCE, key=_start) - 1
            if paragraphs:
                return paragraphs[max(k, 0)]
        return None

    def _partial_target(self, sentence: Sentence) -> Row | None:
        """Partial translations go under their channel's live edge."""
        best: Row | None = None
        for channel in self.index.channels:
            if sentence.channel is not None and channel != sentence.channel:
                continue
            edge = self.index.live_edge(channel)
            if edge is not None and (best is None or best.start < edge.start <= sentence.start + TOLERANCE):
                best = edge
        return best
