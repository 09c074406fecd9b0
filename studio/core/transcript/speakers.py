"""Speakers: whose words a token is (``speaker_key``), a stable colour index per speaker in order of first
appearance, and names the user gives.

``speaker_key(token)`` is the one rule every part of the studio uses (the model's registry, segments, the
paragraph index and view, the caption overlay, every export):

- one stream (no channel): the diarization label — ``S1``, ``S2`` …, an enrolled label — else ``UU``;
- a channel that stands for one person (``SOLO_CHANNELS``: ``Me``, the microphone of the person using the
  studio) is that person, whatever labels diarization gave its words: ``Me``;
- any other channel: its label when the speaker is unknown (``Them``, ``left``) — and, with
  ``channel_and_speaker`` diarization, one speaker per (channel, label): ``Them/S1``, ``Them/S2``. Speechmatics
  says ``S1`` on one channel is unrelated to ``S1`` on another, so they are different people here too.

Default names: ``Speaker 1`` (one stream), ``Unknown speaker`` (``UU``), the channel's label (``Me``,
``Them``), ``Them 1`` / ``Them 2`` for the people inside a channel (``Speaker 1 (channel_1)`` when the
channel's label ends in a digit), an enrolled label as it is.

Files and journals written before speakers were keyed per channel name ``S1`` for every channel's ``S1``:
``rename`` of a label the registry does not know, in a transcript whose speakers are channel-scoped, names
that label in every channel but the solo one (which keeps its own name).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.core.observable import Observable

if TYPE_CHECKING:
    from studio.core.transcript.tokens import Token

UNKNOWN = "UU"
SOLO_CHANNELS = frozenset({"Me"})  # channels that are one person (the Live workspace's microphone channel)
SEPARATOR = "/"  # between a channel and a diarization label in a key: "Them/S1"
PALETTE_SIZE = 8  # views map a colour index to a colour; indices wrap around
_NUMBERED = re.compile(r"S(\d+)")


def speaker_key(token: Token) -> str:
    """Whose words ``token`` is: the key of its speaker in ``SpeakerRegistry`` (see the module's rules)."""
    channel, label = token.channel, token.speaker
    if channel is None:
        return label or UNKNOWN
    if not label or label == UNKNOWN or channel in SOLO_CHANNELS:
        return channel
    return f"{channel}{SEPARATOR}{label}"


def split_key(key: str) -> tuple[str | None, str]:
    """``(channel, label)`` of a key made by ``speaker_key`` (``(None, key)`` for a key without a channel)."""
    channel, separator, label = key.partition(SEPARATOR)
    return (channel, label) if separator and channel and label else (None, key)


@dataclass(frozen=True)
class SpeakerRenamed:
    key: str
    name: str


@dataclass
class Speaker:
    key: str
    colour: int
    name: str | None = None  # None: the default name
    channel: str | None = None  # the channel the speaker's words are on (None: one stream)
    label: str | None = None  # the diarization label inside the channel (None: the channel is the speaker)

    @property
    def default_name(self) -> str:
        label, channel = self.label, self.channel
        if channel is None:
            if self.key == UNKNOWN:
                return "Unknown speaker"
            match = _NUMBERED.fullmatch(self.key)
            return f"Speaker {match.group(1)}" if match else self.key
        if label is None:
            return channel
        match = _NUMBERED.fullmatch(label)
        if match is None:
            return label  # an enrolled speaker's label is their name
        number = match.group(1)
        return f"Speaker {number} ({channel})" if channel[-1:].isdigit() else f"{channel} {number}"

    @property
    def display(self) -> str:
        return self.name or self.default_name


class SpeakerRegistry:
    def __init__(self) -> None:
        self._speakers: dict[str, Speaker] = {}
        self.renamed: Observable[SpeakerRenamed] = Observable()

    def get(self, key: str) -> Speaker:
        """The speaker for ``key``, registered (with the next colour) if it is new."""
        speaker = self._speakers.get(key)
        if speaker is None:
            channel, label = split_key(key)
            speaker = self._add(key, channel, label if channel is not None else None)
        return speaker

    def find(self, channel: str) -> Speaker | None:
        """The speaker of ``channel`` — its own (``Them`` in channel diarization), else the first one heard in it
        (``Them/S1`` with speakers in channels) — or None; never registers one (a query takes no colour)."""
        speaker = self._speakers.get(channel)
        if speaker is None:
            speaker = next((s for s in self._speakers.values() if s.channel == channel), None)
        return speaker

    def of(self, token: Token) -> Speaker:
        """The speaker of ``token`` (its ``speaker_key``), registered (with the next colour) if it is new."""
        key = speaker_key(token)
        speaker = self._speakers.get(key)
        if speaker is None:
            channel = token.channel
            speaker = self._add(key, channel, token.speaker if channel is not None and key != channel else None)
        return speaker

    def _add(self, key: str, channel: str | None, label: str | None) -> Speaker:
        speaker = self._speakers[key] = Speaker(key, len(self._speakers) % PALETTE_SIZE, None, channel, label)
        return speaker

    def display(self, key: str | None) -> str:
        """The name shown for ``key``; a key with no words yet gets its default name and is not registered
        (a query takes no colour and adds no speaker to the list)."""
        key = key or UNKNOWN
        speaker = self._speakers.get(key)
        if speaker is None:
            channel, label = split_key(key)
            speaker = Speaker(key, 0, None, channel, label if channel is not None else None)
        return speaker.display

    def rename(self, key: str, name: str) -> None:
        """Give ``key`` a display name (an empty name restores the default); views and exports follow.

        A bare diarization label (``S1``) that is not a speaker of its own while channels have speakers
        (``Them/S1``) is an older file's name for that label in every channel: those are renamed."""
        for target in self._targets(key):
            speaker = self.get(target)
            speaker.name = name.strip() or None
            self.renamed.emit(SpeakerRenamed(target, speaker.display))

    def _targets(self, key: str) -> list[str]:
        if key in self._speakers or SEPARATOR in key:
            return [key]
        scoped = [s.key for s in self._speakers.values()
                  if s.label == key and s.channel is not None and s.channel not in SOLO_CHANNELS]
        return scoped or [key]

    def names(self) -> dict[str, str]:
        """The names the user gave, by key."""
        return {key: s.name for key, s in self._speakers.items() if s.name}

    def __iter__(self) -> Iterator[Speaker]:
        return iter(list(self._speakers.values()))

    def __len__(self) -> int:
        return len(self._speakers)

    def __contains__(self, key: object) -> bool:
        return key in self._speakers
