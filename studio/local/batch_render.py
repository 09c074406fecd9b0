"""A finished batch job's transcript as the service writes ``txt`` and ``srt``: a ``SPEAKER: S1`` line heads each
speaker's turn in TXT (``CHANNEL: <label>`` with channel diarization), and SRT cues follow ``srt_overrides``
(``max_line_length`` 37, ``max_lines`` 2 by default) and never mix channels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SRT_DEFAULTS = {"max_line_length": 37, "max_lines": 2}
UNKNOWN_SPEAKER = "UU"


def _words(document: Mapping[str, Any]) -> list[tuple[str, str | None, float, float, bool, str | None]]:
    """(content, who, start, end, is_eos, attaches_to) for each result with an alternative; ``who`` is the
    heading of its turn: ``CHANNEL: <label>`` with channel diarization, else ``SPEAKER: <label>`` (None when
    there is no speaker)."""
    out = []
    for result in document.get("results") or ():
        alternatives = result.get("alternatives") or ()
        if not alternatives:
            continue
        best = alternatives[0]
        channel, speaker = result.get("channel"), best.get("speaker")
        who = f"CHANNEL: {channel}" if channel else (f"SPEAKER: {speaker}" if speaker else None)
        out.append((str(best.get("content", "")), who, float(result.get("start_time", 0.0)),
                    float(result.get("end_time", 0.0)), bool(result.get("is_eos")), result.get("attaches_to")))
    return out


def _join(tokens: Iterable[tuple[str, str | None]], delimiter: str) -> str:
    """Joins (content, attaches_to) tokens: punctuation attached to the previous word has no space before it."""
    text = ""
    glue_next = False
    for content, attaches in tokens:
        if text and not glue_next and attaches not in ("previous", "both"):
            text += delimiter
        text += content
        glue_next = attaches in ("next", "both")
    return text


def render_txt(document: Mapping[str, Any]) -> str:
    """Plain text; with diarization, a ``SPEAKER: S1`` line heads each speaker's turn (spec example:
    ``"SPEAKER: S1\\nHello world.\\n"``) — with channel diarization a ``CHANNEL: <label>`` line each
    channel's — and turns are separated by a blank line."""
    delimiter = str((document.get("metadata") or {}).get("language_pack_info", {}).get("word_delimiter", " "))
    words = _words(document)
    if not words:
        return ""
    unknown = f"SPEAKER: {UNKNOWN_SPEAKER}"
    diarized = any(w[1] not in (None, unknown) for w in words)
    if not diarized:
        return _join(((w[0], w[5]) for w in words), delimiter) + "\n"
    turns: list[tuple[str, list[tuple[str, str | None]]]] = []
    for content, who, _start, _end, _eos, attaches in words:
        label = who or unknown
        if not turns or (turns[-1][0] != label and attaches not in ("previous", "both")):
            turns.append((label, []))
        turns[-1][1].append((content, attaches))
    return "\n".join(f"{label}\n{_join(tokens, delimiter)}\n" for label, tokens in turns)


def _srt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def render_srt(document: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> str:
    """SubRip subtitles: lines of at most ``max_line_length`` characters (a longer single word stands
    alone), at most ``max_lines`` lines per cue; a new cue at each sentence end and speaker change."""
    settings = {**SRT_DEFAULTS, **{k: v for k, v in (overrides or {}).items() if k in SRT_DEFAULTS}}
    max_length, max_lines = int(settings["max_line_length"]), int(settings["max_lines"])
    delimiter = str((document.get("metadata") or {}).get("language_pack_info", {}).get("word_delimiter", " "))
    # Glue punctuation onto its word first: a cue never starts with a full stop.
    pieces: list[tuple[str, str | None, float, float, bool]] = []
    for content, who, start, end, eos, attaches in _words(document):
        if pieces and attaches in ("previous", "both"):
            text, previous_who, first, last, _ = pieces[-1]
            pieces[-1] = (text + content, previous_who, first, max(end, last), eos)
        else:
            pieces.append((content, who, start, end, eos))
    cues: list[tuple[float, float, list[str]]] = []
    lines: list[str] = []
    cue_start = cue_end = 0.0
    cue_speaker: str | None = None

    def flush() -> None:
        if lines:
            cues.append((cue_start, cue_end, list(lines)))
            lines.clear()

    for text, who, start, end, eos in pieces:
        if lines and who != cue_speaker:
            flush()
        if not lines:
            cue_start, cue_speaker = start, who
            lines.append(text)
        elif len(lines[-1]) + len(delimiter) + len(text) <= max_length:
            lines[-1] += delimiter + text
        elif len(lines) < max_lines:
            lines.append(text)
        else:
            flush()
            cue_start, cue_speaker = start, who
            lines.append(text)
        cue_end = end
        if eos:
            flush()
    flush()
    return "".join(f"{index}\n{_srt_time(start)} --> {_srt_time(end)}\n" + "\n".join(text) + "\n\n"
                   for index, (start, end, text) in enumerate(cues, 1))
