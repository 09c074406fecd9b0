"""A WAV file that is valid at every moment while it grows: a live session's audio, one channel per source.

``WavWriter(path, channels, rate)`` creates the file with a complete 16-bit PCM header and appends audio as
it comes (``write_channel(index, float32 frames)``: the channels are interleaved as soon as every channel has
audio for the same frames; ``write_pcm(bytes)`` for interleaved ``<i2`` frames). The RIFF and ``data``
sizes are rewritten in place at least every ``header_interval`` seconds of audio and by ``flush()``, so:

* a reader at any moment (or after ``kill -9``) finds a header whose sizes cover whole frames that are
  really there; the bytes written after the last header update are found by ``repair_wav``, which the
  recovery runs (it sets the sizes from the file's length, dropping a torn last frame);
* audio reaches the file with one ``write(2)`` per piece, in the caller's thread, before the caller goes
  on (the live session writes from its tap, before the same audio is sent to the service): what the service
  heard is on disk. ``sync()`` (``fdatasync``) also puts it on the disk itself; the recorder calls it every
  few seconds from a worker thread.
* A file over 4 GiB (about 18 h of two 16 kHz channels) becomes RF64: the header starts with a ``JUNK``
  chunk the size of a ``ds64`` chunk, which is turned into one when the sizes no longer fit in 32 bits (the
  EBU Tech 3306 way); ``studio.audio.riff`` and FFmpeg read it.

A write that fails (``ENOSPC``, ``EIO``, a folder that went away) raises ``OSError`` and leaves the file's
header at the last whole frames that were written, so nothing already recorded is lost; the writer then
refuses further audio (``failed``).

Why WAV and not FLAC: FLAC would take about half the space, but an encoder (libsndfile/libFLAC) holds the
current block in memory and only finalises the stream header at close, so a killed recorder loses its last
block and leaves a header that claims no samples; PCM in WAV has no state to lose and every player,
FFmpeg and the batch engine read it. Sixteen-bit 16 kHz mono is 115 MB an hour.
"""

from __future__ import annotations

import contextlib
import os
import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

FORMAT_PCM = 1
SAMPLE_BYTES = 2
JUNK_SIZE = 28  # a ds64 chunk's payload with no table: riff size, data size, sample count (8 bytes each), table length
FMT_OFFSET = 12 + 8 + JUNK_SIZE  # after "RIFF" size "WAVE" and the JUNK chunk
DATA_SIZE_OFFSET = FMT_OFFSET + 8 + 16 + 4  # the data chunk's size field
HEADER_BYTES = DATA_SIZE_OFFSET + 4  # where the audio starts (80)
MAX_RIFF = 0xFFFFFFFF
HEADER_INTERVAL = 0.5  # seconds of audio between header updates

Int16 = npt.NDArray[np.int16]


