"""The Live page's caption overlay: made the first time it is shown, placed where it was last left, its style
and place kept in the settings, and closed for good with the window.

``OverlayHost(context, transcript, save)``: ``toggle()`` shows or hides it, ``set_style(style)`` restyles it,
``close()`` closes it for good (the page calls it when the window closes), ``overlay`` is the window (None
until first shown). ``shown_changed(bool)`` follows its visibility; ``style_changed(style)`` is a change made
from the overlay's own menu. ``save(**fields)`` stores LiveSettings fields (the page debounces it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from studio.core.transcript import Transcript
from studio.qt.context import WorkspaceContext
from studio.qt.live.overlay import CaptionOverlay, OverlayStyle
from studio.qt.transcript import speaker_color


def overlay_style(live: object) -> OverlayStyle:
    """The overlay's style as the settings keep it."""
    return OverlayStyle(getattr(live, "overlay_font_size", 28), getattr(live, "overlay_lines", 2),
                        getattr(live, "overlay_opacity", 0.75), getattr(live, "overlay_click_through", False),
                        getattr(live, "overlay_reading_mode", False)).clamped()


class OverlayHost(QObject):
    shown_changed = Signal(bool)
    style_changed = Signal(object)  # OverlayStyle

    def __init__(self, context: WorkspaceContext, transcript: Transcript, save: Callable[..., None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.transcript = transcript
        self._save = save
        self.overlay: CaptionOverlay | None = None

    def toggle(self) -> None:
        overlay = self.overlay
        if overlay is not None and overlay.isVisible():
            overlay.hide()
            return
        if overlay is None:
            live = self.context.state.settings.live
            overlay = self.overlay = CaptionOverlay(
                self.transcript, self.context.colors,
                lambda index: speaker_color(index, self.context.colors()), overlay_style(live))
            overlay.place(live.overlay_geometry)
            overlay.geometry_changed.connect(lambda geometry: self._save(overlay_geometry=tuple(geometry)))
            overlay.style_changed.connect(self.style_changed)
            overlay.visibility_changed.connect(self.shown_changed)
        overlay.show()

    def set_style(self, style: OverlayStyle) -> None:
        if self.overlay is not None:
            self.overlay.set_style(style)

    def restyle(self) -> None:
        if self.overlay is not None:
            self.overlay.restyle()

    def close(self) -> None:
        """Closes the overlay for good (the window is closing); it is made again if shown again."""
        if self.overlay is not None:
            self.overlay.close_for_good()
            self.overlay = None
