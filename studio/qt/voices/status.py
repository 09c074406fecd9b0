"""What the Voices page says about itself: what is playing and where, in words; its style sheet; file names."""

from __future__ import annotations

import re
from pathlib import Path

from studio.api.tts import OutputFormat
from studio.qt.theme import Colors
from studio.qt.voices.controller import Activity, VoicesController
from studio.qt.voices.waveform import clock
from studio.services.voices.clip import ClipState, PreviewRequest
from studio.services.voices.export import SAVE_FORMATS


def now_playing(c: VoicesController) -> tuple[str, str]:
    """The "now playing" line and the position ("0:01.2 / 0:03.4"), for the clip being heard or last heard."""
    comparison = c.comparison
    clip = comparison.playing_clip if comparison is not None else c.clip
    activity = c.activity()
    if clip is None:
        return ("Nothing played yet" if activity is Activity.IDLE else ""), ""
    name = c.name_of(clip.request.voice)
    where = f"{comparison.current + 1} of {len(comparison.clips)}: " if comparison is not None else ""
    origin = f" — {c.origin}" if c.origin else ""
    cached = " (from the cache)" if clip.from_cache else ""
    text = {
        Activity.CONNECTING: f"Asking {'the built-in engine' if c.local else 'Speechmatics'} for {name}…",
        Activity.PLAYING: f"Playing {where}{name}{cached}{origin}",
        Activity.BUFFERING: f"Playing {where}{name} — waiting for more audio…",
        Activity.FINISHED: f"Played {name}{origin}",
        Activity.STOPPED: f"Stopped {name}",
        Activity.FAILED: f"{name}: not played",
        Activity.IDLE: f"Ready: {name}",
    }[activity]
    if clip.state is ClipState.STREAMING and activity is Activity.PLAYING:
        text += " · streaming"
    if not clip.pcm.frames:
        return text, ""
    total = clock(clip.duration) + ("…" if not clip.pcm.complete else "")
    return text, f"{clock(c.position_in(clip) or 0.0)} / {total}"


def page_style(c: Colors) -> str:
    return f"""
    #PanelHeading {{ font-weight: 600; font-size: 11pt; color: {c.text}; }}
    #PageTitle {{ font-size: 16pt; font-weight: 600; color: {c.text}; }}
    #NowPlaying {{ font-weight: 600; color: {c.text}; }}
    #LaneTitle {{ font-weight: 600; color: {c.text}; }}
    #PrimaryButton {{ background: {c.accent}; color: {c.accent_text}; border: 1px solid {c.accent};
                      border-radius: 4px; padding: 4px 14px; font-weight: 600; }}
    #PrimaryButton:disabled {{ background: {c.border}; border-color: {c.border}; }}
    #ModeButton {{ border: 1px solid {c.border}; background: {c.button}; color: {c.text}; padding: 3px 10px; }}
    #ModeButton:checked {{ background: {c.accent}; border-color: {c.accent}; color: {c.accent_text}; }}
    """


def default_file_name(request: PreviewRequest) -> str:
    """"sarah-welcome-to-the-future-of.wav": the voice and the text's first words."""
    words = re.findall(r"\w+", request.text.lower())[:5]
    return f"{request.voice}-{'-'.join(words) or 'preview'}.wav"


def save_filters() -> str:
    return ";;".join(f"{f.label} (*{f.suffix})" for f in SAVE_FORMATS)


def save_target(path: Path, chosen_filter: str) -> tuple[Path, OutputFormat]:
    """Where to save and in which format: a known extension decides, else the filter chosen in the dialog
    (whose extension is then added)."""
    by_suffix = {f.suffix: f for f in SAVE_FORMATS} | {".raw": SAVE_FORMATS[1], ".wave": SAVE_FORMATS[0]}
    known = by_suffix.get(path.suffix.lower())
    if known is not None:
        return path, known.id
    chosen = next((f for f in SAVE_FORMATS if chosen_filter.startswith(f.label)), SAVE_FORMATS[0])
    return path.with_name(path.name + chosen.suffix), chosen.id
