"""Segments — sentences or turns — built from the finals, and edits that keep the words' timing.

A new segment starts when the speaker (``speaker_key``, the rule every part of the studio uses) changes, after
a sentence-ending mark (``is_eos``), after an end of utterance, and after a pause longer than ``pause``
seconds. A segment knows the range of its channel's finals it covers, so an edit replaces exactly those
tokens.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass

from studio.core.transcript.model import Transcript
from studio.core.transcript.speakers import speaker_key
from studio.core.transcript.tokens import Token, render

__all__ = ["DEFAULT_PAUSE", "SENTENCE_END", "Segment", "edit_segment", "segments", "speaker_key"]

DEFAULT_PAUSE = 1.5
SENTENCE_END = frozenset(".?!。？！")


@dataclass(frozen=True)
class Segment:
    channel: str | None
    speaker: str  # speaker key (studio.core.transcript.speakers.speaker_key) of its first word
    start: float
    end: float
    tokens: tuple[Token, ...]
    first: int  # position of the first token in the channel's finals
    stop: int  # one past the last
    text: str


def segments(transcript: Transcript, *, pause: float = DEFAULT_PAUSE) -> list[Segment]:
    """Every channel's segments, in time order."""
    out: list[Segment] = []
    for channel, track in transcript.tracks.items():
        out.extend(_channel_segments(transcript, channel, track.finals, track.utterance_ends, pause))
    if len(transcript.tracks) > 1:
        out.sort(key=lambda s: (s.start, s.end))
    return out


def _channel_segments(transcript: Transcript, channel: str | None, finals: list[Token],
                      utterance_ends: list[float], pause: float) -> list[Segment]:
    out: list[Segment] = []
    first = 0
    boundaries = sorted(utterance_ends)
    boundary_index = 0

    def close(stop: int) -> None:
        if stop > first:
            chunk = tuple(finals[first:stop])
            words = [t for t in chunk if not t.is_punctuation] or list(chunk)
            out.append(Segment(channel, speaker_key(words[0]), chunk[0].start, max(t.end for t in chunk), chunk,
                               first, stop, render(chunk, transcript.word_delimiter)))

    for index in range(1, len(finals)):
        token, previous = finals[index], finals[index - 1]
        if token.is_punctuation and token.glue_before:
            continue  # attached marks stay with the word before them
        while boundary_index < len(boundaries) and boundaries[boundary_index] <= previous.end:
            boundary_index += 1
        crossed_utterance_end = boundary_index < len(boundaries) and boundaries[boundary_index] <= token.start
        if (previous.is_eos or speaker_key(token) != speaker_key(previous) or token.start - previous.end > pause
                or crossed_utterance_end):
            close(index)
            first = index
    close(len(finals))
    return out


# -- editing ---------------------------------------------------------------------------------------------------

_WORDS = re.compile(r"[^\W_][\w'’\-]*|[^\w\s]", re.UNICODE)


def _pieces(text: str, delimiter: str) -> list[str]:
    if delimiter:
        return _WORDS.findall(text)
    return [ch for ch in text if not ch.isspace()]  # languages written without spaces: one piece per character


def edit_segment(transcript: Transcript, segment: Segment, new_text: str) -> list[Token]:
    """Replace a segment's words with ``new_text``. Words that stay keep their timing; changed words take
    the timing of the words they replace; inserted words share the time around them. Returns the new tokens."""
    old = list(segment.tokens)
    pieces = _pieces(new_text, transcript.word_delimiter)
    matcher = difflib.SequenceMatcher(a=[t.text.lower() for t in old], b=[p.lower() for p in pieces],
                                      autojunk=False)
    template = next((t for t in old if not t.is_punctuation), old[0])
    new: list[Token] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":  # the same words (perhaps re-cased): their tokens, with the text as typed
            new.extend(token if token.text == piece else dataclasses.replace(token, text=piece)
                       for token, piece in zip(old[a0:a1], pieces[b0:b1], strict=True))
        elif op == "delete":
            continue
        else:
            span_start = old[a0].start if a0 < len(old) else (new[-1].end if new else segment.end)
            span_end = old[a1 - 1].end if a1 > a0 else (old[a0].start if a0 < len(old) else segment.end)
            span_end = max(span_end, span_start)
            count = b1 - b0
            for offset, piece in enumerate(pieces[b0:b1]):
                if op == "replace" and a1 - a0 == count:
                    source = old[a0 + offset]
                    start, end = source.start, source.end
                else:
                    step = (span_end - span_start) / count
                    start, end = span_start + offset * step, span_start + (offset + 1) * step
                new.append(_token_like(template, piece, round(start, 3), round(end, 3)))
    transcript.replace_finals(segment.channel, segment.first, segment.stop, new)
    return new


def _token_like(template: Token, piece: str, start: float, end: float) -> Token:
    punctuation = not any(ch.isalnum() for ch in piece)
    return Token(kind="punctuation" if punctuation else "word", text=piece, start=end if punctuation else start,
                 end=end, confidence=1.0, speaker=template.speaker, channel=template.channel,
                 language=template.language, attaches_to="previous" if punctuation else None,
                 is_eos=punctuation and piece in SENTENCE_END)
