"""A RIFF/WAVE chunk walker: finds the ``fmt `` and ``data`` chunks wherever they are, and what is around them.

Real recorders put metadata chunks (``LIST``/``INFO``, ``bext``, ``iXML``, XMP as ``_PMX``, ``id3 ``) before
*or after* the audio. A reader that skips a fixed 44-byte header and streams to the end of the file plays
that XML as audio; this one reads chunk headers only (seeking past payloads), so a file's layout, format,
duration and INFO tags are known without reading the audio, and ``iter_data`` yields exactly the bytes of
the ``data`` chunk.

Public API::

    wav = read_wav("talk.wav")        # -> WavFile; RiffError if it is not a usable RIFF/WAVE file
    wav.format.sample_rate, wav.format.channels, wav.format.sample_format   # "s16", "f32", … or None
    wav.frames, wav.duration          # from the data chunk's size
    wav.chunks                        # every chunk in file order; wav.after_data: those after the audio
    wav.tags                          # LIST/INFO text: {"ICRD": "2025-09-26…", "ISFT": "…"}
    for block in iter_data(wav, frames=4096): ...   # the data chunk, in whole frames
    is_wave("x.bin")                  # a RIFF/RF64 WAVE header, without parsing further

``RF64``/``BW64`` files (over 4 GiB) are read through their ``ds64`` chunk. A ``data`` chunk that claims more
bytes than the file holds (a recording cut short) is clamped to the file and flagged ``truncated``; so is
the ``0xFFFFFFFF`` size that streaming writers leave when they never come back to fix the header.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FORMAT_PCM = 0x0001
FORMAT_FLOAT = 0x0003
FORMAT_ALAW = 0x0006
FORMAT_MULAW = 0x0007
FORMAT_EXTENSIBLE = 0xFFFE
UNKNOWN_SIZE = 0xFFFFFFFF
MAX_TAGS_BYTES = 1 << 20  # a LIST/INFO chunk larger than this is not read for tags

_HEADS = (b"RIFF", b"RF64", b"BW64")


class RiffError(ValueError):
    """The file is not a RIFF/WAVE file this module can read; the message is one line for a person."""


@dataclass(frozen=True)
class Chunk:
    id: str  # four characters, e.g. "fmt ", "data", "LIST", "bext", "iXML", "_PMX"
    offset: int  # where the payload starts in the file
    size: int  # payload bytes (the data chunk's is clamped to the file)

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class WaveFormat:
    tag: int  # FORMAT_PCM, FORMAT_FLOAT, …; for WAVE_FORMAT_EXTENSIBLE, its sub-format's tag
    channels: int
    sample_rate: int
    byte_rate: int
    block_align: int  # bytes per frame (one sample of every channel)
    bits_per_sample: int
    extensible: bool = False

    @property
    def sample_format(self) -> str | None:
        """``u8``/``s16``/``s24``/``s32``/``f32``/``f64`` for plain PCM or float samples, else None."""
        if self.channels < 1 or self.block_align % self.channels:
            return None
        width = self.block_align // self.channels
        if self.tag == FORMAT_PCM and width in (1, 2, 3, 4):
            return {1: "u8", 2: "s16", 3: "s24", 4: "s32"}[width]
        if self.tag == FORMAT_FLOAT and width in (4, 8):
            return {4: "f32", 8: "f64"}[width]
        return None


@dataclass(frozen=True)
class WavFile:
    path: Path
    file_size: int
    format: WaveFormat
    data: Chunk
    chunks: tuple[Chunk, ...]  # every chunk, in file order
    truncated: bool = False  # the data chunk claimed more bytes than the file holds
    tags: Mapping[str, str] = field(default_factory=dict)  # LIST/INFO

    @property
    def frames(self) -> int:
        return self.data.size // self.format.block_align

    @property
    def duration(self) -> float:
        return self.frames / self.format.sample_rate

    @property
    def after_data(self) -> tuple[Chunk, ...]:
        """The chunks that follow the audio (metadata a naive reader would play)."""
        return tuple(chunk for chunk in self.chunks if chunk.offset > self.data.offset)


def is_wave(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts like a RIFF (or RF64/BW64) WAVE file."""
    try:
        with open(path, "rb") as source:
            head = source.read(12)
    except OSError:
        return False
    return len(head) == 12 and head[:4] in _HEADS and head[8:12] == b"WAVE"


