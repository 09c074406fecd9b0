"""Label construction with the options the studio's styles key on."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def make_label(text: str = "", name: str = "", *, wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    return label


def set_role(label: QLabel, name: str) -> None:
    """Give ``label`` the style-sheet role ``name`` (its object name) and re-apply the style sheet."""
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)
        label.style().polish(label)
