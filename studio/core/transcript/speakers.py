"""Speakers: a stable colour index per speaker in order of first appearance, and names the user gives.

Keys are what the results say: ``S1``, ``S2`` … from speaker diarization, ``UU`` for unknown, an enrolled
label, or a channel label when a channel stands for a person (mic and system audio).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.core.observable import Observable

UNKNOWN = "UU"
PALETTE_SIZE = 8  # views map a colour index to a colour; indices wrap around


@dataclass(frozen=True)
class SpeakerRenamed:
    key: str
    name: str


@dataclass
class Speaker:
    key: str
    colour: int
    name: str | None = None  # None: the default name

    @property
    def display(self) -> str:
        if self.name:
            return self.name
        if self.key == UNKNOWN:
            return "Unknown speaker"
        match = re.fullmatch(r"S(\d+)", self.key)
        return f"Speaker {match.group(1)}" if match else self.key


class SpeakerRegistry:
    def __init__(self) -> None:
        self._speakers: dict[str, Speaker] = {}
        self.renamed: Observable[SpeakerRenamed] = Observable()

    def get(self, key: str) -> Speaker:
        """The speaker for ``key``, registered (with the next colour) if it is new."""
        speaker = self._speakers.get(key)
        if speaker is None:
            speaker = Speaker(key, len(self._speakers) % PALETTE_SIZE)
            self._speakers[key] = speaker
        return speaker

    def display(self, key: str | None) -> str:
        return self.get(key or UNKNOWN).display

    def rename(self, key: str, name: str) -> None:
        """Give ``key`` a display name (an empty name restores the default); views and exports follow."""
        speaker = self.get(key)
        speaker.name = name.strip() or None
        self.renamed.emit(SpeakerRenamed(key, speaker.display))

    def names(self) -> dict[str, str]:
        """The names the user gave, by key."""
        return {key: s.name for key, s in self._speakers.items() if s.name}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._speakers.values()))

    def __len__(self) -> int:
        return len(self._speakers)
