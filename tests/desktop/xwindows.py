"""Just enough X11 (python-xlib) to find a client's window, photograph it and ask it to close."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from PySide6.QtGui import QImage
from Xlib import X
from Xlib import display as xdisplay
from Xlib.error import BadDrawable, BadMatch, BadWindow
from Xlib.protocol import event as xevent

T = TypeVar("T")


class XServer:
    def __init__(self, name: str) -> None:
        self.display = xdisplay.Display(name)
        self.root = self.display.screen().root
        # Map and configure notifications of top-level windows wake ``wait_for`` up.
        self.root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self.display.sync()

    def close(self) -> None:
        self.display.close()

    def wait_for(self, probe: Callable[[], T | None], timeout: float) -> T:
        """Re-check ``probe`` whenever the X server reports a change, until it answers or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            found = probe()
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the X server never showed what was awaited")
            select.select([self.display.fileno()], [], [], min(left, 0.1))
            while self.display.pending_events():
                self.display.next_event()

    def viewable_window(self, title: str) -> Any | None:
        for window in self.root.query_tree().children:
            try:
                name = window.get_full_property(self.display.intern_atom("_NET_WM_NAME"), 0)
                text = name.value.decode() if name else (window.get_wm_name() or "")
                if text == title and window.get_attributes().map_state == X.IsViewable:
                    return window
            except (BadWindow, BadDrawable):  # it went away while we looked
                continue
        return None

    def try_screenshot(self, window: Any) -> npt.NDArray[np.uint8] | None:
        """A screenshot, or None if the window was replaced or unmapped meanwhile."""
        try:
            return self.screenshot(window)
        except (BadWindow, BadDrawable, BadMatch):
            return None

    def screenshot(self, window: Any) -> npt.NDArray[np.uint8]:
        # Read the screen where the window is (the window's own visual may differ from the root's).
        geometry = window.get_geometry()
        origin = window.translate_coords(self.root, 0, 0)
        image = self.root.get_image(-origin.x, -origin.y, geometry.width, geometry.height, X.ZPixmap,
                                    0xFFFFFFFF)
        pixels = np.frombuffer(image.data, dtype=np.uint8).reshape(geometry.height, geometry.width, 4)
        return pixels[:, :, [2, 1, 0]].copy()  # BGRX to RGB

    def request_close(self, window: Any) -> None:
        """What a window manager's close button does: a WM_DELETE_WINDOW client message."""
        protocols = self.display.intern_atom("WM_PROTOCOLS")
        delete = self.display.intern_atom("WM_DELETE_WINDOW")
        message = xevent.ClientMessage(window=window, client_type=protocols,
                                       data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        window.send_event(message, event_mask=X.NoEventMask)
        self.display.flush()


def save_png(rgb: npt.NDArray[np.uint8], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width, _ = rgb.shape
    data = np.ascontiguousarray(rgb)
    image = QImage(data.data, width, height, width * 3, QImage.Format.Format_RGB888)
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")
