"""What a live session can listen to: microphones and system audio, listed, chosen, opened and metered.

``list_sources()`` → ``Sources``:

* ``microphones`` — on Linux every PulseAudio/PipeWire source that is not a monitor (``pulse:<name>``,
  through ``soundcard``, so any of them can be chosen, not only the default), then every input device
  PortAudio (``sounddevice``) lists (``pa:<host API>:<name>``); elsewhere PortAudio's devices. The default
  is marked and comes first.
* ``system`` — the OS loopbacks (``studio.audio.loopback``): PulseAudio/PipeWire monitors of the outputs on
  Linux, WASAPI loopback on Windows; the default output's first.
* ``note`` — why there is no system audio (macOS: a virtual device such as BlackHole is needed; no sound
  server), ``microphone_note`` — why there are no microphones (no PortAudio). None when all is well.

Each ``SourceInfo`` has a stable ``id`` (remember it between runs in ``settings.live``), a ``label`` and a
``kind`` (``SourceKind.MIC`` or ``SYSTEM``). ``SourceChoice(kind=MIC | SYSTEM | BOTH, microphone_id,
system_id)`` is what the user picked ("" or None: the default device). ``open_source(channel, source_id)``
opens one for a channel ("Me" is the microphone, "Them" the system audio); ``source_id`` None means the
default device of that kind (how capture resumes after a device is lost). ``file:<path>`` ids open a
``FileSource`` (benchmarks, demos).

``SourceMonitor(choice)`` meters the chosen sources before a session starts: ``await monitor.start()``
(opens them in a worker thread), ``levels()`` — ``{"Me": peak, "Them": peak}``, 0..1 over the last 50 ms,
thread-safe, for a Qt timer to pull —, ``rings`` (the last 10 s of each at its own ``ring.samplerate``,
for a waveform before Start), ``problems`` (channel → why it could not be opened) and ``close()``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from studio.audio import capture, loopback
from studio.audio.frames import AudioSource, AudioUnavailableError, Frames
from studio.audio.ring import AudioRing
from studio.services.live.config import ME, THEM

log = logging.getLogger(__name__)

LEVEL_SECONDS = 0.05
MONITOR_SECONDS = 10.0  # audio a SourceMonitor keeps per source (its waveform before Start)


class SourceKind(StrEnum):
    MIC = "mic"
    SYSTEM = "system"
    BOTH = "both"  # a SourceChoice only: microphone and system audio, one session, two channels


@dataclass(frozen=True)
class SourceInfo:
    id: str
    label: str
    kind: SourceKind
    is_default: bool = False
    backend: str = ""  # "pulse", "portaudio", "wasapi"


@dataclass(frozen=True)
class Sources:
    microphones: tuple[SourceInfo, ...]
    system: tuple[SourceInfo, ...]
    note: str | None = None  # why there is no system audio
    microphone_note: str | None = None  # why there are no microphones

    def find(self, source_id: str) -> SourceInfo | None:
        return next((s for s in (*self.microphones, *self.system) if s.id == source_id), None)


@dataclass(frozen=True)
class SourceChoice:
    kind: SourceKind = SourceKind.MIC
    microphone_id: str | None = None  # None or "": the default microphone
    system_id: str | None = None  # None or "": the default output's loopback

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel labels captured: ("Me",), ("Them",) or ("Me", "Them")."""
        return {SourceKind.MIC: (ME,), SourceKind.SYSTEM: (THEM,), SourceKind.BOTH: (ME, THEM)}[self.kind]

    def source_id(self, channel: str) -> str | None:
        return (self.microphone_id if channel == ME else self.system_id) or None


