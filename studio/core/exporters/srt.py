"""SubRip (SRT): numbered cues, ``hh:mm:ss,mmm`` times, UTF-8.

SRT has no voice tags, so the "voice" speaker style names speakers in a prefix here. Text is written as it
is: SRT has no escapes (players that read ``<i>``-style tags would take a literal ``<b>`` as one).
"""

from __future__ import annotations

from functools import lru_cache

from studio.core.exporters import SubtitleOptions
from studio.core.exporters.subtitles import RLM, build_cues
from studio.core.transcript import Transcript


@lru_cache(maxsize=1 << 15)
def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def timestamp(ms: int, separator: str = ",") -> str:
    """``hh:mm:ss,mmm`` (SRT; WebVTT takes a full stop for the comma)."""
    seconds, millis = divmod(ms, 1000)
    return f"{_clock(seconds)}{separator}{millis:03d}"


def export(transcript: Transcript, options: SubtitleOptions) -> bytes:
    cues = build_cues(transcript, options, voice_tags=False)
    mark = RLM if transcript.rtl and options.rtl_marks else ""
    blocks = []
    clock = _clock
    for number, cue in enumerate(cues, 1):
        text = "\n".join([mark + line for line in cue.lines]) if mark else "\n".join(cue.lines)
        start, start_ms = divmod(cue.start_ms, 1000)
        end, end_ms = divmod(cue.end_ms, 1000)
        blocks.append(f"{number}\n{clock(start)},{start_ms:03d} --> {clock(end)},{end_ms:03d}\n{text}\n")
    return "\n".join(blocks).encode("utf-8")
