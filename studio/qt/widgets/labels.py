"""Label construction with the options the studio's styles key on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def make_label(text: str = "", name: str = "", *, wrap: bool = False,
               align: Qt.AlignmentFlag | None = None) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    if align is not None:
        label.setAlignment(align)
    return label