def to_pcm16(frames: npt.NDArray[np.float32]) -> Int16:
    """Float samples (-1..1) to 16-bit, exactly as the live session converts what it sends."""
    return (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")


def header(channels: int, rate: int, data_bytes: int) -> bytes:
    """The 80-byte header for ``data_bytes`` of audio (RF64 with a ds64 chunk past 4 GiB)."""
    block = channels * SAMPLE_BYTES
    fmt = struct.pack("<HHIIHH", FORMAT_PCM, channels, rate, rate * block, block, 8 * SAMPLE_BYTES)
    riff_size = HEADER_BYTES - 8 + data_bytes
    if riff_size <= MAX_RIFF:
        head = struct.pack("<4sI4s", b"RIFF", riff_size, b"WAVE")
        junk = struct.pack("<4sI", b"JUNK", JUNK_SIZE) + bytes(JUNK_SIZE)
        data_size = data_bytes
    else:
        head = struct.pack("<4sI4s", b"RF64", MAX_RIFF, b"WAVE")
        junk = struct.pack("<4sIQQQI", b"ds64", JUNK_SIZE, riff_size, data_bytes, data_bytes // block, 0)
        data_size = MAX_RIFF
    return head + junk + struct.pack("<4sI", b"fmt ", 16) + fmt + struct.pack("<4sI", b"data", data_size)


class WavWriter:
    def __init__(self, path: str | Path, channels: int, rate: int, *, header_interval: float = HEADER_INTERVAL,
                 append: bool = False) -> None:
        if channels < 1 or rate <= 0:
            raise ValueError("a recording needs at least one channel and a positive rate")
        self.path = Path(path)
        self.channels = channels
        self.rate = rate
        self.block = channels * SAMPLE_BYTES
        self._header_every = max(1, round(header_interval * rate)) * self.block
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self._fd: int | None = os.open(self.path, flags | (0 if append else os.O_TRUNC), 0o644)
        try:
            if append:  # a recovered file: go on after its last whole frame
                size = os.fstat(self._fd).st_size
                self.data_bytes = max(0, (size - HEADER_BYTES) // self.block * self.block)
            else:
                self.data_bytes = 0
            _write_at(self._fd, header(channels, rate, self.data_bytes), 0)
            os.lseek(self._fd, HEADER_BYTES + self.data_bytes, os.SEEK_SET)
        except BaseException:
            os.close(self._fd)
            raise
        self._header_bytes = self.data_bytes  # the data size the header says
        self._pending: list[list[npt.NDArray[np.float32]]] = [[] for _ in range(channels)]
        self._pending_frames = [0] * channels
        self.failed: OSError | None = None

    @property
    def frames(self) -> int:
        """Frames (one sample per channel) written so far."""
        return self.data_bytes // self.block

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    @property
    def closed(self) -> bool:
        return self._fd is None

    def write_channel(self, index: int, frames: npt.NDArray[np.float32]) -> None:
        """Audio of one channel (float32 at the file's rate); written once every channel has reached it."""
        if self.channels == 1:
            self.write_pcm(to_pcm16(frames).tobytes())
            return
        if len(frames) == 0:
            return
        self._pending[index].append(frames)
        self._pending_frames[index] += len(frames)
        self._write_ready()

    def _write_ready(self) -> None:
        ready = min(self._pending_frames)
        if ready == 0:
            return
        out = np.empty((ready, self.channels), dtype="<i2")
        for channel in range(self.channels):
            pieces = self._pending[channel]
            audio = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
            out[:, channel] = to_pcm16(audio[:ready])
            rest = audio[ready:]
            self._pending[channel] = [rest] if len(rest) else []
            self._pending_frames[channel] = len(rest)
        self.write_pcm(out.tobytes())

    @property
    def held_frames(self) -> int:
        """Frames of the channels that are ahead, waiting for the others."""
        return max(self._pending_frames) - min(self._pending_frames)

    def write_pcm(self, data: bytes) -> None:
        """Interleaved 16-bit frames; raises ``OSError`` (and refuses audio from then on) if the file cannot
        take them — the header then still describes every whole frame written before."""
        if self.failed is not None:
            raise self.failed
        if self._fd is None:
            raise ValueError("the recording is closed")
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                self.data_bytes += written
                view = view[written:]
        except OSError as exc:
            self.failed = exc
            self._settle()
            raise
        if self.data_bytes - self._header_bytes >= self._header_every:
            self._update_header()

    def _settle(self) -> None:
        """After a failed write: the header covers the whole frames on disk, the next write starts after them."""
        whole = self.data_bytes // self.block * self.block
        self.data_bytes = whole
        assert self._fd is not None
        with contextlib.suppress(OSError):  # a torn frame is dropped (truncating frees space)
            os.ftruncate(self._fd, HEADER_BYTES + whole)
        with contextlib.suppress(OSError):  # if not, the sizes left in place are older but still true
            self._update_header()

    def _update_header(self) -> None:
        assert self._fd is not None
        _write_at(self._fd, header(self.channels, self.rate, self.data_bytes), 0)
        self._header_bytes = self.data_bytes

    def flush(self) -> None:
        """Header sizes brought up to date (what a reader sees now includes everything written)."""
        if self._fd is not None and self._header_bytes != self.data_bytes and self.failed is None:
            self._update_header()

    def sync(self) -> None:
        """Everything written so far, header included, on the disk (safe from another thread)."""
        fd = self._fd
        if fd is not None:
            os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)

    def close(self, *, sync: bool = False) -> None:
        """Writes what the other channels had not reached yet (padded with silence), the header, and closes
        (with ``sync``: after ``fdatasync``)."""
        if self._fd is None:
            return
        try:
            if self.failed is None and self.channels > 1 and max(self._pending_frames):
                longest = max(self._pending_frames)
                for channel in range(self.channels):
                    missing = longest - self._pending_frames[channel]
                    if missing:
                        self._pending[channel].append(np.zeros(missing, dtype=np.float32))
                        self._pending_frames[channel] = longest
                self._write_ready()
            if self.failed is None:
                self._update_header()
            if sync:
                self.sync()
        finally:
            fd, self._fd = self._fd, None
            os.close(fd)


def _write_at(fd: int, data: bytes, offset: int) -> None:
    """Writes ``data`` at ``offset`` without moving the file's position (``pwrite``; Windows has none, and the
    writer's file is only ever written from one thread, so a seek there and back does the same)."""
    if hasattr(os, "pwrite"):
        os.pwrite(fd, data, offset)
        return
    position = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, data)
    finally:
        os.lseek(fd, position, os.SEEK_SET)


def repair_wav(path: str | Path) -> int:
    """Sets a recording's header sizes from the file's length (after a crash), dropping a torn last frame;
    returns its frames. Raises ``ValueError`` if it is not a file this module wrote."""
    path = Path(path)
    with open(path, "r+b") as handle:
        head = handle.read(HEADER_BYTES)
        if len(head) < HEADER_BYTES or head[8:12] != b"WAVE" or head[FMT_OFFSET:FMT_OFFSET + 4] != b"fmt " \
                or head[DATA_SIZE_OFFSET - 4:DATA_SIZE_OFFSET] != b"data":
            raise ValueError(f"{path.name} is not a studio recording")
        tag, channels, rate, _byte_rate, block, bits = struct.unpack_from("<HHIIHH", head, FMT_OFFSET + 8)
        if tag != FORMAT_PCM or bits != 16 or channels < 1 or block != channels * SAMPLE_BYTES:
            raise ValueError(f"{path.name} is not a studio recording")
        size = os.fstat(handle.fileno()).st_size
        data_bytes = (size - HEADER_BYTES) // block * block
        if HEADER_BYTES + data_bytes != size:
            handle.truncate(HEADER_BYTES + data_bytes)
        handle.seek(0)
        handle.write(header(channels, rate, data_bytes))
        handle.flush()
        os.fsync(handle.fileno())
    return int(data_bytes // block)
