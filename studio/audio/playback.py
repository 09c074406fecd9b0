"""Playing audio through PortAudio (``sounddevice``) on an output stream of its own, as it arrives.

Public API::

    buffer = PcmBuffer(16000)              # 16-bit mono samples, appended as chunks arrive
    buffer.append(chunk); buffer.finish()  # one writer thread (the event loop); readers anywhere
    player = Player(device=None)           # None: the system's default output; or a name from list_output_devices()
    player.play(buffer, start=0.0)         # starts at once if audio is there, else when the first chunk comes
    player.position, player.state          # pulled at display rate by whoever shows them
    player.stop(); player.prepare(); player.close()
    list_output_devices() -> [OutputDevice]; find_output_device(name) -> index or None

The device callback runs on PortAudio's thread and never waits: ``PcmBuffer`` is lock-free for one writer
(samples are written before the length that makes them visible, and a grown array replaces the old one
before the length does), and the callback only copies samples (resampling linearly if the device refused
the clip's rate) and updates a few counters. When the clip runs dry before it is complete the callback
plays silence and waits (``PlayState.WAITING``); when it is complete and played out the stream stops.

The stream is opened when the first audio frame can be handed to it, so the device's first buffer holds
audio rather than silence; ``prepare()`` opens it early (playing silence), and it is kept open for
``keep_open`` seconds after a playback so that the next one starts within one device period.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from studio.audio.capture import AudioUnavailableError

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.int16]


_exit_handler: list[bool] = []


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        raise AudioUnavailableError("The PortAudio library is not installed, so nothing can be played "
                                    "(on Debian or Ubuntu: apt install libportaudio2).") from exc
    if not _exit_handler:
        # Registered after sounddevice's own, so run before it terminates PortAudio: a stream still calling
        # into Python while the interpreter goes away would abort the process.
        _exit_handler.append(True)
        atexit.register(_close_open_players)
    module: ModuleType = sounddevice
    return module


# -- the buffer ---------------------------------------------------------------------------------------------

class PcmBuffer:
    """16-bit mono PCM at ``rate``, growing as chunks arrive. One thread appends; any thread reads."""

    def __init__(self, rate: int = 16000, *, capacity_seconds: float = 8.0) -> None:
        self.rate = rate
        self._data: Samples = np.zeros(max(1024, int(rate * capacity_seconds)), dtype=np.int16)
        self._length = 0
        self._odd = b""  # half a sample left over from the last chunk
        self.complete = False
        self._waiters: list[Callable[[], None]] = []
        self._waiters_lock = threading.Lock()  # never taken by the audio callback

    @classmethod
    def of(cls, samples: npt.ArrayLike, rate: int = 16000) -> PcmBuffer:
        """A complete buffer holding ``samples`` (int16)."""
        data = np.asarray(samples, dtype=np.int16).reshape(-1)
        buffer = cls(rate, capacity_seconds=0)
        buffer._data = data.copy() if len(data) else np.zeros(1, dtype=np.int16)
        buffer._length = len(data)
        buffer.complete = True
        return buffer

    @property
    def frames(self) -> int:
        return self._length

    @property
    def duration(self) -> float:
        return self._length / self.rate

    def append(self, pcm: bytes) -> None:
        """Little-endian 16-bit samples (a chunk may end in the middle of one)."""
        if self.complete:
            raise ValueError("the buffer is complete")
        data = self._odd + pcm
        usable = len(data) - len(data) % 2
        self._odd = data[usable:]
        if usable:
            self.extend(np.frombuffer(data[:usable], dtype="<i2"))

    def extend(self, samples: npt.ArrayLike) -> None:
        block = np.asarray(samples, dtype=np.int16).reshape(-1)
        length = self._length
        needed = length + len(block)
        data = self._data
        if needed > len(data):
            grown = np.zeros(max(needed, 2 * len(data)), dtype=np.int16)
            grown[:length] = data[:length]
            data = grown
            self._data = grown  # readers that took the old array still find every sample below the old length
        data[length:needed] = block
        self._length = needed  # published last
        if length == 0 and needed:
            self._notify()

    def finish(self) -> None:
        self.complete = True
        self._notify()

    def when_ready(self, callback: Callable[[], None]) -> None:
        """Calls ``callback`` once there is audio to play (or the buffer is complete): now, or on the thread
        that appends."""
        with self._waiters_lock:
            if not (self._length or self.complete):
                self._waiters.append(callback)
                return
        callback()

    def _notify(self) -> None:
        with self._waiters_lock:
            waiters, self._waiters = self._waiters, []
        for callback in waiters:
            try:
                callback()
            except Exception:
                log.exception("a playback waiter failed")

    def view(self, start: int = 0, stop: int | None = None) -> Samples:
        """Samples ``start:stop`` of what has arrived (a view: do not keep it across appends)."""
        length = self._length  # read before the array, see the module's documentation
        data = self._data
        stop = length if stop is None else min(stop, length)
        return data[max(0, start):max(stop, 0)]

    def samples(self) -> Samples:
        """A copy of everything that has arrived."""
        return self.view().copy()

    def pcm_bytes(self) -> bytes:
        return self.view().astype("<i2").tobytes()


# -- devices ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    channels: int
    default_samplerate: float
    is_default: bool
    host_api: str = ""


def list_output_devices() -> list[OutputDevice]:
    sd = _sounddevice()
    try:
        default_output = sd.default.device[1]
        devices = sd.query_devices()
        apis = [str(api["name"]) for api in sd.query_hostapis()]
    except sd.PortAudioError as exc:
        raise AudioUnavailableError(f"The audio system could not list devices ({exc}).") from exc
    if isinstance(default_output, int) and default_output < 0:
        default_output = next((int(api["default_output_device"]) for api in sd.query_hostapis()
                               if int(api["default_output_device"]) >= 0), -1)
    return [OutputDevice(i, str(d["name"]), int(d["max_output_channels"]), float(d["default_samplerate"]),
                         i == default_output, apis[int(d["hostapi"])] if int(d["hostapi"]) < len(apis) else "")
            for i, d in enumerate(devices) if int(d["max_output_channels"]) > 0]


def find_output_device(name: str) -> int | None:
    """The index of the output device called ``name`` now (indices change when devices come and go)."""
    return next((device.index for device in list_output_devices() if device.name == name), None)


# -- the player ---------------------------------------------------------------------------------------------

class PlayState(StrEnum):
    IDLE = "idle"  # nothing asked for
    WAITING = "waiting"  # asked to play, no audio yet (or the clip ran dry while it is still arriving)
    PLAYING = "playing"
    FINISHED = "finished"  # played to the end of a complete clip
    STOPPED = "stopped"  # stopped by ``stop``


class Playback:
    """One playback: the buffer, where the callback is in it (in source frames), and what it has seen."""

    def __init__(self, buffer: PcmBuffer, start: int) -> None:
        self.buffer = buffer
        self.start = start
        self.cursor = float(start)  # the next source frame to hand out
        self.first_frame_at: float | None = None  # the clock when the callback handed out the first frame
        self.state = PlayState.WAITING
        self.underruns = 0  # times the clip ran dry while it was still arriving
        self.armed = False  # the callback hands out nothing before (the stream is being started for it)


_open_players: weakref.WeakSet[Player] = weakref.WeakSet()


def _close_open_players() -> None:
    for player in list(_open_players):
        player.close()


class Player:
    """An output stream of its own. Control it from one thread (the GUI's, or the event loop's)."""

    def __init__(self, device: int | str | None = None, *, latency: float | str = 0.1, blocksize: int = 0,
                 keep_open: float = 30.0, clock: Callable[[], float] = time.perf_counter) -> None:
        self.device = device
        self.latency = latency
        self.blocksize = blocksize
        self.keep_open = keep_open
        self._clock = clock
        self._job: Playback | None = None
        self._stream: Any = None
        self._source_rate = 0  # the rate the open stream was opened for
        self._stream_rate = 0  # the rate it runs at (different when the device refused the clip's)
        self._stream_latency = 0.0
        self._idle_since: float | None = None
        self.device_frames = 0  # frames handed to the device (audio or silence) since the stream opened
        #: Times the device ran out before the callback filled it (PortAudio's output underflow: the callback
        #: came late, on a machine too busy to run it in time); the listener heard a gap each time.
        self.device_underflows = 0
        self._lock = threading.Lock()  # opening and closing the stream; never taken by the callback
        self.error: str | None = None  # why the last playback could not start, in words for the user
        #: Called on the audio thread, so it must not block, when the first frame of a playback is handed out.
        self.on_first_frame: Callable[[Playback], None] | None = None

    # -- state, pulled at display rate --------------------------------------------------------------------
    @property
    def playback(self) -> Playback | None:
        return self._job

    @property
    def state(self) -> PlayState:
        job = self._job
        return PlayState.IDLE if job is None else job.state

    @property
    def first_frame_at(self) -> float | None:
        """When (``clock``) the current playback's first frame was handed to the device, or None."""
        job = self._job
        return None if job is None else job.first_frame_at

    @property
    def active(self) -> bool:
        return self.state in (PlayState.WAITING, PlayState.PLAYING)

    @property
    def stream_open(self) -> bool:
        return self._stream is not None

    @property
    def position(self) -> float:
        """Seconds into the clip of what is heard now: what was handed out, less the device's latency."""
        job = self._job
        if job is None:
            return 0.0
        rate = job.buffer.rate
        if job.state is PlayState.FINISHED:
            return job.buffer.frames / rate
        heard = job.cursor - self._stream_latency * rate
        return max(job.start, min(heard, job.buffer.frames)) / rate

    # -- control ------------------------------------------------------------------------------------------
    def play(self, buffer: PcmBuffer, start: float = 0.0, *, seamless: bool = False) -> Playback:
        """Plays ``buffer`` from ``start`` seconds, replacing whatever was playing (which falls silent at once).
        ``seamless``: if something is playing, carry straight on with ``buffer`` at the next device block,
        without restarting the stream (A/B toggling)."""
        self.error = None
        first = max(0, int(start * buffer.rate))
        job = Playback(buffer, min(first, buffer.frames) if buffer.complete else first)
        switching = seamless and self.active and self._stream is not None and self._source_rate == buffer.rate
        if switching:
            job.armed = True
        self._job = job
        self._idle_since = None
        if not switching:
            # A stream (re)started with audio waiting fills the device's whole buffer with it at once: the
            # first frame goes out within milliseconds instead of at the idle stream's next period.
            buffer.when_ready(lambda: self._start_for(job))
        return job

    def stop(self) -> None:
        job = self._job
        if job is not None and job.state in (PlayState.WAITING, PlayState.PLAYING):
            job.state = PlayState.STOPPED
        self._idle_since = self._clock()

    def prepare(self, rate: int = 16000) -> None:
        """Opens the stream now (playing silence), so that the next ``play`` starts within a device period."""
        self._ensure_stream(rate)
        self._idle_since = self._clock()

    def close(self) -> None:
        """Stops and closes the stream (the next ``play`` opens it again). A playback that has finished is
        heard to its end first (the device's buffer drains); anything else stops at once."""
        drain = self.state is PlayState.FINISHED
        self.stop()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                if drain:
                    stream.stop()
                else:
                    stream.abort()
                stream.close()
            except Exception as exc:  # the device went away meanwhile
                log.info("closing the output stream: %s", exc)

    def set_device(self, device: int | str | None) -> None:
        """Plays on ``device`` from the next playback on."""
        if device != self.device:
            self.close()
            self.device = device

    def tick(self) -> None:
        """Housekeeping for whoever pulls the state: closes a stream that has been idle for ``keep_open`` s."""
        if self._stream is None or self.active:
            return
        now = self._clock()
        if self._idle_since is None:
            self._idle_since = now
        elif now - self._idle_since >= self.keep_open:
            self.close()

    # -- the stream ---------------------------------------------------------------------------------------
    def _start_for(self, job: Playback) -> None:
        # On the thread that appended the first audio (or the caller's, if it was there already).
        if self._job is not job or job.state is PlayState.STOPPED:
            return
        if job.buffer.complete and job.buffer.frames <= job.start:  # nothing to play: the device stays shut
            job.state = PlayState.FINISHED
            return
        try:
            self._ensure_stream(job.buffer.rate, restart_for=job)
        except AudioUnavailableError as exc:
            self.error = str(exc)
            job.state = PlayState.STOPPED

    def _ensure_stream(self, rate: int, restart_for: Playback | None = None) -> None:
        """An open stream for clips at ``rate``; with ``restart_for``, (re)started with that playback armed."""
        sd = _sounddevice()
        with self._lock:
            if self._stream is not None and self._source_rate == rate:
                if restart_for is not None:
                    try:
                        self._stream.abort()  # idle: only silence is dropped
                        restart_for.armed = True
                        self._stream.start()
                    except sd.PortAudioError as exc:
                        raise AudioUnavailableError(f"The output device stopped working: {exc}.") from exc
                return
            if restart_for is not None:
                restart_for.armed = True
            if self._stream is not None:
                old, self._stream = self._stream, None
                old.abort()
                old.close()
            problems: list[str] = []
            for stream_rate, channels in self._attempts(sd, rate):
                try:
                    stream = sd.OutputStream(device=self.device, samplerate=stream_rate, channels=channels,
                                             dtype="int16", blocksize=self.blocksize * stream_rate // rate,
                                             latency=self.latency, callback=self._callback)
                    self._stream_rate, self._source_rate = stream_rate, rate
                    self._stream_latency = float(stream.latency)
                    self.device_frames = 0
                    stream.start()
                except (sd.PortAudioError, ValueError) as exc:
                    problems.append(str(exc))
                    continue
                self._stream = stream
                _open_players.add(self)
                log.info("playing on %s at %d Hz, %d channel(s), %.0f ms latency",
                         self.device if self.device is not None else "the default output", stream_rate, channels,
                         self._stream_latency * 1000)
                return
        where = self.device if self.device is not None else "(the default)"
        raise AudioUnavailableError(f"The output device {where} could not be opened: "
                                    f"{problems[-1] if problems else 'it is not there'}.")

    def _attempts(self, sd: ModuleType, rate: int) -> list[tuple[int, int]]:
        """The clip's own rate in mono first; then the device's own rate (resampled here), then stereo."""
        attempts = [(rate, 1)]
        try:
            native = int(float(sd.query_devices(self.device, "output")["default_samplerate"]))
        except (sd.PortAudioError, ValueError, TypeError):
            return attempts
        for candidate in ((native, 1), (native, 2), (rate, 2)):
            if candidate not in attempts:
                attempts.append(candidate)
        return attempts

    def _callback(self, outdata: Any, frames: int, _time: Any, status: Any) -> None:
        """PortAudio's thread: fills ``outdata`` from the current playback. Nothing here waits."""
        self.device_frames += frames
        if status and status.output_underflow:
            self.device_underflows += 1
        job = self._job
        if job is None or not job.armed or job.state not in (PlayState.WAITING, PlayState.PLAYING):
            outdata.fill(0)
            return
        buffer = job.buffer
        complete = buffer.complete  # read before the length: a complete buffer's length is final
        available = buffer.frames
        step = buffer.rate / self._stream_rate
        cursor = job.cursor
        if step == 1.0:
            start = int(cursor)
            block = buffer.view(start, min(start + frames, available))
            count = len(block)
            outdata[:count] = block[:, None]
            job.cursor = float(start + count)
        else:
            count = min(frames, max(0, math.floor((available - 1 - cursor) / step) + 1)) if available else 0
            if count > 0:
                positions = cursor + step * np.arange(count)
                low = positions.astype(np.int64)
                first = int(low[0])
                source = buffer.view(first, int(low[-1]) + 2).astype(np.float32)
                low -= first
                high = np.minimum(low + 1, len(source) - 1)
                weight = (positions - np.floor(positions)).astype(np.float32)
                outdata[:count] = (source[low] * (1 - weight) + source[high] * weight).astype(np.int16)[:, None]
                job.cursor = cursor + step * count
        outdata[count:] = 0
        if count > 0:
            if job.first_frame_at is None:
                job.first_frame_at = self._clock()
                hook = self.on_first_frame
                if hook is not None:
                    hook(job)
            job.state = PlayState.PLAYING
        if count < frames:
            if complete:
                job.state = PlayState.FINISHED
            elif job.first_frame_at is not None:
                if job.state is PlayState.PLAYING:
                    job.underruns += 1
                job.state = PlayState.WAITING
