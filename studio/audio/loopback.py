"""System audio — what the meeting sounds like — and PulseAudio's microphones, through ``soundcard``.

``soundcard`` (pure Python over the OS audio APIs through CFFI) records the OS loopback where there is one:

* **Linux** — PulseAudio, or PipeWire through pipewire-pulse: every *monitor* source (the output of a sink)
  is a loopback; the default output's monitor comes first. The other sources are microphones, reached by
  name (PortAudio through ALSA's ``pulse`` device only reaches the default source).
* **Windows** — WASAPI loopback of every output device; the default output first.
* **macOS** — no loopback exists: ``loopback_note()`` says a virtual device such as BlackHole is needed
  (it then shows up as an ordinary input device).

``list_devices()`` gives ``SoundcardDevice`` entries (stable ``source_id``: ``pulse:<source name>`` or
``wasapi:<endpoint id>``); ``SoundcardSource(device)`` records one as an ``AudioSource``
(``studio.audio.frames``) from a worker thread in 20 ms blocks at 48 kHz (the rate PulseAudio, PipeWire
and WASAPI mix at), each stamped with ``time.monotonic()`` when it arrived. A stream that fails, or whose
device is no longer listed (PulseAudio quietly moves the streams of a removed source to the default one),
is reported with ``sink.lost``.

``soundcard`` connects to the sound server when it is imported, so it is imported on first use only, and a
missing server becomes ``AudioUnavailableError`` with the reason.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from studio.audio.frames import AudioUnavailableError, BlockSink

log = logging.getLogger(__name__)

RATE = 48000
BLOCK_SECONDS = 0.02
PRESENCE_CHECK_SECONDS = 1.0  # how often a recorder checks that its device still exists
MAC_NOTE = ("macOS has no system-audio loopback: install a virtual audio device such as BlackHole, send the "
            "meeting's output to it, and choose it as the microphone.")
_import_lock = threading.Lock()
_module: ModuleType | None = None
_import_error: str | None = None


def _scheme() -> str:
    return "wasapi" if sys.platform == "win32" else "pulse"


def soundcard_module() -> ModuleType:
    """``soundcard``, imported once; ``AudioUnavailableError`` if the sound server cannot be reached."""
    global _module, _import_error
    with _import_lock:
        if _module is None and _import_error is None:
            if sys.platform == "darwin":
                _import_error = MAC_NOTE
            else:
                argv = sys.argv
                if len(argv) < 2 and argv[:1] == ["-c"]:  # soundcard names the client from sys.argv[1]
                    sys.argv = ["-c", "studio"]
                try:
                    import soundcard

                    _module = soundcard
                except Exception as exc:  # no server: an assertion, OSError or RuntimeError inside soundcard
                    log.info("soundcard is unavailable: %r", exc)
                    _import_error = ("System audio cannot be captured: no PulseAudio or PipeWire sound server "
                                     "is running" if sys.platform != "win32" else
                                     f"System audio cannot be captured ({type(exc).__name__})")
                finally:
                    sys.argv = argv
        if _module is None:
            raise AudioUnavailableError(_import_error or "System audio cannot be captured.")
        return _module


def loopback_note() -> str | None:
    """Why system audio cannot be captured here, or None when it can."""
    try:
        soundcard_module()
    except AudioUnavailableError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class SoundcardDevice:
    backend_id: str  # soundcard's id: the PulseAudio source name, or the Windows endpoint id
    name: str
    loopback: bool
    is_default: bool

    @property
    def source_id(self) -> str:
        return f"{_scheme()}:{self.backend_id}"


def list_devices() -> list[SoundcardDevice]:
    """Every source the sound server has: loopbacks (the default output's first) and, on Linux, microphones
    (the default first). ``AudioUnavailableError`` when there is no sound server."""
    sc = soundcard_module()
    try:
        default_out = _default_speaker_id(sc)
        default_in = _default_microphone_id(sc)
        found = []
        for mic in sc.all_microphones(include_loopback=True):
            loopback = bool(mic.isloopback)
            if sys.platform == "win32" and not loopback:
                continue  # Windows microphones come from PortAudio, which lists them all
            backend_id = str(mic.id)
            default = (backend_id == default_in) if not loopback else _monitors(backend_id, default_out)
            found.append(SoundcardDevice(backend_id, str(mic.name), loopback, default))
    except AudioUnavailableError:
        raise
    except Exception as exc:
        raise AudioUnavailableError(f"The sound server could not list its devices ({exc}).") from exc
    found.sort(key=lambda d: (not d.is_default, d.name.lower()))
    return found


def _default_speaker_id(sc: Any) -> str | None:
    try:
        return str(sc.default_speaker().id)
    except Exception:
        return None


def _default_microphone_id(sc: Any) -> str | None:
    try:
        return str(sc.default_microphone().id)
    except Exception:
        return None


def _monitors(loopback_id: str, speaker_id: str | None) -> bool:
    """Whether this loopback records that output (PulseAudio names a monitor ``<sink>.monitor``)."""
    return speaker_id is not None and loopback_id in (speaker_id, f"{speaker_id}.monitor")


def find_device(source_id: str | None, *, loopback: bool) -> SoundcardDevice:
    """The device with this ``source_id``; None or "": the default loopback (or the default microphone)."""
    devices = [d for d in list_devices() if d.loopback == loopback]
    what = "system audio output" if loopback else "microphone"
    if not devices:
        raise AudioUnavailableError(f"No {what} is available.")
    if not source_id:
        return next((d for d in devices if d.is_default), devices[0])
    for device in devices:
        if device.source_id == source_id:
            return device
    raise AudioUnavailableError(f"The {what} {source_id.split(':', 1)[-1]!r} is not connected.")


class SoundcardSource:
    """A ``soundcard`` recorder as an ``AudioSource``; see the module documentation."""

    def __init__(self, device: SoundcardDevice, *, samplerate: int = RATE) -> None:
        self.device = device
        self._rate = samplerate
        self.blocksize = round(samplerate * BLOCK_SECONDS)
        self._cancel = threading.Event()
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None
        self._open_error: BaseException | None = None

    @property
    def source_id(self) -> str:
        return self.device.source_id

    @property
    def label(self) -> str:
        return self.device.name

    @property
    def samplerate(self) -> int:
        return self._rate

    def start(self, sink: BlockSink) -> None:
        """Opens the recorder (waits until it is open, or raises ``AudioUnavailableError``)."""
        if self._thread is not None:
            return
        sc = soundcard_module()
        try:
            microphone = sc.get_microphone(self.device.backend_id, include_loopback=True)
        except Exception as exc:
            raise AudioUnavailableError(f"{self.device.name} is not connected ({exc}).") from exc
        self._cancel.clear()
        self._opened.clear()
        self._open_error = None
        thread = threading.Thread(target=self._run, args=(microphone, sink), daemon=True,
                                  name=f"soundcard {self.device.name}")
        thread.start()
        self._opened.wait(10)
        if self._open_error is not None or not self._opened.is_set():
            self._cancel.set()
            raise AudioUnavailableError(f"{self.device.name} could not be opened"
                                        f"{f' ({self._open_error})' if self._open_error else ''}.")
        self._thread = thread
        log.info("capturing %s (%s) at %d Hz", self.device.name, self.device.source_id, self._rate)

    def _run(self, microphone: Any, sink: BlockSink) -> None:
        try:
            recorder = microphone.recorder(samplerate=self._rate, channels=1, blocksize=self.blocksize)
            recorder.__enter__()
        except Exception as exc:
            self._open_error = exc
            self._opened.set()
            return
        self._opened.set()
        blocks_per_check = max(1, round(PRESENCE_CHECK_SECONDS / BLOCK_SECONDS))
        try:
            count = 0
            while not self._cancel.is_set():
                block = recorder.record(self.blocksize)
                sink.write(block[:, 0], time.monotonic())
                count += 1
                if count % blocks_per_check == 0 and not self._present():
                    # PulseAudio moves the streams of a removed source to the default one: the device is gone
                    # even though audio still flows, and the session decides where capture resumes.
                    log.info("%s was removed", self.device.name)
                    sink.lost(f"{self.device.name} was disconnected")
                    return
        except Exception as exc:
            if not self._cancel.is_set():
                log.info("%s failed: %s", self.device.name, exc)
                sink.lost(f"{self.device.name} stopped delivering audio")
        finally:
            try:
                recorder.__exit__(None, None, None)
            except Exception as exc:  # a stream whose device vanished may not close cleanly
                log.debug("closing %s: %s", self.device.name, exc)

    def _present(self) -> bool:
        try:
            ids = {str(m.id) for m in soundcard_module().all_microphones(include_loopback=True)}
        except Exception:
            return True  # a failed query is not a removed device
        return self.device.backend_id in ids

    def stop(self) -> None:
        self._cancel.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=3)
