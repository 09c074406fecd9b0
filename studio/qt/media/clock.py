"""Times as people read them beside a player (no Qt: cheap to import anywhere)."""

from __future__ import annotations


def clock_text(seconds: float | None) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on ("" for None)."""
    if seconds is None:
        return ""
    whole = round(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