def list_sources() -> Sources:
    """Every microphone and system-audio source on this computer; see the module documentation."""
    microphones: list[SourceInfo] = []
    system: list[SourceInfo] = []
    note: str | None = None
    mic_note: str | None = None
    backend = "wasapi" if sys.platform == "win32" else "pulse"
    try:
        for device in loopback.list_devices():
            kind = SourceKind.SYSTEM if device.loopback else SourceKind.MIC
            info = SourceInfo(device.source_id, device.name, kind, device.is_default, backend)
            (system if device.loopback else microphones).append(info)
    except AudioUnavailableError as exc:
        note = str(exc)
    pulse_mics = bool(microphones)
    try:
        for entry in capture.list_input_devices():
            label = f"{entry.name} ({entry.host_api})" if pulse_mics and entry.host_api else entry.name
            microphones.append(SourceInfo(entry.source_id, label, SourceKind.MIC,
                                          entry.is_default and not pulse_mics, "portaudio"))
    except AudioUnavailableError as exc:
        if not microphones:
            mic_note = str(exc)
    if not system and note is None:
        note = "No output device with a loopback was found, so system audio cannot be captured."
    microphones.sort(key=lambda s: not s.is_default)
    return Sources(tuple(microphones), tuple(system), note, mic_note)


def open_source(channel: str, source_id: str | None) -> AudioSource:
    """An unopened ``AudioSource`` for ``channel`` ("Me": a microphone, "Them": system audio);
    ``source_id`` None: the default device. Raises ``AudioUnavailableError``."""
    if source_id and source_id.startswith("file:"):
        from studio.audio.file_source import FileSource

        return FileSource(Path(source_id[5:]), source_id=source_id)
    if channel == THEM:
        return loopback.SoundcardSource(loopback.find_device(source_id, loopback=True))
    if source_id and source_id.startswith("pa:"):
        return capture.PortAudioSource(capture.find_input_device(source_id))
    if source_id and source_id.startswith(("pulse:", "wasapi:")):
        return loopback.SoundcardSource(loopback.find_device(source_id, loopback=False))
    # The default microphone: PulseAudio's default source where there is a sound server, else PortAudio's.
    if sys.platform.startswith("linux"):
        try:
            return loopback.SoundcardSource(loopback.find_device(None, loopback=False))
        except AudioUnavailableError:
            pass
    return capture.PortAudioSource(capture.find_input_device(None))


SourceFactory = Callable[[str, "str | None"], AudioSource]


class _LevelSink:
    """Keeps the last seconds of a source for its meter and waveform (written on the capture thread)."""

    def __init__(self, rate: int, seconds: float) -> None:
        self.rate = rate
        self.ring = AudioRing(max(1, int(rate * seconds)), samplerate=rate)
        self.lost_reason: str | None = None

    def write(self, block: Frames, end_time: float) -> None:
        self.ring.write(block if block.ndim == 1 else block[:, 0])

    def lost(self, reason: str) -> None:
        self.lost_reason = reason

    def peak(self) -> float:
        recent = self.ring.latest(max(1, round(self.rate * LEVEL_SECONDS)))
        return float(np.max(np.abs(recent))) if len(recent) else 0.0


class SourceMonitor:
    """Level meters for the chosen sources before a session starts (see the module documentation)."""

    def __init__(self, choice: SourceChoice, *, source_factory: SourceFactory | None = None,
                 seconds: float = MONITOR_SECONDS) -> None:
        self.choice = choice
        self.seconds = seconds
        self._factory = source_factory or open_source
        self._open: dict[str, tuple[AudioSource, _LevelSink]] = {}
        self.problems: dict[str, str] = {}  # channel → why it could not be opened

    async def start(self) -> None:
        await asyncio.to_thread(self._start)

    def _start(self) -> None:
        for channel in self.choice.channels:
            try:
                source = self._factory(channel, self.choice.source_id(channel))
                sink = _LevelSink(source.samplerate, self.seconds)
                source.start(sink)
            except AudioUnavailableError as exc:
                self.problems[channel] = str(exc)
                continue
            self._open[channel] = (source, sink)

    @property
    def rings(self) -> dict[str, AudioRing]:
        """The last ``seconds`` of each open source at its own rate (``ring.samplerate``), not aligned."""
        return {channel: sink.ring for channel, (_s, sink) in self._open.items()}

    def levels(self) -> dict[str, float]:
        """Peak level (0..1) of each open source over the last 50 ms; a lost source reads 0."""
        return {channel: (0.0 if sink.lost_reason else sink.peak()) for channel, (_s, sink) in self._open.items()}

    def close(self) -> None:
        opened, self._open = self._open, {}
        for source, _sink in opened.values():
            source.stop()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)