def read_wav(path: str | os.PathLike[str]) -> WavFile:
    """The layout of a WAVE file. Raises ``RiffError`` (or ``OSError`` if it cannot be opened)."""
    file = Path(path)
    with file.open("rb") as source:
        file_size = os.fstat(source.fileno()).st_size
        head = source.read(12)
        if len(head) < 12 or head[:4] not in _HEADS or head[8:12] != b"WAVE":
            raise RiffError("Not a WAVE file")
        rf64 = head[:4] != b"RIFF"
        ds64_data_size: int | None = None
        chunks: list[Chunk] = []
        fmt: WaveFormat | None = None
        data: Chunk | None = None
        truncated = False
        tags: dict[str, str] = {}
        position = 12
        while position + 8 <= file_size:
            source.seek(position)
            header = source.read(8)
            if len(header) < 8:
                break
            chunk_id = header[:4].decode("latin-1")
            size = struct.unpack("<I", header[4:])[0]
            offset = position + 8
            if chunk_id == "data" and data is None:
                if size == UNKNOWN_SIZE and rf64 and ds64_data_size is not None:
                    size = ds64_data_size
                if size == UNKNOWN_SIZE or offset + size > file_size:
                    size, truncated = file_size - offset, True
                data = Chunk(chunk_id, offset, size)
                chunks.append(data)
            else:
                if size == UNKNOWN_SIZE or offset + size > file_size:
                    chunks.append(Chunk(chunk_id, offset, file_size - offset))
                    break  # a chunk that runs past the end: nothing after it can be located
                chunks.append(Chunk(chunk_id, offset, size))
                if chunk_id == "fmt " and fmt is None:
                    source.seek(offset)
                    fmt = _parse_format(source.read(min(size, 64)))
                elif chunk_id == "ds64" and size >= 16:
                    source.seek(offset)
                    ds64_data_size = struct.unpack("<QQ", source.read(16))[1]
                elif chunk_id == "LIST" and 4 <= size <= MAX_TAGS_BYTES:
                    source.seek(offset)
                    tags.update(_parse_info(source.read(size)))
            position = offset + size + (size & 1)
    if fmt is None:
        raise RiffError("The WAVE file has no format chunk")
    if data is None:
        raise RiffError("The WAVE file has no audio (no data chunk)")
    return WavFile(file, file_size, fmt, data, tuple(chunks), truncated, tags)


def iter_data(wav: WavFile, frames: int = 4096) -> Iterator[bytes]:
    """The data chunk's bytes in blocks of ``frames`` whole frames (a trailing partial frame is dropped)."""
    block = max(1, frames) * wav.format.block_align
    remaining = wav.frames * wav.format.block_align
    with wav.path.open("rb") as source:
        source.seek(wav.data.offset)
        while remaining > 0:
            piece = source.read(min(block, remaining))
            if not piece:
                return  # the file got shorter since it was read
            piece = piece[: len(piece) - len(piece) % wav.format.block_align]
            if not piece:
                return
            remaining -= len(piece)
            yield piece


def _parse_format(payload: bytes) -> WaveFormat:
    if len(payload) < 16:
        raise RiffError("The WAVE format chunk is too short")
    tag, channels, rate, byte_rate, align, bits = struct.unpack("<HHIIHH", payload[:16])
    extensible = tag == FORMAT_EXTENSIBLE
    if extensible and len(payload) >= 40:
        tag = struct.unpack("<H", payload[24:26])[0]  # the first two bytes of the sub-format GUID
    if channels < 1 or rate < 1 or align < 1:
        raise RiffError("The WAVE format chunk is malformed")
    return WaveFormat(tag, channels, rate, byte_rate, align, bits, extensible)


def _parse_info(payload: bytes) -> dict[str, str]:
    """The text entries of a ``LIST`` chunk of type ``INFO`` (other LIST types give nothing)."""
    if payload[:4] != b"INFO":
        return {}
    tags: dict[str, str] = {}
    position = 4
    while position + 8 <= len(payload):
        key = payload[position:position + 4].decode("latin-1")
        size = struct.unpack("<I", payload[position + 4:position + 8])[0]
        value = payload[position + 8:position + 8 + size].split(b"\x00", 1)[0]
        if key.isprintable():
            tags[key.strip()] = value.decode("utf-8", errors="replace").strip()
        position += 8 + size + (size & 1)
    return tags
