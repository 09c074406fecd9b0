"""The Settings dialog's "Clear the voice preview cache" control: what the cache holds, and a button to empty
it. The file work runs off the GUI thread; the Voices page sees the change at once (the cache keeps
nothing in memory)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from studio.qt.widgets.labels import make_label
from studio.services.voices.cache import CacheStats, PreviewCache

if TYPE_CHECKING:
    from studio.qt.bridge import AsyncBridge


class VoiceCacheControl(QWidget):
    def __init__(self, directory: Path, bridge: AsyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cache = PreviewCache(directory)
        self._bridge = bridge
        self.label = make_label("…", "SectionHint")
        self.label.setAccessibleName("Voice preview cache")
        self.button = QPushButton("Clear the voice preview cache")
        self.button.setAccessibleName("Clear the voice preview cache")
        self.button.setToolTip("Previews heard before are kept so that replaying them costs no request; this "
                               "removes them all (the history stays, and replays are asked for again).")
        self.button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.refresh()

    def refresh(self) -> None:
        self._bridge.submit(asyncio.to_thread(self._cache.stats), on_result=self._show, owner=self,
                            on_error=lambda error: self.label.setText(f"Not readable ({error})"))

    def _show(self, stats: CacheStats) -> None:
        self.label.setText(f"Cached: {stats.text}")
        self.button.setEnabled(stats.clips > 0)

    def clear(self) -> None:
        self.button.setEnabled(False)

        def cleared(removed: CacheStats) -> None:
            self.label.setText(f"Cleared {removed.text}" if removed.clips else "Cached: empty")

        self._bridge.submit(asyncio.to_thread(self._cache.clear), on_result=cleared, owner=self,
                            on_error=lambda error: self.label.setText(f"Could not clear it ({error})"))
