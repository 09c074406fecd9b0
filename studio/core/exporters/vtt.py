"""WebVTT: a ``WEBVTT`` header, then cues with ``hh:mm:ss.mmm`` times, UTF-8.

Speakers are named by voice tags (``<v Name>``, on every cue) in the default "voice" style, or by a prefix.
``&``, ``<`` and ``>`` are escaped in the text and in the voice names, so a transcript can never close a
tag, open one or write a cue timing arrow.
"""

from __future__ import annotations

from studio.core.exporters import SubtitleOptions
from studio.core.exporters.srt import timestamp
from studio.core.exporters.subtitles import RLM, build_cues
from studio.core.transcript import Transcript


def escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def export(transcript: Transcript, options: SubtitleOptions) -> bytes:
    cues = build_cues(transcript, options, voice_tags=True)
    mark = RLM if transcript.rtl and options.rtl_marks else ""
    voices: dict[str, str] = {}
    blocks = ["WEBVTT\n"]
    for cue in cues:
        lines = [mark + escape(line) for line in cue.lines]
        if cue.voice is not None:
            tag = voices.get(cue.voice) or voices.setdefault(cue.voice, f"<v {escape(cue.voice)}>")
            lines[0] = tag + lines[0]
        text = "\n".join(lines)
        blocks.append(f"{timestamp(cue.start_ms, '.')} --> {timestamp(cue.end_ms, '.')}\n{text}\n")
    return "\n".join(blocks).encode("utf-8")
