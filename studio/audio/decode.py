"""Any media file → the realtime stream format (mono or the source's channels, one sample rate, 16-bit or
float PCM), in fixed-size chunks, with PyAV. No Qt.

Public API::

    info = probe("talk.mp4")          # -> MediaInfo (container, codec, rate, channels, duration, video?)
    fmt = StreamFormat(sample_rate=16000, encoding="pcm_s16le", mono=True)
    for chunk in decode("talk.mp4", fmt, chunk_seconds=0.02):      # 640-byte chunks; the last may be shorter
        ...
    async with contextlib.aclosing(decode_async("talk.mp4", fmt)) as chunks:   # decoded in a worker thread
        async for chunk in chunks: ...
    pcm = decode_all("talk.wav", fmt)  # everything at once (short files, tests)

WAV files of plain PCM or float samples are read through the RIFF chunk walker (``studio.audio.riff``), so
exactly the ``data`` chunk is audio, whatever metadata surrounds it; everything else goes through FFmpeg's
demuxers. Samples are converted by FFmpeg's resampler either way. With ``mono=False`` the source's channels
are kept, interleaved (for channel diarization).

Failures are ``DecodeError`` with one line for a person and no file name (the caller names the file):
``No such file``, ``Not an audio or video file the studio can read``, ``The file has no audio track``…
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncGenerator, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from studio.audio import riff

Encoding = Literal["pcm_s16le", "pcm_f32le"]
_AV_FORMATS: dict[str, tuple[str, int]] = {"pcm_s16le": ("s16", 2), "pcm_f32le": ("flt", 4)}
# FFmpeg's default layout for each channel count (the channels of a WAV read directly).
_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
_WAV_READ_FRAMES = 16384  # frames per read of a WAV's data chunk
_ASYNC_BATCH = 64  # chunks decoded per trip to the worker thread


class DecodeError(Exception):
    """The file could not be decoded; ``str()`` is one line for a person, without the file's name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    container: str  # "wav", or FFmpeg's name: "mp3", "mov,mp4,m4a,3gp,3g2,mj2", …
    codec: str  # "pcm_s16le", "mp3", "aac", …
    sample_rate: int
    channels: int
    duration: float | None  # seconds of audio, when the file says
    has_video: bool = False
    wav: riff.WavFile | None = None  # the RIFF layout, for WAV files read directly


@dataclass(frozen=True)
class StreamFormat:
    sample_rate: int = 16000
    encoding: Encoding = "pcm_s16le"
    mono: bool = True  # False: keep the source's channels, interleaved

    @property
    def bytes_per_sample(self) -> int:
        return _AV_FORMATS[self.encoding][1]

    def chunk_bytes(self, seconds: float, channels: int = 1) -> int:
        frames = max(1, round(seconds * self.sample_rate))
        return frames * self.bytes_per_sample * (1 if self.mono else channels)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """What the file holds. Raises ``DecodeError``. WAV files are read from their headers only."""
    file = Path(path)
    _check_readable(file)
    wav = _direct_wav(file)
    if wav is not None:
        fmt = wav.format
        codec = f"pcm_{fmt.sample_format}{'' if fmt.sample_format == 'u8' else 'le'}"
        return MediaInfo(file, "wav", codec, fmt.sample_rate, fmt.channels, wav.duration, wav=wav)
    import av

    try:
        with av.open(str(file)) as container:
            stream = _audio_stream(container)
            duration: float | None = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            return MediaInfo(file, str(container.format.name), str(stream.codec_context.name),
                             int(stream.codec_context.sample_rate or 0), int(stream.codec_context.channels or 0),
                             duration, has_video=any(s.type == "video" for s in container.streams))
    except DecodeError:
        raise
    except Exception as exc:
        raise _open_error(exc) from None


def decode(path: str | os.PathLike[str], fmt: StreamFormat | None = None, *, chunk_seconds: float = 0.02,
           info: MediaInfo | None = None) -> Generator[bytes, None, None]:
    """The file's audio in ``fmt``, as chunks of ``chunk_seconds`` (the last one may be shorter).

    Raises ``DecodeError`` when the file cannot be opened or stops decoding part way. ``info`` (from
    ``probe``) saves probing the file again."""
    fmt = fmt or StreamFormat()
    if chunk_seconds <= 0:
        raise ValueError("chunk_seconds must be positive")
    info = info or probe(path)
    size = fmt.chunk_bytes(chunk_seconds, info.channels)
    buffer = bytearray()
    for piece in _converted(info, fmt):
        buffer += piece
        if len(buffer) >= size:
            whole = len(buffer) - len(buffer) % size
            view = memoryview(buffer)
            for start in range(0, whole, size):
                yield bytes(view[start:start + size])
            view.release()
            del buffer[:whole]
    if buffer:
        yield bytes(buffer)


