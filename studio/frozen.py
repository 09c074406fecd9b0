"""Whether the studio runs from its PyInstaller bundle (``packaging/``), and where the bundle keeps its files.

Inside the bundle every package finds its data as usual, relative to its own ``__file__`` (the spec copies
data files to the same relative places): the packaged Whisper model, faster-whisper's Silero VAD model,
eSpeak NG's library and data, the studio's icons under ``resources/``. What differs is said here.
"""

from __future__ import annotations

import sys
from pathlib import Path


def bundled() -> bool:
    """True in the PyInstaller bundle (one folder: the executable and ``_internal/``)."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The bundle's folder of libraries and data (``_internal/``), or None outside the bundle."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) if base else None
