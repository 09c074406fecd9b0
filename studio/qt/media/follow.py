"""A player and a transcript view, joined: what the Batch results viewer and the sessions library share.

    link = PlaybackLink(view, media, keys_on=page)   # page: the widget whose children get the keys

- a clicked word, a paragraph's time or "Play from here" (``view.seek_requested``) moves the player there and
  plays;
- the playing position (``media.position_changed``, at display rate) lights the word being played in the
  view, which follows it while the "Follow" box is ticked;
- Ctrl+Space plays or pauses, Alt+Left / Alt+Right skip 5 s, while the focus is inside ``keys_on``.

Other sources of a seek (chapters, a bookmark list) call ``link.seek(seconds)``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from studio.qt.media.player import SKIP_SECONDS, MediaPane
from studio.qt.transcript import TranscriptView

KEYS = (("Ctrl+Space", "toggle"), ("Alt+Left", "back"), ("Alt+Right", "forward"))


class PlaybackLink(QObject):
    def __init__(self, view: TranscriptView, media: MediaPane, keys_on: QWidget) -> None:
        super().__init__(keys_on)
        self.view = view
        self.media = media
        view.seek_requested.connect(self.seek)
        media.position_changed.connect(view.set_playback_time)
        media.follow_changed.connect(view.set_follow_playback)
        view.set_follow_playback(media.follow.isChecked())
        slots = {"toggle": media.toggle, "back": lambda: media.skip(-SKIP_SECONDS),
                 "forward": lambda: media.skip(SKIP_SECONDS)}
        self.shortcuts: list[QShortcut] = []
        for keys, name in KEYS:
            shortcut = QShortcut(QKeySequence(keys), keys_on)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slots[name])
            self.shortcuts.append(shortcut)

    def seek(self, seconds: float) -> None:
        """Play from ``seconds`` (a paused player starts playing)."""
        self.media.seek(seconds)
        if not self.media.playing:
            self.media.play()
