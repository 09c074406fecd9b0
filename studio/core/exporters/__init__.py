"""Exports of a transcript: plain text, SRT and WebVTT subtitles, json-v2 and Word documents (no Qt).

    data = export(transcript, "srt")                                   # bytes, UTF-8 for the text formats
    data = export(transcript, "vtt", SubtitleOptions(max_lines=1))
    data = export(transcript, "txt", TextOptions(timestamps=True))

Exports read the finals only (the partial region is never exported) and show speakers by the names the
user gave (``transcript.speakers``). Speaker labels appear only when the transcript has speakers to tell
apart: a speaker other than ``UU`` (diarization or channel labels) or a speaker the user named.

Subtitle limits follow common broadcast practice (42 characters a line, 2 lines, at most 7 s a cue, at most
17 characters a second, a 2-frame gap); the rules are described in ``studio.core.exporters.subtitles``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from studio.core.transcript import Transcript

FORMATS = ("txt", "srt", "vtt", "json", "docx")
MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

SpeakerStyle = Literal["voice", "prefix", "none"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class TextOptions:
    """Plain text (and the layout of a Word document)."""

    timestamps: bool = False  # "[hh:mm:ss] " before each paragraph (or line)
    speakers: bool = True  # "Name: " before each paragraph (or line), when there are speakers to tell apart
    paragraphs: bool = True  # True: a speaker's sentences run on in paragraphs; False: one line a sentence
    paragraph_pause: float = 3.0  # seconds of silence that start a new paragraph of the same speaker
    paragraph_chars: int = 1000  # a paragraph this long ends at its next sentence

    def __post_init__(self) -> None:
        if self.paragraph_pause < 0 or self.paragraph_chars < 1:
            raise ValueError("paragraph_pause must be >= 0 and paragraph_chars >= 1")


@dataclass(frozen=True)
class DocxOptions(TextOptions):
    """A Word document: a title, then speaker-labelled paragraphs with timestamps."""

    timestamps: bool = True
    title: str = "Transcript"


@dataclass(frozen=True)
class SubtitleOptions:
    """SRT and WebVTT cues. Lengths are in display columns: a full-width (CJK) character counts as
    ``wide_width`` columns, combining marks and direction marks as none, every other character as one."""

    max_chars_per_line: int = 42
    max_lines: int = 2
    max_duration: float = 7.0  # seconds a cue is shown, at most
    min_duration: float = 1.0  # seconds a cue is shown, at least, where the next cue leaves room
    min_gap: float = 0.08  # seconds between two cues (2 frames at 25 fps)
    max_cps: float = 17.0  # reading speed: columns a second, spaces and speaker prefix included
    pause: float = 1.0  # a silence this long always ends a cue
    speaker_style: SpeakerStyle = "voice"  # voice: VTT <v Name> (SRT has no voice tags: a prefix there)
    wide_width: int = 2  # columns of a full-width character; 1 measures CJK text in characters
    rtl_marks: bool = True  # right-to-left transcripts: an RLM starts every line, so players lay it out RTL

    def __post_init__(self) -> None:
        if self.max_chars_per_line < 1 or self.max_lines < 1 or self.wide_width < 1:
            raise ValueError("max_chars_per_line, max_lines and wide_width must be at least 1")
        if self.max_duration <= 0 or self.max_cps <= 0 or self.min_gap < 0 or self.pause <= 0:
            raise ValueError("max_duration, max_cps and pause must be positive, min_gap not negative")
        if not 0 <= self.min_duration <= self.max_duration:
            raise ValueError("min_duration must be between 0 and max_duration")
        if self.speaker_style not in ("voice", "prefix", "none"):
            raise ValueError(f"unknown speaker style {self.speaker_style!r}")


@dataclass(frozen=True)
class JsonOptions:
    indent: int | None = 2


Options = TextOptions | SubtitleOptions | JsonOptions


def export(transcript: Transcript, fmt: str, options: Options | None = None) -> bytes:
    """``transcript`` in format ``fmt`` (one of ``FORMATS``), with that format's options (or its defaults)."""
    if fmt == "txt":
        from studio.core.exporters import txt

        return txt.export(transcript, _options(options, TextOptions))
    if fmt == "srt":
        from studio.core.exporters import srt

        return srt.export(transcript, _options(options, SubtitleOptions))
    if fmt == "vtt":
        from studio.core.exporters import vtt

        return vtt.export(transcript, _options(options, SubtitleOptions))
    if fmt == "json":
        from studio.core.exporters import jsonfmt

        return jsonfmt.export(transcript, _options(options, JsonOptions))
    if fmt == "docx":
        from studio.core.exporters import docx

        given = _options(options, TextOptions) if options is not None else DocxOptions()
        if not isinstance(given, DocxOptions):  # plain-text options: the same layout, the default title
            given = DocxOptions(**{name: getattr(given, name) for name in TextOptions.__dataclass_fields__})
        return docx.export(transcript, given)
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")


def _options(options: object, kind: type[_T]) -> _T:
    if options is None:
        return kind()
    if not isinstance(options, kind):
        raise TypeError(f"{type(options).__name__} given where {kind.__name__} was expected")
    return options
