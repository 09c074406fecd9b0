"""Imports the Qt-free modules the main window needs, before anything imports PySide6 (``studio.cli`` does this
on the way to the window).

Once PySide6 is loaded, its ``__feature__`` import hook (shibokensupport's ``feature_imported``) reads the
whole source of every module imported after it (``inspect.getsource``) to see whether the module mentions
PySide6; for the studio's settings, state and storage modules, and the standard library they pull in, that
is about 10 ms of start-up that buys nothing. Imported first, they are already in ``sys.modules`` and are
never read again. Nothing here may import Qt (the import contracts check it).
"""

from __future__ import annotations

import studio.logs
import studio.services.app_state
import studio.services.engine
import studio.storage.paths
import studio.storage.secrets
import studio.storage.settings_store  # noqa: F401
