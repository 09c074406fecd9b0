"""A/B comparison: one text in two or more voices, played one after the other or switched at the same point.

Public API::

    session = Comparison(clips, player, mode=CompareMode.SEQUENCE)   # clips in the order they are compared
    session.start()          # plays the first clip (it may still be arriving)
    session.tick()           # at display rate: in sequence mode, starts the next clip when one has ended
    session.switch(1)        # play clip 1 from the point that matches where clip 0 is now
    session.current, session.finished

"The same point" is the same share of the text: voices speak at different speeds, so when both clips are
complete, 40 % into one is 40 % into the other; while the other is still arriving it is the same second
(as far as it has arrived). Qt-free: whoever shows it calls ``tick``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from studio.audio.playback import Player, PlayState
from studio.core.settings import CompareMode
from studio.services.voices.clip import Clip

GAP_SECONDS = 0.4  # the pause between two voices in sequence mode


def matching_position(position: float, source: Clip, target: Clip) -> float:
    """Where in ``target`` the listener is, who is ``position`` seconds into ``source``."""
    if source.pcm.complete and target.pcm.complete and source.duration > 0:
        share = min(1.0, max(0.0, position / source.duration))
        return share * target.duration
    return min(position, target.duration)


class Comparison:
    def __init__(self, clips: Sequence[Clip], player: Player, *, mode: CompareMode = CompareMode.SEQUENCE,
                 gap: float = GAP_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        if len(clips) < 2:
            raise ValueError("a comparison needs two voices or more")
        self.clips = list(clips)
        self.player = player
        self.mode = mode
        self.gap = gap
        self._clock = clock
        self.current = 0
        self.played: list[int] = []  # the clips started, in order
        self._ended_at: float | None = None
        self.stopped = False

    def start(self) -> None:
        self.stopped = False
        self._play(0, 0.0)

    def _play(self, index: int, start: float, *, seamless: bool = False) -> None:
        self.current = index
        self._ended_at = None
        self.played.append(index)
        self.player.play(self.clips[index].pcm, start, seamless=seamless)

    def stop(self) -> None:
        self.stopped = True
        self.player.stop()

    @property
    def playing_clip(self) -> Clip:
        return self.clips[self.current]

    @property
    def finished(self) -> bool:
        """Nothing more will play (sequence: the last clip ended; toggle: the clip playing ended)."""
        if self.stopped:
            return True
        if self.player.playback is None or self.player.playback.buffer is not self.playing_clip.pcm:
            return True
        ended = self.player.state is PlayState.FINISHED
        return ended and (self.mode is CompareMode.TOGGLE or self.current == len(self.clips) - 1)

    def tick(self) -> None:
        if self.stopped or self.mode is not CompareMode.SEQUENCE or self.current >= len(self.clips) - 1:
            return
        if self.player.playback is None or self.player.playback.buffer is not self.playing_clip.pcm:
            return  # something else took the player over
        clip = self.playing_clip
        if self.player.state is PlayState.FINISHED or (clip.done and clip.error is not None):
            now = self._clock()
            if self._ended_at is None:
                self._ended_at = now
            if now - self._ended_at >= self.gap:
                self._play(self.current + 1, 0.0)

    def seek(self, index: int, seconds: float) -> None:
        """Plays clip ``index`` from ``seconds`` (a click on its waveform)."""
        if not 0 <= index < len(self.clips):
            raise IndexError(index)
        self.stopped = False
        self._play(index, seconds)

    def switch(self, index: int) -> None:
        """Plays clip ``index`` from the point matching the one heard now (from its start if one had ended)."""
        if not 0 <= index < len(self.clips):
            raise IndexError(index)
        self.stopped = False
        source = self.playing_clip
        active = self.player.active and self.player.playback is not None \
            and self.player.playback.buffer is source.pcm
        start = matching_position(self.player.position, source, self.clips[index]) if active else 0.0
        self._play(index, start, seamless=True)
