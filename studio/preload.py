"""Imports the Qt-free modules the main window needs, before anything imports PySide6 (``studio.cli`` does this
on the way to the window).

Once PySide6 is loaded, its ``__feature__`` import hook (shibokensupport's ``feature_imported``) reads the
whole source of every module imported after it (``inspect.getsource``) to see whether the module mentions
PySide6; for the studio's settings, state and storage modules, and the standard library they pull in, that
is about 10 ms of start-up that buys nothing. Imported first, they are already in ``sys.modules`` and are
never read again. Nothing here may import Qt (the import contracts check it).

It also starts fontconfig's initialisation (``FcInit``: reading its configuration and font caches, about 8 ms)
on a thread of its own, through ctypes, which lets go of the GIL for the call: the window's first text needs
Qt's font database, which needs fontconfig, and a bare window paints no text. Done here, it overlaps the
imports on the other core instead of adding to them; ``fonts_ready`` waits for it (``studio.app.run`` does,
before the application object exists, so Qt never initialises fontconfig at the same time). Where there is no
fontconfig (Windows, macOS) nothing is started.
"""

from __future__ import annotations

import sys
import threading


def _init_fontconfig() -> None:
    import contextlib
    import ctypes

    # No fontconfig where Qt would look for it: Qt finds its own way, as without this.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libfontconfig.so.1").FcInit()


_fonts = threading.Thread(target=_init_fontconfig, name="fontconfig-init", daemon=True)
if sys.platform.startswith("linux"):
    _fonts.start()


def fonts_ready(timeout: float = 2.0) -> None:
    """Waits (at most ``timeout`` s) for the fontconfig initialisation started on import."""
    if _fonts.ident is not None:
        _fonts.join(timeout)


import studio.logs  # noqa: E402 - after the thread is started, so that the two overlap
import studio.services.app_state  # noqa: E402
import studio.storage.paths  # noqa: E402
import studio.storage.secrets  # noqa: E402
import studio.storage.settings_store  # noqa: E402, F401
