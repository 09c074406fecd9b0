"""Subtitle cues from a transcript's finals, for SRT and WebVTT.

The rules, in the order they apply:

1. **Pieces.** A piece is what a line is never broken inside: a word with the punctuation attached to it
   (``render``'s attachment rules, so a line never starts with a mark that belongs to the word before). In
   a language written without spaces (word delimiter ``""``: Japanese, Chinese, Thai) lines break between
   words with no space added, and a word wider than a line is cut between its full-width characters (never
   before a character that may not start a line, such as 。、ー or a small kana) instead of overflowing.
   The channels' pieces are merged in time order into one track of cues.
2. **Runs.** A change of speaker (or channel) and a silence of ``pause`` seconds always end a cue. A run
   that starts a new turn carries the speaker's name as a prefix ("Name: ", counted in its first line)
   when the style asks for one; WebVTT's voice tags name every cue and take no room.
3. **Cues.** Each run is cut into cues by dynamic programming over the places between pieces. A cue must
   fit in ``max_lines`` lines of ``max_chars_per_line`` columns and its words must span at most
   ``max_duration``. Among the cuts that fit the cheapest wins: every cue costs 1; ending a cue at a
   sentence end (or an end of utterance) is free, at a clause mark (, ; : 、…) cheap, elsewhere dearer
   (dearer still after an English article, preposition or conjunction), a pause makes a place cheaper, and
   a cut inside a CJK word is dearest; a sentence end inside a cue costs more than a cue, so sentences get
   cues of their own unless they are short: a cue that could not be shown for ``min_duration``, or that
   would be read faster than ``max_cps`` even with all the time up to the next cue, costs extra, as does a
   cue that fills little of its room.
4. **Lines.** A cue takes as few lines as it needs, balanced (the squared line widths add up to little)
   and broken preferably after a sentence end, then after a clause mark, not after a leaning word.
5. **Times.** A cue starts at its first word and is shown until its last word ends, longer where its reading
   speed needs it (``max_cps``) or it would be shorter than ``min_duration``, but never closer than
   ``min_gap`` to the next cue and never longer than ``max_duration``; a cue is cut short to keep the gap.
   (A cue the next one would leave less than 100 ms is still shown for 100 ms and the next one waits: only
   overlapping channels or zero-length words come to that.)

Lengths are display columns (``text_width``): a full-width character counts ``wide_width`` (2), combining
and direction marks nothing. The one exception to the limits: a single piece wider than a line in a
language with spaces (a long URL, a compound, or a long speaker name with the first word) gets a line of
its own, over the limit, rather than being cut; a single piece longer than ``max_duration`` is shown for
``max_duration``. Right-to-left text stays in logical order; the writers start each line with an RLM so that
players lay the line out right to left whatever the first strong character (``SubtitleOptions.rtl_marks``).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import heapq
import itertools
import math
import operator
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

from studio.core.exporters import SubtitleOptions
from studio.core.transcript import Token, Transcript, render, speaker_key
from studio.core.transcript.speakers import UNKNOWN

SENTENCE_MARKS = frozenset(".?!…。？！｡؟۔‼⁇⁈⁉")
CLAUSE_MARKS = frozenset(",;:，、；：،؛—–")
RLM = "\u200f"

# Costs of the cue and line choices (rule 3 and 4).
CUE_COST = 1.0
SENTENCE_INSIDE_COST = 1.5
CLAUSE_BREAK_COST = 0.6
WORD_BREAK_COST = 1.5
INNER_BREAK_COST = 3.0
PAUSE_BONUS = 0.8  # for a pause of PAUSE_BONUS_SECONDS or more
PAUSE_BONUS_SECONDS = 0.5
EPSILON = 1e-6  # seconds: times are sums of float seconds
SHORT_COST = 1.0  # a cue that cannot be shown for min_duration
CPS_COST = 2.0  # per max_cps of excess reading speed (up to 3)
FILL_COST = 0.5
LINE_BALANCE_COST = 4.0
# Where a piece ends: what a break after it costs between lines (a break inside a CJK word costs INNER_LINE).
EOS, CLAUSE, WORD = 0, 1, 2
LINE_BREAK_COSTS = (0.0, 0.3, 1.0)
INNER_LINE_COST = 2.0
# English words that lean on the word after them: a line or cue ending with one costs this much more
LEANING_COST = 0.8
LEANING_WORDS = {"en": frozenset((
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "for", "with", "without", "from",
    "by", "as", "into", "onto", "about", "than", "that", "if", "so", "because", "before", "after", "during",
    "between", "through", "over", "under", "within", "across", "against", "towards", "toward", "upon", "my", "our",
    "your", "his", "her", "its", "their", "this", "these", "those", "i", "we", "you", "he", "she", "they", "it's",
    "i'm", "we're", "you're", "they're", "very", "not", "no",
))}
MIN_VISIBLE_MS = 100  # a cue squeezed by the next one is still shown this long (the next one then waits)


class Cue(NamedTuple):
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]  # the displayed text, speaker prefix included, without direction marks or escapes
    speaker: str  # speaker key (S1, UU, a channel label…)
    channel: str | None
    voice: str | None  # the speaker's display name for a WebVTT voice tag; None: no tag
    prefixed: bool  # lines[0] starts with "Name: "
    tokens: tuple[Token, ...]  # what the cue shows (CJK words cut between characters appear as parts)

    @property
    def start(self) -> float:
        return self.start_ms / 1000

    @property
    def end(self) -> float:
        return self.end_ms / 1000

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@lru_cache(maxsize=1 << 16)
def text_width(text: str, wide: int = 2) -> int:
    """Display columns of ``text``: ``wide`` for a full-width character, 0 for combining and format marks."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += wide if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


