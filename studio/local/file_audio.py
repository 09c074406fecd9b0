"""Realtime ``{"type": "file"}`` audio, decoded as it arrives.

A client that sends a whole media file in chunks (the official SDKs' default ``AudioFormat()``) expects the
service to decode it as it streams, so partials and finals flow while the file is still being sent.
``FileDecoder`` runs PyAV (FFmpeg) in a worker thread on a reader that blocks until the next bytes arrive:

- ``push(data)`` (event loop) adds the next chunk; ``end()`` says no more will come; ``abort()`` gives up.
- The thread hands 16 kHz mono ``pcm_s16le`` to ``on_pcm`` as each packet decodes (it is called on the worker
  thread; the caller takes it to its loop).
- ``await finished()`` waits for the thread; a file FFmpeg cannot read raises ``FileAudioError`` with a reason
  fit for the client (never a path).

Containers that can be read front to back (WAV — RIFF metadata after the ``data`` chunk included —, MP3,
AAC/ADTS, Ogg, FLAC, AMR, MPEG, MP4/M4A with the index first) decode as they arrive; one whose index is at
its end (an MP4 written without "fast start") can only be decoded when that end arrives, which is when the
reader lets FFmpeg see it. The reader keeps every byte (FFmpeg may seek back), bounded by the caller.
"""

from __future__ import annotations

import asyncio
import io
import logging
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
PROBE_BYTES = 8192  # enough for FFmpeg to recognise every listed container from its first bytes
_AVSEEK_SIZE = 0x10000
_UNKNOWN_SIZE = -38  # AVERROR(ENOSYS): what FFmpeg's own pipe protocol answers when asked for a stream's size


class FileAudioError(Exception):
    """The stream is not a media file the service can decode (the reason is safe to send to the client)."""


class _BlockingReader(io.RawIOBase):
    """A growing in-memory file: reads and seeks past what has arrived wait for more (or for the end)."""

    def __init__(self) -> None:
        super().__init__()
        self._data = bytearray()
        self._position = 0
        self._ended = False
        self._aborted = False
        self._ready = threading.Condition()

    # -- the event loop's side -----------------------------------------------------------------------------
    def push(self, data: bytes) -> None:
        with self._ready:
            self._data += data
            self._ready.notify_all()

    def end(self, *, abort: bool = False) -> None:
        with self._ready:
            self._ended = True
            self._aborted = self._aborted or abort
            self._ready.notify_all()

    @property
    def size(self) -> int:
        return len(self._data)

    # -- FFmpeg's side (the worker thread) ------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    streamable = False  # set before FFmpeg opens it: a container read front to back without seeking

    def seekable(self) -> bool:
        return not self.streamable

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        with self._ready:
            while self._position >= len(self._data) and not self._ended:
                self._ready.wait()
            if self._aborted:
                return 0
            count = min(len(view), len(self._data) - self._position)
            if count <= 0:
                return 0
            view[:count] = self._data[self._position:self._position + count]
            self._position += count
            return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        with self._ready:
            if whence & _AVSEEK_SIZE or whence == io.SEEK_END:
                if not self._ended:  # the size is not known yet: FFmpeg takes the error as "a stream"
                    return _UNKNOWN_SIZE
                if whence & _AVSEEK_SIZE:
                    return len(self._data)
                target = len(self._data) + offset
            elif whence == io.SEEK_CUR:
                target = self._position + offset
            else:
                target = offset
            while target > len(self._data) and not self._ended:
                self._ready.wait()
            self._position = max(0, min(target, len(self._data)))
            return self._position

    def tell(self) -> int:
        return self._position

    def peek_wait(self, count: int) -> bytes:
        """The first ``count`` bytes (fewer only if the stream ends first)."""
        with self._ready:
            while len(self._data) < count and not self._ended:
                self._ready.wait()
            return bytes(self._data[:count])

    def peek_at(self, offset: int, count: int) -> bytes:
        with self._ready:
            while len(self._data) < offset + count and not self._ended:
                self._ready.wait()
            return bytes(self._data[offset:offset + count])

    def read_some(self, limit: int) -> bytes:
        buffer = bytearray(limit)
        count = self.readinto(buffer)
        return bytes(buffer[:count])

    def read_exactly(self, count: int) -> bytes:
        out = bytearray()
        while len(out) < count and (piece := self.read_some(count - len(out))):
            out += piece
        return bytes(out)


def _index_first(reader: _BlockingReader) -> bool:
    """An MP4/M4A whose index (``moov``) comes before its media (``mdat``): FFmpeg can read it front to back.
    (Seekable, FFmpeg's MP4 reader first looks for boxes after the media, i.e. waits for the whole file.)"""
    if reader.peek_at(4, 4) != b"ftyp":
        return False
    offset = 0
    for _ in range(64):
        header = reader.peek_at(offset, 16)
        if len(header) < 8:
            return False
        size, kind = struct.unpack(">I", header[:4])[0], header[4:8]
        if kind == b"moov":
            return True
        if kind == b"mdat":
            return False
        if size == 1 and len(header) == 16:
            size = struct.unpack(">Q", header[8:16])[0]
        if size < 8:
            return False
        offset += size
    return False


