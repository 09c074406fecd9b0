"""Decoding media files to the realtime stream format: shared WAVs (metadata after the audio, 8 kHz), an MP3 and
an MP4 made here, odd WAV layouts, and files that are not audio at all."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import Generator
from pathlib import Path

import numpy as np
import pytest

from studio.audio import decode as decode_module
from studio.audio import riff
from studio.audio.decode import DecodeError, StreamFormat, decode, decode_all, decode_async, probe
from tests.helpers.media import chunk, correlation, encode, fmt_chunk, make_mp3, make_mp4, make_wav, pcm_of

WITH_METADATA = ["audio_03_16kHz.wav", "audio_04_16kHz.wav", "audio_05_16kHz.wav", "audio_06_16kHz.wav",
                 "audio_08_16kHz.wav"]


@pytest.mark.parametrize("name", WITH_METADATA)
def test_16k_wavs_decode_to_exactly_their_data_chunk(shared_audio: Path, name: str) -> None:
    path = shared_audio / name
    info = probe(path)
    assert info.container == "wav" and info.sample_rate == 16000 and info.channels == 1
    assert info.wav is not None and info.wav.after_data  # metadata follows the audio in these files
    chunks = list(decode(path, chunk_seconds=0.02))
    assert {len(c) for c in chunks[:-1]} == {640} and 0 < len(chunks[-1]) <= 640
    assert b"".join(chunks) == path.read_bytes()[info.wav.data.offset:info.wav.data.end]
    assert info.duration == pytest.approx(len(b"".join(chunks)) / 32000)


def test_the_8k_recording_is_resampled_to_16k(shared_audio: Path) -> None:
    path = shared_audio / "audio_02_8kHz.wav"
    original, rate = pcm_of(path)
    assert rate == 8000
    info = probe(path)
    assert info.sample_rate == 8000 and info.duration == pytest.approx(35.815)
    pcm = np.frombuffer(decode_all(path), dtype="<i2")
    assert len(pcm) == 2 * len(original)
    # Every other sample of the 16 kHz stream is the 8 kHz recording again (up to the filter's smoothing).
    assert correlation(original, pcm[::2], max_lag=8) > 0.97
    # The XMP packet after the data chunk did not become a burst of noise at the end.
    assert np.abs(pcm[-400:].astype(np.int32)).max() <= np.abs(original[-200:].astype(np.int32)).max() * 1.5 + 50


def test_an_mp3_made_here_decodes_to_the_same_speech(tmp_path: Path, shared_audio: Path) -> None:
    source = shared_audio / "audio_03_16kHz.wav"
    path = make_mp3(tmp_path / "talk.mp3", source)
    info = probe(path)
    assert info.container == "mp3" and not info.has_video and info.duration == pytest.approx(4.74, abs=0.1)
    original, _ = pcm_of(source)
    pcm = np.frombuffer(decode_all(path), dtype="<i2")
    assert abs(len(pcm) - len(original)) < 0.1 * 16000
    assert correlation(original, pcm) > 0.9


def test_the_audio_track_of_an_mp4_with_video(tmp_path: Path, shared_audio: Path) -> None:
    source = shared_audio / "audio_09_16kHz.wav"
    path = make_mp4(tmp_path / "clip.mp4", source)
    info = probe(path)
    assert info.has_video and info.codec == "aac" and info.duration == pytest.approx(3.25, abs=0.1)
    original, _ = pcm_of(source)
    pcm = np.frombuffer(decode_all(path, StreamFormat(sample_rate=16000)), dtype="<i2")
    assert correlation(original, pcm) > 0.9


def test_a_video_without_sound_is_refused(tmp_path: Path, shared_audio: Path) -> None:
    samples, rate = pcm_of(shared_audio / "audio_09_16kHz.wav")
    path = encode(tmp_path / "silent.mp4", samples[:16000], rate, container="mp4", video=True, audio=False)
    with pytest.raises(DecodeError, match=r"^The file has no audio track$"):
        probe(path)


@pytest.mark.parametrize(("content", "message"), [
    (b"Dear diary, this is not a recording.\n" * 20, "Not an audio or video file the studio can read"),
    (b"", "Not an audio or video file the studio can read"),
    (b"RIFF\x10\x00\x00\x00WAVEjunk\x04\x00\x00\x00abcd", "Not an audio or video file the studio can read"),
])
def test_files_that_are_not_media(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "talk.wav"
    path.write_bytes(content)
    with pytest.raises(DecodeError) as caught:
        list(decode(path))
    assert str(caught.value) == message


def test_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match=r"^No such file$"):
        probe(tmp_path / "gone.wav")
    with pytest.raises(DecodeError, match=r"^That is a folder, not a file$"):
        probe(tmp_path)


def test_xml_after_a_mulaw_data_chunk_is_not_audio(tmp_path: Path) -> None:
    """A WAV FFmpeg decodes (mu-law), with XML after its data: only the data chunk's samples come out."""
    mulaw_silence = b"\xff" * 8000  # one second of mu-law zeros at 8 kHz
    xml = chunk(b"iXML", b"<?xml version='1.0'?><BWFXML>" + b"<NOTE>loud</NOTE>" * 200 + b"</BWFXML>")
    path = make_wav(tmp_path / "phone.wav", [fmt_chunk(tag=riff.FORMAT_MULAW, rate=8000, width=1),
                                             chunk(b"data", mulaw_silence), xml])
    info = probe(path)
    assert info.wav is None and info.codec == "pcm_mulaw"  # read by FFmpeg, not directly
    pcm = np.frombuffer(decode_all(path, StreamFormat(sample_rate=8000)), dtype="<i2")
    assert len(pcm) == 8000
    assert np.abs(pcm.astype(np.int32)).max() <= 8