_KIND, _START, _END, _TEXT, _CHANNEL = (operator.attrgetter(name) for name in ("kind", "start", "end", "text",
                                                                              "channel"))


def _mark_kind(mark: Token) -> int:
    """What a punctuation mark ends: a sentence, a clause, or neither."""
    if mark.is_eos or mark.text in SENTENCE_MARKS:
        return EOS
    return CLAUSE if mark.text in CLAUSE_MARKS else WORD


_NOT = bytes.maketrans(b"\0\1", b"\1\0")
_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))


def _one_line(text: str) -> str:
    """``text`` without the characters that would end a line (a cue line, or a cue in SRT)."""
    return text if text.isprintable() else text.translate(_LINE_BREAKS)


# Japanese and Chinese line-breaking rules (kinsoku): what may not start a line, what may not end one.
NO_LINE_START = frozenset("、。，．・：；？！ー〜～…‥々ゝゞヽヾぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
                          "」』）］｝〕〉》】〙〗,.!?:;)]}”’")
NO_LINE_END = frozenset("「『（［｛〔〈《【〘〖([{“‘")


def _split_wide(token: Token) -> list[Token] | None:
    """A CJK word as parts that a line may break between: each full-width character (or a run of other
    characters), keeping together what kinsoku rules keep together; None if there is nothing to cut."""
    text = token.text
    if token.is_punctuation or len(text) < 2 or text.isascii() or not any(_is_wide(ch) for ch in text):
        return None
    parts: list[str] = []
    for ch in text:
        if parts and (unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")
                      or ch in NO_LINE_START or parts[-1][-1] in NO_LINE_END
                      or (not _is_wide(ch) and not _is_wide(parts[-1][-1]))):
            parts[-1] += ch
        else:
            parts.append(ch)
    if len(parts) < 2:
        return None
    step = (token.end - token.start) / len(parts)
    return [replace(token, text=part, start=token.start + k * step, end=token.start + (k + 1) * step)
            for k, part in enumerate(parts)]


