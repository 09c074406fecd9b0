"""Label construction with the options the studio's styles key on."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def make_label(text: str = "", name: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    return label
