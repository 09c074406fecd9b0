"""Recording from an input device through PortAudio (``sounddevice``).

The device callback runs on PortAudio's thread: it copies each block into the ring buffer (which the
waveform reads at display rate) and hands it to ``on_block`` (which the live session forwards to its event
loop). Nothing else happens on that thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from studio.audio.ring import AudioRing, Frames

log = logging.getLogger(__name__)


class AudioUnavailableError(RuntimeError):
    """Audio input cannot be used here; the message says why, for the user."""


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        raise AudioUnavailableError("The PortAudio library is not installed, so no microphone can be used "
                               "(on Debian or Ubuntu: apt install libportaudio2).") from exc
    module: ModuleType = sounddevice
    return module


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_samplerate: float
    is_default: bool


def list_input_devices() -> list[InputDevice]:
    sd = _sounddevice()
    try:
        default_input = sd.default.device[0]
        devices = sd.query_devices()
    except sd.PortAudioError as exc:
        raise AudioUnavailableError(f"The audio system could not list devices ({exc}).") from exc
    return [InputDevice(i, str(d["name"]), int(d["max_input_channels"]), float(d["default_samplerate"]),
                        i == default_input)
            for i, d in enumerate(devices) if int(d["max_input_channels"]) > 0]


class Capture:
    """An open input stream. Use as a context manager, or call ``start`` and ``stop``."""

    def __init__(self, device: int | str | None = None, *, samplerate: int = 16000, channels: int = 1,
                 block_ms: int = 20, ring_seconds: float = 30.0,
                 on_block: Callable[[Frames], None] | None = None) -> None:
        self.device = device
        self.samplerate = samplerate
        self.channels = channels
        self.blocksize = samplerate * block_ms // 1000
        self.ring = AudioRing(int(samplerate * ring_seconds), channels)
        self.overflows = 0
        self._on_block = on_block
        self._stream: Any = None
        self._lock = threading.Lock()

    def _callback(self, indata: Frames, frames: int, _time: Any, status: Any) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        block = np.array(indata, dtype=np.float32, copy=True)
        self.ring.write(block)
        if self._on_block is not None:
            self._on_block(block)

    def start(self) -> None:
        sd = _sounddevice()
        with self._lock:
            if self._stream is not None:
                return
            try:
                stream = sd.InputStream(device=self.device, samplerate=self.samplerate,
                                        channels=self.channels, dtype="float32",
                                        blocksize=self.blocksize, callback=self._callback)
                stream.start()
            except (sd.PortAudioError, ValueError) as exc:
                raise AudioUnavailableError(f"The input device {self.device or '(default)'} could not be "
                                       f"opened: {exc}") from exc
            self._stream = stream
        log.info("capturing from %s at %d Hz, %d channel(s)", self.device or "the default device",
                 self.samplerate, self.channels)

    def stop(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()

    def __enter__(self) -> Capture:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