class _Pieces:
    """Every piece of the transcript as parallel lists (an export touches every word of hours of speech,
    so no object per word). Piece ``i`` is ``tokens[track[i]][first[i]:stop[i]]``."""

    def __init__(self, delimiter: str, wide: int, line_width: int) -> None:
        self.delimiter, self.wide, self.line_width = delimiter, wide, line_width
        self.tokens: list[list[Token]] = []  # per track (CJK words cut into parts)
        self.start: list[float] = []  # seconds
        self.end: list[float] = []
        self.width: list[int] = []
        self.text: list[str] = []
        self.speaker: list[str] = []
        self.channel: list[str | None] = []
        self.ends: list[int] = []  # EOS, CLAUSE or WORD
        self.inner: list[bool] = []  # the break before the piece falls inside a word
        self.track: list[int] = []
        self.first: list[int] = []
        self.stop: list[int] = []

    def __len__(self) -> int:
        return len(self.start)

    def add_track(self, finals: Sequence[Token], utterance_ends: Sequence[float]) -> None:
        """One channel's pieces: between two of them ``render`` puts exactly one delimiter, so a line's
        text is its pieces' texts joined by the delimiter. (Built a column at a time from each piece's first
        token, then the few pieces of several tokens are corrected: list comprehensions are the fast way
        through the words of hours of speech.)"""
        tokens, inner = self._parts(finals)
        n = len(tokens)
        if not n:
            return
        wide, delimiter = self.wide, self.delimiter
        punctuation = list(itertools.compress(range(n), map("punctuation".__eq__, map(_KIND, tokens))))
        # render()'s rule: no delimiter before a mark attached to what precedes it, or after one attached to
        # what follows it; such tokens join the piece before them
        joined = bytearray(n + 1)
        for i in punctuation:
            token = tokens[i]
            if token.glue_before:
                joined[i] = 1
            if token.glue_after:
                joined[i + 1] = 1
        joined[0] = 0
        del joined[n:]
        grouped = any(joined)
        if grouped:
            heads = joined.translate(_NOT)  # 1 where a piece starts
            firsts = list(itertools.compress(range(n), heads))
            stops = [*firsts[1:], n]
            leaders: Sequence[Token] = operator.itemgetter(*firsts)(tokens) if len(firsts) > 1 else tokens[:1]
        else:
            firsts, stops, leaders = list(range(n)), list(range(1, n + 1)), tokens
        start = list(map(_START, leaders))  # seconds, as the tokens have them
        end = list(map(_END, leaders))
        text = list(map(_TEXT, leaders))
        if all(map(str.isascii, text)):
            width = list(map(len, text))
        else:
            width = [len(x) if x.isascii() else text_width(x, wide) for x in text]
        if not all(map(str.isprintable, text)):
            text = [_one_line(x) for x in text]
        speaker = [speaker_key(t) for t in leaders]
        channel = list(map(_CHANNEL, leaders))
        kinds = [WORD] * len(firsts)
        if punctuation and not grouped:  # marks standing alone
            for i in punctuation:
                kinds[i] = _mark_kind(tokens[i])
        elif punctuation:
            piece_of = list(itertools.accumulate(heads))  # piece number + 1 of each token
            for i in punctuation:
                if heads[i] and (i + 1 == n or heads[i + 1]):
                    kinds[piece_of[i] - 1] = _mark_kind(tokens[i])
            for i in itertools.compress(range(n), joined):  # tokens joined to the piece before them
                if joined[i - 1]:
                    continue  # not the first one of its piece
                k = piece_of[i] - 1
                a, b = firsts[k], stops[k]
                first, second = tokens[a], tokens[a + 1]
                if b - a == 2 and first.kind != "punctuation":  # the usual piece: a word and its mark
                    rendered = render((first, second), delimiter)
                    kinds[k] = _mark_kind(second) if second.kind == "punctuation" else WORD
                    start[k] = min(first.start, second.start)
                    end[k] = max(first.end, second.end)
                else:
                    group = tokens[a:b]
                    rendered = render(group, delimiter)
                    words = [m for m, t in enumerate(group) if t.kind != "punctuation"]
                    marks = [_mark_kind(t) for t in group[words[-1] + 1 if words else 0:]]
                    kinds[k] = min(marks) if marks else WORD  # the strongest mark after the last word
                    start[k] = min(t.start for t in group)
                    end[k] = max(t.end for t in group)
                    if words and words[0]:
                        speaker[k], channel[k] = speaker_key(group[words[0]]), group[words[0]].channel
                text[k] = rendered if rendered.isprintable() else _one_line(rendered)
                width[k] = text_width(rendered, wide)
        if utterance_ends:  # an end of utterance between two pieces counts as a sentence end
            boundaries = sorted(utterance_ends)
            for k in range(len(start) - 1):
                at = bisect.bisect_right(boundaries, end[k])
                if at < len(boundaries) and boundaries[at] <= start[k + 1]:
                    kinds[k] = EOS
        self.track.extend([len(self.tokens)] * len(firsts))
        self.tokens.append(tokens)
        self.start.extend(start)
        self.end.extend(end)
        self.width.extend(width)
        self.text.extend(text)
        self.speaker.extend(speaker)
        self.channel.extend(channel)
        self.ends.extend(kinds)
        self.inner.extend([inner[a] for a in firsts] if inner else [False] * len(firsts))
        self.first.extend(firsts)
        self.stop.extend(stops)

    def _parts(self, finals: Sequence[Token]) -> tuple[list[Token], list[bool] | None]:
        """The tokens, and for each whether it continues the word before it: in a language written without
        spaces, a word wider than a line is cut between its characters rather than overflowing the line."""
        if self.delimiter != "":
            return list(finals), None
        tokens: list[Token] = []
        inner: list[bool] = []
        for token in finals:
            parts = _split_wide(token) if text_width(token.text, self.wide) > self.line_width else None
            if parts is None:
                tokens.append(token)
                inner.append(False)
            else:
                tokens.extend(parts)
                inner.append(False)
                inner.extend([True] * (len(parts) - 1))
        return tokens, inner

    def merge_tracks(self) -> None:
        """Every track's pieces merged in time order, each track's own order kept (a tie goes to the track
        added first)."""
        bounds = [0, *(k for k in range(1, len(self.track)) if self.track[k] != self.track[k - 1]), len(self.track)]
        order = list(heapq.merge(*(range(a, b) for a, b in itertools.pairwise(bounds)), key=self.start.__getitem__))
        for name in ("start", "end", "width", "text", "speaker", "channel", "ends", "inner", "track", "first",
                     "stop"):
            values = getattr(self, name)
            setattr(self, name, [values[k] for k in order])