async def decode_async(path: str | os.PathLike[str], fmt: StreamFormat | None = None, *,
                       chunk_seconds: float = 0.02, info: MediaInfo | None = None) -> AsyncGenerator[bytes, None]:
    """``decode`` run in a worker thread a batch of chunks ahead of the consumer.

    Close it (``contextlib.aclosing``) when stopping early, so the file is closed at once."""
    if info is None:
        info = await asyncio.to_thread(probe, path)
    chunks = decode(path, fmt, chunk_seconds=chunk_seconds, info=info)

    def take() -> list[bytes]:
        return list(itertools.islice(chunks, _ASYNC_BATCH))

    pending: asyncio.Future[list[bytes]] | None = asyncio.ensure_future(asyncio.to_thread(take))
    try:
        while pending is not None:
            batch = await asyncio.shield(pending)  # cancelling the consumer must not orphan the worker's batch
            pending = asyncio.ensure_future(asyncio.to_thread(take)) if len(batch) == _ASYNC_BATCH else None
            for chunk in batch:
                yield chunk
    finally:
        if pending is None:
            chunks.close()
        elif pending.done():
            _close_after(pending, chunks)
        else:  # a worker thread is inside the decoder (it cannot be stopped): close it once the batch is done
            pending.add_done_callback(lambda done: _close_after(done, chunks))


def _close_after(batch: asyncio.Future[list[bytes]], chunks: Generator[bytes, None, None]) -> None:
    if not batch.cancelled():
        batch.exception()  # retrieved: the consumer has left, so nobody else will look at it
    chunks.close()


def decode_all(path: str | os.PathLike[str], fmt: StreamFormat | None = None) -> bytes:
    return b"".join(decode(path, fmt, chunk_seconds=1.0))


# -- internals ------------------------------------------------------------------------------------------

def _check_readable(file: Path) -> None:
    try:
        if file.is_dir():
            raise DecodeError("That is a folder, not a file")
        with file.open("rb"):
            pass
    except FileNotFoundError:
        raise DecodeError("No such file") from None
    except PermissionError:
        raise DecodeError("The file cannot be read (permission denied)") from None
    except OSError as exc:
        raise DecodeError(f"The file cannot be read ({exc.strerror or type(exc).__name__})") from None


def _direct_wav(file: Path) -> riff.WavFile | None:
    """The RIFF layout of a PCM/float WAV with a channel count FFmpeg names; None for anything else."""
    if not riff.is_wave(file):
        return None
    try:
        wav = riff.read_wav(file)
    except (riff.RiffError, OSError):
        return None  # let FFmpeg try, and explain
    fmt = wav.format
    if fmt.sample_format is None or fmt.channels not in _LAYOUTS:
        return None
    return wav


def _audio_stream(container: Any) -> Any:
    stream = next((s for s in container.streams if s.type == "audio"), None)
    if stream is None:
        raise DecodeError("The file has no audio track")
    return stream


def _open_error(exc: BaseException) -> DecodeError:
    if isinstance(exc, FileNotFoundError):
        return DecodeError("No such file")
    if isinstance(exc, PermissionError):
        return DecodeError("The file cannot be read (permission denied)")
    return DecodeError("Not an audio or video file the studio can read")


def _converted(info: MediaInfo, fmt: StreamFormat) -> Iterator[bytes]:
    """The audio as bytes in ``fmt`` (pieces of any size)."""
    import av

    # layout None keeps the source's channels as they are (no remixing between layouts of the same count)
    resampler = av.AudioResampler(format=_AV_FORMATS[fmt.encoding][0], layout="mono" if fmt.mono else None,
                                  rate=fmt.sample_rate)
    frames = _wav_frames(info.wav) if info.wav is not None else _demuxed_frames(info)
    seconds = 0.0
    try:
        for frame in frames:
            for converted in resampler.resample(frame):
                yield _packed_bytes(converted)
            seconds += frame.samples / (frame.sample_rate or 1)
        for converted in resampler.resample(None):
            yield _packed_bytes(converted)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"The audio could not be decoded past {seconds:.1f} s ({type(exc).__name__})") from None
    finally:
        frames.close()


def _packed_bytes(frame: Any) -> bytes:
    """A packed frame's samples (``to_ndarray`` leaves out the planes' alignment padding)."""
    data: bytes = frame.to_ndarray().tobytes()
    return data


def _wav_frames(wav: riff.WavFile) -> Generator[Any, None, None]:
    """AudioFrames of exactly the data chunk of a PCM/float WAV."""
    import av
    import numpy as np

    fmt = wav.format
    sample_format = fmt.sample_format
    layout = _LAYOUTS[fmt.channels]
    position = 0
    try:
        for block in riff.iter_data(wav, _WAV_READ_FRAMES):
            count = len(block) // fmt.block_align
            if sample_format == "s24":
                raw = np.frombuffer(block, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
                samples = (raw[:, 0] << 8) | (raw[:, 1] << 16) | (raw[:, 2] << 24)  # s32, sign from the top byte
                av_format = "s32"
            else:
                dtype, av_format = {"u8": ("u1", "u8"), "s16": ("<i2", "s16"), "s32": ("<i4", "s32"),
                                    "f32": ("<f4", "flt"), "f64": ("<f8", "dbl")}[str(sample_format)]
                samples = np.frombuffer(block, dtype=dtype)
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format=av_format, layout=layout)
            frame.sample_rate = fmt.sample_rate
            frame.pts = position
            position += count
            yield frame
    except OSError as exc:
        raise DecodeError(f"The file could not be read to the end ({exc.strerror or type(exc).__name__})") from None


def _demuxed_frames(info: MediaInfo) -> Generator[Any, None, None]:
    """AudioFrames of the first audio stream, through FFmpeg's demuxer and decoder."""
    import av

    try:
        container = av.open(str(info.path))
    except Exception as exc:
        raise _open_error(exc) from None
    try:
        stream = _audio_stream(container)
        yield from container.decode(stream)
    finally:
        container.close()
