"""Light and dark palettes for the Fusion style, following the OS colour scheme unless the user chose one.

The style is Fusion everywhere (``run`` asks for it before the application object exists). The OS scheme
is read from the platform's own palette at start-up (dark when its window colour is dark) and from
``QStyleHints.colorSchemeChanged`` afterwards. Nothing here touches the ``Qt`` namespace before
the window is shown: building its enums costs tens of milliseconds of start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio.core.settings import Theme

if TYPE_CHECKING:
    from PySide6.QtCore import Qt


class Colors(NamedTuple):
    """One theme's colours (a named tuple: immutable and compared by value, and quicker to define at start-up
    than a frozen dataclass, whose generated methods are compiled when the module loads)."""

    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    accent: str
    accent_text: str
    border: str
    sidebar: str
    ok: str
    warn: str
    error: str


LIGHT = Colors(window="#f6f7f9", base="#ffffff", alt_base="#f0f2f5", text="#1f2328", muted="#5b6470",
               button="#ffffff", accent="#2563eb", accent_text="#ffffff", border="#d0d7de",
               sidebar="#eceff3", ok="#1a7f37", warn="#9a6700", error="#cf222e")
DARK = Colors(window="#1e2126", base="#16181c", alt_base="#23272e", text="#e6e8eb", muted="#9aa4b0",
              button="#2a2f37", accent="#4f8cff", accent_text="#ffffff", border="#3a404a",
              sidebar="#191c20", ok="#3fb950", warn="#d29922", error="#f85149")


def palette_for(colors: Colors) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, colors.window), (role.WindowText, colors.text), (role.Base, colors.base),
        (role.AlternateBase, colors.alt_base), (role.Text, colors.text), (role.Button, colors.button),
        (role.ButtonText, colors.text), (role.Highlight, colors.accent),
        (role.HighlightedText, colors.accent_text), (role.ToolTipBase, colors.base),
        (role.ToolTipText, colors.text), (role.PlaceholderText, colors.muted), (role.Link, colors.accent),
        (role.Mid, colors.border), (role.Midlight, colors.border), (role.Dark, colors.border),
    ):
        palette.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, r, QColor(colors.muted))
    return palette


def stylesheet(c: Colors) -> str:
    return f"""
    #Sidebar {{ background: {c.sidebar}; border: none; border-right: 1px solid {c.border};
               padding: 8px 6px; outline: 0; }}
    #Sidebar::item {{ padding: 10px 10px; border-radius: 8px; margin: 2px 0; color: {c.text}; }}
    #Sidebar::item:selected {{ background: {c.accent}; color: {c.accent_text}; }}
    #Sidebar::item:hover:!selected {{ background: {c.alt_base}; }}
    #EmptyIcon {{ qproperty-alignment: AlignCenter; }}
    #EmptyTitle {{ font-size: 20pt; font-weight: 600; color: {c.text}; qproperty-alignment: AlignCenter; }}
    #EmptyBody {{ font-size: 11pt; color: {c.muted}; qproperty-alignment: AlignCenter; }}
    #EmptyNote {{ color: {c.muted}; border: 1px solid {c.border}; border-radius: 8px; padding: 8px 12px;
                 background: {c.alt_base}; qproperty-alignment: AlignCenter; }}
    #SectionHint {{ color: {c.muted}; }}
    #ErrorText {{ color: {c.error}; }}
    #OkText {{ color: {c.ok}; }}
    QStatusBar {{ border-top: 1px solid {c.border}; }}
    QStatusBar::item {{ border: none; }}
    QStatusBar QToolButton {{ border: none; padding: 2px 8px; color: {c.text}; }}
    QStatusBar QToolButton:hover {{ background: {c.alt_base}; border-radius: 4px; }}
    """


class ThemeController:
    """Applies the chosen theme and re-applies it when the OS scheme changes under Theme.SYSTEM."""

    def __init__(self, app: QApplication, theme: Theme) -> None:
        self._app = app
        self._theme = theme
        self._os_dark = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self._connection = app.styleHints().colorSchemeChanged.connect(self._scheme_changed)
        self._applied: Colors | None = None
        self.apply(theme)

    @property
    def dark(self) -> bool:
        return self._os_dark if self._theme is Theme.SYSTEM else self._theme is Theme.DARK

    @property
    def colors(self) -> Colors:
        return DARK if self.dark else LIGHT

    def apply(self, theme: Theme) -> bool:
        """Use ``theme``; True if the colours changed (restyling every widget is not cheap, so a settings
        save that leaves the theme alone changes nothing)."""
        self._theme = theme
        colors = self.colors
        if colors == self._applied:
            return False
        self._applied = colors
        self._app.setPalette(palette_for(colors))
        self._app.setStyleSheet(stylesheet(colors))
        return True

    def close(self) -> None:
        QObject.disconnect(self._connection)

    def _scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self._os_dark = scheme.name == "Dark"
        if self._theme is Theme.SYSTEM:
            self.apply(self._theme)
