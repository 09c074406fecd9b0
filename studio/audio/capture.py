"""Recording from an input device through PortAudio (``sounddevice``).

``list_input_devices()`` lists every input device PortAudio knows (``InputDevice.source_id`` is stable
between runs); ``PortAudioSource(device)`` is one of them as an ``AudioSource`` (``studio.audio.frames``) for
the live session: its callback copies each 20 ms block into the session's ring, stamped with its capture
time, and does nothing else on PortAudio's thread. ``Capture`` is the simpler recorder into an ``AudioRing``
with an ``on_block`` callback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

import numpy as np

from studio.audio.frames import AudioUnavailableError, BlockSink
from studio.audio.ring import AudioRing, Frames

log = logging.getLogger(__name__)

__all__ = ["AudioUnavailableError", "Capture", "InputDevice", "PortAudioSource", "find_input_device",
           "list_input_devices"]


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
    host_api: str = ""

    @property
    def source_id(self) -> str:
        """Stable between runs (PortAudio's indices are not): the host API and the device's name."""
        return f"pa:{self.host_api}:{self.name}"


def list_input_devices() -> list[InputDevice]:
    sd = _sounddevice()
    try:
        default_input = sd.default.device[0]
        devices = sd.query_devices()
        host_apis = [str(api["name"]) for api in sd.query_hostapis()]
    except sd.PortAudioError as exc:
        raise AudioUnavailableError(f"The audio system could not list devices ({exc}).") from exc
    return [InputDevice(i, str(d["name"]), int(d["max_input_channels"]), float(d["default_samplerate"]),
                        i == default_input, host_apis[int(d["hostapi"])] if int(d["hostapi"]) < len(host_apis) else "")
            for i, d in enumerate(devices) if int(d["max_input_channels"]) > 0]


def find_input_device(source_id: str | None) -> InputDevice:
    """The device with this ``InputDevice.source_id`` (None or "": the default input)."""
    devices = list_input_devices()
    if not devices:
        raise AudioUnavailableError("No input device is available.")
    for device in devices:
        if (source_id and device.source_id == source_id) or (not source_id and device.is_default):
            return device
    if not source_id:
        return devices[0]
    raise AudioUnavailableError(f"The input device {source_id.split(':', 2)[-1]!r} is not connected.")


class PortAudioSource:
    """An input device through PortAudio, as an ``AudioSource`` (``studio.audio.frames``).

    The stream runs at the device's own rate (the session resamples, once). The callback only copies the
    first channel of each 20 ms block into the sink, stamped with its capture time: PortAudio's ADC time of
    the block, moved onto ``time.monotonic``. A stream that stops on its own (the device went away) is
    reported with ``sink.lost``."""

    def __init__(self, device: InputDevice, *, block_ms: int = 20) -> None:
        self.device = device
        self._rate = int(device.default_samplerate) or 48000
        self.blocksize = self._rate * block_ms // 1000
        self.overflows = 0
        self._sink: BlockSink | None = None
        self._stream: Any = None
        self._stopping = False

    @property
    def source_id(self) -> str:
        return self.device.source_id

    @property
    def label(self) -> str:
        return self.device.name

    @property
    def samplerate(self) -> int:
        return self._rate

    def _callback(self, indata: Frames, frames: int, time_info: Any, status: Any) -> None:
        now = time.monotonic()
        if status and status.input_overflow:
            self.overflows += 1
        sink = self._sink
        if sink is None:
            return
        adc = time_info.inputBufferAdcTime
        end = now if not adc else now - (time_info.currentTime - adc) + frames / self._rate
        sink.write(indata[:, 0], min(end, now))

    def _finished(self) -> None:
        sink = self._sink
        if sink is not None and not self._stopping:
            sink.lost(f"The input device {self.device.name!r} stopped")

    def start(self, sink: BlockSink) -> None:
        sd = _sounddevice()
        if self._stream is not None:
            return
        self._sink = sink
        self._stopping = False
        try:
            stream = sd.InputStream(device=self.device.index, samplerate=self._rate,
                                    channels=1, dtype="float32", blocksize=self.blocksize,
                                    callback=self._callback, finished_callback=self._finished)
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._sink = None
            raise AudioUnavailableError(f"The input device {self.device.name!r} could not be opened: {exc}") from exc
        self._stream = stream
        log.info("capturing from %s at %d Hz", self.device.name, self._rate)

    def stop(self) -> None:
        self._stopping = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # a device that vanished may fail to close; it is gone either way
                log.debug("closing %s: %s", self.device.name, exc)
        self._sink = None


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
