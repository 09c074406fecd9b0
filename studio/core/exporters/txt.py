"""Plain text: paragraphs (or one line a sentence), optionally with ``[hh:mm:ss]`` times and speaker names.

Paragraphs are built from the transcript's segments: a speaker's sentences run on until the speaker (or
channel) changes, a silence of ``paragraph_pause`` seconds, or the paragraph reaches ``paragraph_chars``.
The Word export lays out the same paragraphs. Bookmarks are lines of their own (``[hh:mm:ss] ★ Bookmark: label``)
after the paragraph in which they fall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.core.exporters import TextOptions
from studio.core.exporters.subtitles import labelled, speaker_name
from studio.core.transcript import Segment, Token, Transcript, render
from studio.core.transcript.changes import Bookmark

BOOKMARK = "★ Bookmark"


@dataclass(frozen=True)
class Paragraph:
    start: float
    end: float
    speaker: str  # speaker key
    channel: str | None
    text: str


def hms(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def paragraphs(transcript: Transcript, options: TextOptions) -> list[Paragraph]:
    out: list[Paragraph] = []
    group: list[Segment] = []
    chars = 0

    def close() -> None:
        if group:
            tokens: list[Token] = [t for segment in group for t in segment.tokens]
            text = _one_line(render(tokens, transcript.word_delimiter))
            out.append(Paragraph(group[0].start, max(s.end for s in group), group[0].speaker, group[0].channel,
                                 text))

    for segment in transcript.segments():
        if (group and options.paragraphs and segment.speaker == group[-1].speaker
                and segment.channel == group[-1].channel
                and segment.start - group[-1].end < options.paragraph_pause and chars < options.paragraph_chars):
            group.append(segment)
            chars += len(segment.text)
            continue
        close()
        group = [segment]
        chars = len(segment.text)
    close()
    return out


def _one_line(text: str) -> str:
    if "\n" in text or "\r" in text or "\u2028" in text or "\u2029" in text:
        return " ".join(text.split())
    return text


def headed(transcript: Transcript, options: TextOptions,
           items: Sequence[Paragraph]) -> list[tuple[str, str, Paragraph]]:
    """Each paragraph with its time ("" without timestamps) and speaker name ("" when not shown)."""
    named = options.speakers and labelled(transcript, {p.speaker for p in items})
    names: dict[str, str] = {}
    out = []
    for item in items:
        name = ""
        if named:
            name = names.get(item.speaker) or names.setdefault(item.speaker, speaker_name(transcript, item.speaker))
        out.append((hms(item.start) if options.timestamps else "", name, item))
    return out


Headed = tuple[str, str, Paragraph]


def with_bookmarks(transcript: Transcript, items: list[Headed]) -> list[Headed | Bookmark]:
    """The headed paragraphs with each bookmark placed after the paragraph it falls in (time order)."""
    out: list[Headed | Bookmark] = []
    marks = list(transcript.bookmarks)
    for item in items:
        while marks and marks[0].time < item[2].start:
            out.append(marks.pop(0))
        out.append(item)
    out.extend(marks)
    return out


def bookmark_line(bookmark: Bookmark) -> str:
    return f"[{hms(bookmark.time)}] {BOOKMARK}" + (f": {_one_line(bookmark.label)}" if bookmark.label else "")


def export(transcript: Transcript, options: TextOptions) -> bytes:
    lines = []
    for entry in with_bookmarks(transcript, headed(transcript, options, paragraphs(transcript, options))):
        if isinstance(entry, Bookmark):
            lines.append(bookmark_line(entry))
            continue
        time, name, item = entry
        head = (f"[{time}] " if time else "") + (f"{name}: " if name else "")
        lines.append(head + item.text)
    if not lines:
        return b""
    return ("\n\n" if options.paragraphs else "\n").join(lines).encode("utf-8") + b"\n"