def labelled(transcript: Transcript, keys: Iterable[str]) -> bool:
    """Whether speakers are worth naming: someone other than UU spoke, or the user named a speaker."""
    return bool(transcript.speakers.names()) or any(key != UNKNOWN for key in keys)


def speaker_name(transcript: Transcript, key: str) -> str:
    """The display name of ``key`` on one line."""
    return " ".join(transcript.speakers.display(key).split())


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pauses Python's cycle collector: building the cues of hours of speech makes column lists of tens of
    thousands of items, which every young-generation collection would walk again (about 15 % of an 8-hour
    export). Nothing built here forms cycles; reference counting frees it all as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_cues(transcript: Transcript, options: SubtitleOptions | None = None, *,
               voice_tags: bool = False) -> list[Cue]:
    """The cues of ``transcript``'s finals, in time order. ``voice_tags``: the format has voice tags
    (WebVTT), so the "voice" speaker style names speakers there instead of in a prefix."""
    with without_cycle_collection():
        return _build_cues(transcript, options or SubtitleOptions(), voice_tags)


def _build_cues(transcript: Transcript, options: SubtitleOptions, voice_tags: bool) -> list[Cue]:
    delimiter = transcript.word_delimiter
    wide = options.wide_width
    pieces = _Pieces(delimiter, wide, options.max_chars_per_line)
    tracks = [track for track in transcript.tracks.values() if track.finals]
    for track in tracks:
        pieces.add_track(track.finals, track.utterance_ends)
    if len(tracks) > 1:
        pieces.merge_tracks()
    n = len(pieces)
    if not n:
        return []

    style = options.speaker_style
    named = style != "none" and labelled(transcript, set(pieces.speaker))
    use_voice = named and style == "voice" and voice_tags
    use_prefix = named and not use_voice

    # Runs (rule 2): [first, stop) ranges of pieces
    starts, ends, speakers, channels = pieces.start, pieces.end, pieces.speaker, pieces.channel
    pauses = map((options.pause - EPSILON).__le__, map(operator.sub, starts[1:], ends[:-1]))
    changes = map(operator.or_, map(operator.ne, speakers[1:], speakers[:-1]),
                  map(operator.ne, channels[1:], channels[:-1]))
    bounds = [0, *itertools.compress(range(1, n), map(operator.or_, changes, pauses)), n]

    layout = _Layout(options, pieces, LEANING_WORDS.get(transcript.language.split("-")[0], frozenset()))
    planned: list[tuple[int, int, int, str, int]] = []  # each cue's pieces, lines (0: not counted yet), prefix
    previous: tuple[str, str | None] | None = None
    prefixes: dict[str, tuple[str, int]] = {}
    whole = layout.whole
    for run_first, run_stop in itertools.pairwise(bounds):
        who = (speakers[run_first], channels[run_first])
        prefix, prefix_width = "", 0
        if use_prefix and who != previous:
            if who[0] not in prefixes:
                name = f"{speaker_name(transcript, who[0])}: "
                prefixes[who[0]] = (name, text_width(name, wide))
            prefix, prefix_width = prefixes[who[0]]
        previous = who
        needed = whole(run_first, run_stop, prefix_width)
        if needed:
            planned.append((run_first, run_stop, needed, prefix, prefix_width))
            continue
        next_start = starts[run_stop] if run_stop < n else None
        for first, stop in layout.cut(run_first, run_stop, next_start, prefix_width):
            if first == run_first:
                planned.append((first, stop, 0, prefix, prefix_width))
            else:
                planned.append((first, stop, 0, "", 0))
    return _timed(planned, transcript, options, layout, use_voice)