def test_pcm_wavs_of_every_sample_width_decode_alike(tmp_path: Path) -> None:
    t = np.arange(4800) / 48000
    wave = 0.5 * np.sin(2 * np.pi * 440 * t)
    variants = {
        "u8": (1, 1, (wave * 127 + 128).astype("u1").tobytes()),
        "s16": (1, 2, (wave * 32767).astype("<i2").tobytes()),
        "s24": (1, 3, b"".join(struct.pack("<i", int(v * 8388607))[:3] for v in wave)),
        "s32": (1, 4, (wave * 2147483647).astype("<i4").tobytes()),
        "f32": (3, 4, wave.astype("<f4").tobytes()),
        "f64": (3, 8, wave.astype("<f8").tobytes()),
    }
    reference: np.ndarray | None = None
    for name, (tag, width, data) in variants.items():
        path = make_wav(tmp_path / f"{name}.wav", [fmt_chunk(tag=tag, rate=48000, width=width), chunk(b"data", data),
                                                   chunk(b"LIST", b"INFO")])
        info = probe(path)
        assert info.wav is not None and info.wav.format.sample_format == name
        pcm = np.frombuffer(decode_all(path), dtype="<i2").astype(np.float64) / 32768
        assert len(pcm) == 1600  # 0.1 s at 16 kHz
        if reference is None:
            reference = pcm
        assert np.abs(pcm - reference).max() < 0.02, name
        assert 0.45 < np.abs(pcm[100:-100]).max() < 0.55


def test_channels_are_mixed_down_or_kept(tmp_path: Path) -> None:
    left = np.full(1600, 8000, dtype=np.int16)
    right = np.full(1600, -2000, dtype=np.int16)
    path = make_wav(tmp_path / "stereo.wav", [fmt_chunk(channels=2),
                                              chunk(b"data", np.stack([left, right], axis=1).tobytes())])
    assert probe(path).channels == 2
    mono = np.frombuffer(decode_all(path), dtype="<i2")
    assert len(mono) == 1600 and abs(int(np.median(mono)) - 3000) <= 1
    kept = np.frombuffer(decode_all(path, StreamFormat(mono=False)), dtype="<i2").reshape(-1, 2)
    assert (kept[:, 0] == 8000).all() and (kept[:, 1] == -2000).all()
    chunks = list(decode(path, StreamFormat(mono=False), chunk_seconds=0.02))
    assert {len(c) for c in chunks} == {1280}  # 320 frames of two 16-bit samples


def test_float_output(shared_audio: Path) -> None:
    path = shared_audio / "audio_09_16kHz.wav"
    s16 = np.frombuffer(decode_all(path), dtype="<i2").astype(np.float64) / 32768
    f32 = np.frombuffer(decode_all(path, StreamFormat(encoding="pcm_f32le")), dtype="<f4")
    assert len(f32) == len(s16) and np.abs(f32 - s16).max() < 1e-3
    assert StreamFormat(encoding="pcm_f32le").chunk_bytes(0.02) == 1280


async def test_async_decoding_matches_and_stops_early(shared_audio: Path) -> None:
    path = shared_audio / "audio_05_16kHz.wav"
    whole = [c async for c in decode_async(path)]
    assert whole == list(decode(path))
    chunks = decode_async(path, chunk_seconds=0.1)
    async with contextlib.aclosing(chunks):
        first = await anext(chunks)
    assert len(first) == 3200
    with pytest.raises(StopAsyncIteration):
        await anext(chunks)


async def test_async_decoding_reports_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("just text\n" * 100)
    with pytest.raises(DecodeError, match="Not an audio or video file"):
        [c async for c in decode_async(path)]


async def test_cancelling_the_consumer_waits_for_the_worker_before_closing(shared_audio: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The decoder runs in a worker thread; a consumer cancelled meanwhile must not close it under the worker."""
    gate = threading.Event()
    closed = threading.Event()

    def slow_decode(*args: object, **kwargs: object) -> Generator[bytes, None, None]:
        try:
            yield b"first"
            gate.wait(10)
            yield b"second"
        finally:
            closed.set()

    monkeypatch.setattr(decode_module, "decode", slow_decode)
    monkeypatch.setattr(decode_module, "_ASYNC_BATCH", 1)
    path = shared_audio / "audio_09_16kHz.wav"
    received: list[bytes] = []

    async def consume() -> None:
        async with contextlib.aclosing(decode_async(path, info=probe(path))) as chunks:
            async for piece in chunks:
                received.append(piece)

    task = asyncio.create_task(consume())
    async with asyncio.timeout(5):
        while not received:
            await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task  # not "generator already executing"
    assert not closed.is_set()  # the worker is still inside the decoder
    gate.set()
    await asyncio.wait_for(asyncio.to_thread(closed.wait, 5), 6)
    assert closed.is_set() and received == [b"first"]