@dataclass(frozen=True)
class _WavLayout:
    tag: int  # 1 integer PCM, 3 IEEE float
    channels: int
    rate: int
    bits: int

    @property
    def block_align(self) -> int:
        return self.channels * self.bits // 8

    @classmethod
    def parse(cls, fmt: bytes) -> _WavLayout | None:
        """The layout of a plain PCM or float ``fmt`` chunk; None for anything FFmpeg should decode."""
        if len(fmt) < 16:
            raise FileAudioError("the WAV file's fmt chunk is too short")
        tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
        if tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes
            tag = struct.unpack("<H", fmt[24:26])[0]
        plain = (tag == 1 and bits in (8, 16, 24, 32)) or (tag == 3 and bits in (32, 64))
        if not plain or channels < 1 or not 0 < rate <= 768000:
            return None
        return cls(tag, channels, rate, bits)

    def to_float(self, data: bytes) -> Any:
        import numpy as np

        if self.tag == 3:
            samples = np.frombuffer(data, dtype="<f4" if self.bits == 32 else "<f8").astype(np.float32)
        elif self.bits == 8:
            samples = (np.frombuffer(data, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
        elif self.bits == 16:
            samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        elif self.bits == 24:
            raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
            value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
            samples = (np.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)).astype(np.float32)
        else:
            samples = (np.frombuffer(data, dtype="<i4").astype(np.float64) / 2**31).astype(np.float32)
        return samples.reshape(-1, self.channels).mean(axis=1, dtype=np.float32)


class FileDecoder:
    def __init__(self, on_pcm: Callable[[bytes], None]) -> None:
        self._on_pcm = on_pcm
        self._reader = _BlockingReader()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._failure: str | None = None
        self.decoded_bytes = 0

    @property
    def received(self) -> int:
        return self._reader.size

    def push(self, data: bytes) -> None:
        self._reader.push(data)
        if self._thread is None and self._reader.size >= PROBE_BYTES:
            self._start()

    def end(self) -> None:
        self._reader.end()
        if self._thread is None and self._reader.size:
            self._start()
        elif self._thread is None:
            self._done.set()

    def abort(self) -> None:
        self._reader.end(abort=True)
        if self._thread is None:
            self._done.set()

    async def finished(self) -> None:
        """Waits until every byte that arrived has been decoded (after ``end()``)."""
        await asyncio.to_thread(self._done.wait)
        if self._failure is not None:
            raise FileAudioError(self._failure)
        if self._reader.size == 0:
            raise FileAudioError("no audio was received")

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="file-audio-decoder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            head = self._reader.peek_wait(12)
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE" and self._run_wav():
                return
            self._run_ffmpeg()
        except FileAudioError as exc:
            self._failure = str(exc)
        except Exception as exc:  # a defect: reported as a decoding failure, logged with its traceback
            log.exception("decoding a realtime file stream failed")
            self._failure = f"the audio file could not be decoded ({exc.__class__.__name__})"
        finally:
            self._done.set()

    def _run_ffmpeg(self, start: int = 0) -> None:
        import av

        self._reader.seek(start)
        self._reader.streamable = _index_first(self._reader)
        try:
            # Small probes: FFmpeg recognises these containers from their first packets, and the default
            # (5 s of audio) would hold back the first partial for that long.
            with av.open(self._reader, mode="r", options={"probesize": "4096", "analyzeduration": "100000"}
                         ) as container:
                stream = next((s for s in container.streams if s.type == "audio"), None)
                if stream is None:
                    raise FileAudioError("the file has no audio stream")
                resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
                for frame in container.decode(stream):
                    if not isinstance(frame, av.AudioFrame):
                        continue
                    for converted in resampler.resample(frame):
                        self._emit(converted.to_ndarray().tobytes())
                for converted in resampler.resample(None):
                    self._emit(converted.to_ndarray().tobytes())
        except (av.FFmpegError, ValueError, OSError) as exc:
            raise FileAudioError(f"the audio file could not be decoded ({exc.__class__.__name__})") from None

    def _run_wav(self) -> bool:
        """A PCM WAV, read chunk by chunk as it arrives (FFmpeg's WAV reader first buffers 64 KiB to look for
        S/PDIF data, which would hold back the first two seconds). False: not plain PCM, FFmpeg reads it."""
        reader = self._reader
        reader.seek(12)
        layout: _WavLayout | None = None
        while True:
            header = reader.read_exactly(8)
            if len(header) < 8:
                raise FileAudioError("the WAV file has no data chunk")
            kind, size = header[:4], struct.unpack("<I", header[4:])[0]
            if kind == b"fmt ":
                layout = _WavLayout.parse(reader.read_exactly(size + (size & 1)))
                if layout is None:
                    self._run_ffmpeg()
                    return True
            elif kind == b"data":
                if layout is None:
                    raise FileAudioError("the WAV file has no fmt chunk before its data")
                self._stream_pcm(layout, None if size in (0, 0xFFFFFFFF) else size)
                return True
            else:
                reader.read_exactly(size + (size & 1))

    def _stream_pcm(self, layout: _WavLayout, size: int | None) -> None:
        import av
        import numpy as np

        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        left = size
        rest = b""
        while left is None or left > 0:
            piece = self._reader.read_some(65536 if left is None else min(65536, left))
            if not piece:
                break
            if left is not None:
                left -= len(piece)
            piece = rest + piece
            usable = len(piece) - len(piece) % layout.block_align
            rest = piece[usable:]
            if usable:
                samples = layout.to_float(piece[:usable])
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[None, :]), format="flt",
                                                   layout="mono")
                frame.sample_rate = layout.rate
                for converted in resampler.resample(frame):
                    self._emit(converted.to_ndarray().tobytes())
        for converted in resampler.resample(None):
            self._emit(converted.to_ndarray().tobytes())

    def _emit(self, pcm: bytes) -> None:
        if pcm:
            self.decoded_bytes += len(pcm)
            self._on_pcm(pcm)