def _timed(planned: list[tuple[int, int, int, str, int]], transcript: Transcript, options: SubtitleOptions,
           layout: _Layout, use_voice: bool) -> list[Cue]:
    """The cues with their lines (rule 4) and times (rule 5)."""
    pieces = layout.pieces
    gap = round(options.min_gap * 1000)
    longest = round(options.max_duration * 1000)
    shortest = round(options.min_duration * 1000)
    cps = options.max_cps
    wide = options.wide_width
    delimiter = pieces.delimiter
    delimiter_width = text_width(delimiter, wide)
    starts, ends, widths, texts = pieces.start, pieces.end, pieces.width, pieces.text
    speakers, channels, tracks = pieces.speaker, pieces.channel, pieces.track
    token_lists, token_firsts, token_stops = pieces.tokens, pieces.first, pieces.stop
    names = {key: speaker_name(transcript, key) for key in set(speakers)} if use_voice else {}
    following = [round(starts[cue[0]] * 1000) - gap for cue in planned[1:]]
    following.append(round(starts[planned[-1][0]] * 1000) + 2 * longest)
    cues: list[Cue] = []
    previous_end = round(starts[planned[0][0]] * 1000) - gap
    for (first, stop, needed, prefix, prefix_width), next_start in zip(planned, following, strict=True):
        if needed == 1:
            lines = [delimiter.join(texts[first:stop])]
        else:
            breaks = layout.lines(first, stop, prefix_width, needed)
            lines = [delimiter.join(texts[a:b]) for a, b in itertools.pairwise(breaks)]
        shown = prefix_width + sum(widths[first:stop]) + delimiter_width * (stop - first - len(lines))
        if prefix:
            lines[0] = prefix + lines[0]
        start = round(starts[first] * 1000)
        if start < previous_end + gap:
            start = previous_end + gap
        speech_end = round(max(ends[first:stop]) * 1000)
        reading = start + int(-(-shown * 1000 // cps))  # when the cue has been read at max_cps
        end = max(speech_end, start + shortest, reading)
        end = min(end, start + longest, next_start)
        if end < start + MIN_VISIBLE_MS:
            end = min(start + MIN_VISIBLE_MS, start + longest)
        previous_end = end
        speaker = speakers[first]
        cues.append(Cue(start, end, tuple(lines), speaker, channels[first], names.get(speaker), bool(prefix),
                        tuple(token_lists[tracks[first]][token_firsts[first]:token_stops[stop - 1]])))
    return cues


class _Layout:
    """Cutting runs into cues (rule 3) and cues into lines (rule 4)."""

    def __init__(self, options: SubtitleOptions, pieces: _Pieces, leaning: frozenset[str]) -> None:
        self.pieces = pieces
        self.leaning = leaning
        self.width = options.max_chars_per_line
        self.max_lines = options.max_lines
        self.longest = options.max_duration + EPSILON  # seconds
        self.shortest = options.min_duration or -math.inf  # no minimum: never short
        self.gap = options.min_gap
        self.cps = options.max_cps
        self.delimiter = text_width(pieces.delimiter, options.wide_width)
        self.room = options.max_chars_per_line * options.max_lines

    def _count_lines(self, first: int, stop: int, prefix_width: int) -> int:
        """The fewest lines that pieces ``first:stop`` take (filling each line in turn is optimal)."""
        width, delimiter, widths = self.width, self.delimiter, self.pieces.width
        lines, line = 1, prefix_width + widths[first]
        for k in range(first + 1, stop):
            w = widths[k]
            if line + delimiter + w <= width:
                line += delimiter + w
            else:
                lines += 1
                line = w
        return lines

    def _break_costs(self, first: int, stop: int) -> list[float]:
        """What ending a cue after each piece of ``first:stop`` costs (rule 3)."""
        pieces = self.pieces
        starts, ends, kinds, inner, texts = pieces.start, pieces.end, pieces.ends, pieces.inner, pieces.text
        leaning = self.leaning
        costs = []
        for k in range(first, stop - 1):
            if inner[k + 1]:
                cost = INNER_BREAK_COST
            elif kinds[k] == EOS:
                cost = 0.0
            else:
                cost = CLAUSE_BREAK_COST if kinds[k] == CLAUSE else WORD_BREAK_COST
                if leaning and texts[k].lower() in leaning:
                    cost += LEANING_COST
                pause = starts[k + 1] - ends[k]
                if pause > 0:
                    cost = max(0.0, cost - PAUSE_BONUS * min(pause, PAUSE_BONUS_SECONDS) / PAUSE_BONUS_SECONDS)
            costs.append(cost)
        costs.append(0.0)
        return costs

    def whole(self, first: int, stop: int, prefix_width: int) -> int:
        """The lines that the run ``first:stop`` takes if it is one sentence (or less) that fits in one cue
        (then there is nothing to choose), else 0."""
        pieces = self.pieces
        if EOS in pieces.ends[first:stop - 1] or max(pieces.end[first:stop]) - pieces.start[first] > self.longest:
            return 0
        widths = pieces.width[first:stop]
        total = prefix_width + sum(widths) + self.delimiter * (stop - first - 1)
        if total <= self.width:
            return 1
        if self.max_lines >= 2 and total + max(widths) + self.delimiter <= 2 * self.width:
            return 2  # a full first line leaves less than a piece unused, so the rest fits on the second
        needed = self._count_lines(first, stop, prefix_width)
        return needed if needed <= self.max_lines else 0

    def cut(self, first: int, stop: int, next_start: float | None, prefix_width: int) -> list[tuple[int, int]]:
        """The cheapest cut of the run ``first:stop`` into cues that fit, as (first, stop) ranges."""
        pieces = self.pieces
        starts, ends, widths, kinds = pieces.start, pieces.end, pieces.width, pieces.ends
        width, max_lines, longest, delimiter = self.width, self.max_lines, self.longest, self.delimiter
        gap, shortest, cps, room = self.gap, self.shortest, self.cps, self.room
        n = stop - first
        breaks = self._break_costs(first, stop)
        inf = float("inf")
        best = [inf] * (n + 1)
        best[0] = 0.0
        back = [0] * (n + 1)
        after = starts[first + 1:stop]
        after.append(next_start if next_start is not None else starts[stop - 1] + 10 * longest)
        for i in range(n):
            base = best[i]
            if base == inf:
                continue
            start = starts[first + i]
            lines = 1
            line = total = prefix_width if i == 0 else 0
            end = start
            inside = 0.0
            for j in range(i, n):
                w = widths[first + j]
                if j == i:
                    line += w
                    total += w
                elif line + delimiter + w <= width:
                    line += delimiter + w
                    total += delimiter + w
                else:
                    lines += 1
                    if lines > max_lines:
                        break
                    line = w
                    total += w
                if ends[first + j] > end:
                    end = ends[first + j]
                    if end - start > longest and j > i:
                        break
                available = after[j] - gap - start
                if available > longest:
                    available = longest
                cost = base + CUE_COST + breaks[j] + inside
                if available < shortest:
                    cost += SHORT_COST * (1 - max(available, 0.0) / shortest)
                speed = total / (available if available > 0.001 else 0.001)
                if speed > cps:
                    cost += CPS_COST * min((speed - cps) / cps, 3.0)
                if total < room:
                    cost += FILL_COST * (1 - total / room) ** 2
                if cost < best[j + 1]:
                    best[j + 1] = cost
                    back[j + 1] = i
                if kinds[first + j] == EOS:
                    inside += SENTENCE_INSIDE_COST
        cuts: list[tuple[int, int]] = []
        k = n
        while k > 0:
            cuts.append((first + back[k], first + k))
            k = back[k]
        cuts.reverse()
        return cuts

    def lines(self, first: int, stop: int, prefix_width: int, needed: int = 0) -> list[int]:
        """Pieces ``first:stop`` in as few lines as fit (``needed``, if counted already), balanced, broken at
        the best places (rule 4): the piece index where each line starts, then ``stop``."""
        needed = needed or self._count_lines(first, stop, prefix_width)
        if needed == 1:
            return [first, stop]
        width, delimiter = self.width, self.delimiter
        pieces = self.pieces
        widths = pieces.width[first:stop]
        widths[0] += prefix_width
        n = stop - first
        inner, kinds, texts, leaning = pieces.inner, pieces.ends, pieces.text, self.leaning

        def break_cost(k: int) -> float:  # a line break after piece first + k
            if inner[first + k + 1]:
                return INNER_LINE_COST
            kind = kinds[first + k]
            if kind == WORD and leaning and texts[first + k].lower() in leaning:
                return LINE_BREAK_COSTS[kind] + LEANING_COST
            return LINE_BREAK_COSTS[kind]

        if needed == 2:  # the usual case: one place to choose, among the few where both lines fit
            reach = list(itertools.accumulate(map(operator.add, widths, itertools.repeat(delimiter))))
            total = reach[-1] - delimiter  # reach[k - 1] - delimiter: the width of a top line of k pieces
            low = max(1, min(n - 1, bisect.bisect_left(reach, total - width) + 1))
            high = max(1, min(n - 1, bisect.bisect_right(reach, width + delimiter)))
            if low == high:
                return [first, first + low, stop]
            choice, least = 1, float("inf")
            for k in range(low, high + 1) if low < high else range(1, n):
                top = reach[k - 1] - delimiter
                bottom = total - top - delimiter
                if (top > width and k > 1) or (bottom > width and k < n - 1):
                    continue
                cost = LINE_BALANCE_COST * (top * top + bottom * bottom) / (width * width) + break_cost(k - 1)
                if cost < least:
                    choice, least = k, cost
            return [first, first + choice, stop]
        inf = float("inf")
        # best[k][j]: the least cost of the first j pieces in k lines
        best = [[inf] * (n + 1) for _ in range(needed + 1)]
        back = [[0] * (n + 1) for _ in range(needed + 1)]
        best[0][0] = 0.0
        for k in range(1, needed + 1):
            for i in range(k - 1, n):
                base = best[k - 1][i]
                if base == inf:
                    continue
                line = -delimiter
                for j in range(i, n):
                    line += delimiter + widths[j]
                    if line > width and j > i:
                        break
                    cost = base + LINE_BALANCE_COST * (line / width) ** 2 + (break_cost(j) if j < n - 1 else 0.0)
                    if cost < best[k][j + 1]:
                        best[k][j + 1] = cost
                        back[k][j + 1] = i
        out = [stop]
        j = n
        for k in range(needed, 0, -1):
            j = back[k][j]
            out.append(first + j)
        out.reverse()
        return out
