"""Icons from the ``resources/`` folder, tinted to the palette at load time."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from studio import APP_ID


@cache
def resources_dir() -> Path:
    bundled = getattr(sys, "_MEIPASS", None)  # inside a PyInstaller bundle
    candidates = [Path(bundled) / "resources"] if bundled else []
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    # A wheel (``pip install``) carries them as data files: <prefix>/share/transcription-studio/resources.
    for base in (sys.prefix, _user_base()):
        installed = Path(base) / "share" / APP_ID / "resources"
        if installed.is_dir():
            return installed
    raise FileNotFoundError("the studio's resources folder is missing from this installation")


def _user_base() -> str:
    import site

    return site.getuserbase()  # where ``pip install --user`` puts data files


def icon(name: str, color: QColor | None = None, size: int = 64) -> QIcon:
    """The SVG icon ``name`` with ``currentColor`` drawn in ``color``."""
    svg = (resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    if color is not None:
        svg = svg.replace("currentColor", color.name())
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return QIcon(pixmap)
