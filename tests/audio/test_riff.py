"""The RIFF chunk walker on the shared recordings (metadata after the audio) and on WAVs laid out every way."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.audio import riff
from tests.helpers.media import chunk, fmt_chunk, make_wav

# file: (sample rate, data bytes, chunk ids in order)
SHARED = {
    "audio_02_8kHz.wav": (8000, 573040, ["fmt ", "data", "_PMX"]),
    "audio_03_16kHz.wav": (16000, 151724, ["fmt ", "data", "LIST", "bext", "iXML", "_PMX"]),
    "audio_04_16kHz.wav": (16000, 315272, ["fmt ", "data", "LIST", "bext", "iXML", "_PMX"]),
    "audio_05_16kHz.wav": (16000, 879718, ["fmt ", "data", "LIST", "_PMX"]),
    "audio_06_16kHz.wav": (16000, 1154700, ["fmt ", "data", "LIST", "_PMX"]),
    "audio_07b_16kHz.wav": (16000, 1162248, ["fmt ", "data"]),
    "audio_08_16kHz.wav": (16000, 409724, ["fmt ", "data", "_PMX"]),
    "audio_09_16kHz.wav": (16000, 104150, ["fmt ", "data"]),
}


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_recordings_are_walked_chunk_by_chunk(shared_audio: Path, name: str) -> None:
    rate, data_size, ids = SHARED[name]
    wav = riff.read_wav(shared_audio / name)
    assert wav.format.sample_rate == rate and wav.format.channels == 1 and wav.format.sample_format == "s16"
    assert [c.id for c in wav.chunks] == ids
    assert wav.data.offset == 44 and wav.data.size == data_size and not wav.truncated
    assert [c.id for c in wav.after_data] == ids[2:]
    # The duration from the headers alone agrees with FFmpeg's count of the samples.
    with av.open(str(shared_audio / name)) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert wav.frames == samples
    assert wav.duration == pytest.approx(samples / rate)
    # Exactly the data chunk is audio: never a byte of the XML that follows it.
    audio = b"".join(riff.iter_data(wav, frames=1000))
    assert len(audio) == data_size
    assert b"<?xml" not in audio and b"INFO" not in audio[-200:]
    assert (shared_audio / name).read_bytes()[44:44 + data_size] == audio


def test_info_tags_and_the_xml_after_the_audio(shared_audio: Path) -> None:
    wav = riff.read_wav(shared_audio / "audio_03_16kHz.wav")
    assert wav.tags == {"ICRD": "2025-09-26T16:46:55+01:00", "ISFT": "Adobe Audition 25.2 (Macintosh)"}
    ixml = next(c for c in wav.chunks if c.id == "iXML")
    with (shared_audio / "audio_03_16kHz.wav").open("rb") as source:
        source.seek(ixml.offset)
        assert source.read(ixml.size).startswith(b'<?xml version="1.0"')
    assert ixml.offset > wav.data.end


def test_odd_chunks_are_padded_and_fmt_may_follow_data(tmp_path: Path) -> None:
    pcm = bytes(range(256)) * 4
    info = chunk(b"LIST", b"INFOINAM" + struct.pack("<I", 6) + b"Hello\0")
    path = make_wav(tmp_path / "odd.wav", [chunk(b"junk", b"abc"), chunk(b"data", pcm), chunk(b"note", b"x" * 5),
                                           fmt_chunk(), info])
    wav = riff.read_wav(path)
    assert [c.id for c in wav.chunks] == ["junk", "data", "note", "fmt ", "LIST"]
    assert wav.chunks[0].size == 3 and wav.data.offset == 12 + 8 + 4 + 8  # the pad byte after "abc" skipped
    assert b"".join(riff.iter_data(wav)) == pcm
    assert wav.tags == {"INAM": "Hello"}


def test_a_data_chunk_longer_than_the_file_is_clamped(tmp_path: Path) -> None:
    pcm = b"\x01\x00" * 1001
    body = b"WAVE" + fmt_chunk() + b"data" + struct.pack("<I", 1_000_000) + pcm + b"\x07"  # half a frame too
    path = tmp_path / "cut.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body) + 100) + body)
    wav = riff.read_wav(path)
    assert wav.truncated and wav.data.size == len(pcm) + 1
    assert wav.frames == 1001 and b"".join(riff.iter_data(wav)) == pcm


def test_unknown_data_size_runs_to_the_end(tmp_path: Path) -> None:
    pcm = b"\x02\x00" * 50
    body = b"WAVE" + fmt_chunk() + b"data" + struct.pack("<I", riff.UNKNOWN_SIZE) + pcm
    path = tmp_path / "stream.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", riff.UNKNOWN_SIZE) + body)
    wav = riff.read_wav(path)
    assert wav.truncated and wav.frames == 50


def test_rf64_sizes_come_from_ds64(tmp_path: Path) -> None:
    pcm = b"\x03\x00" * 300
    ds64 = chunk(b"ds64", struct.pack("<QQQI", 0, len(pcm), 300, 0))
    path = make_wav(tmp_path / "big.wav", [ds64, fmt_chunk(), b"data" + struct.pack("<I", riff.UNKNOWN_SIZE) + pcm,
                                           chunk(b"iXML", b"<xml/>")], head=b"RF64")
    wav = riff.read_wav(path)
    assert not wav.truncated and wav.data.size == len(pcm)
    assert [c.id for c in wav.after_data] == ["iXML"]
    assert b"".join(riff.iter_data(wav)) == pcm


def test_extensible_format_takes_its_sub_format(tmp_path: Path) -> None:
    guid_float = struct.pack("<H", riff.FORMAT_FLOAT) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    payload = struct.pack("<HHIIHHHHI", riff.FORMAT_EXTENSIBLE, 2, 48000, 48000 * 8, 8, 32, 22, 32, 3) + guid_float
    path = make_wav(tmp_path / "ext.wav", [chunk(b"fmt ", payload), chunk(b"data", bytes(80))])
    fmt = riff.read_wav(path).format
    assert fmt.extensible and fmt.tag == riff.FORMAT_FLOAT and fmt.sample_format == "f32" and fmt.channels == 2


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Not a WAVE file"),
    (b"hello, this is text renamed to .wav\n", "Not a WAVE file"),
    (b"RIFF\x04\x00\x00\x00AVI ", "Not a WAVE file"),
    (b"RIFF\x0c\x00\x00\x00WAVEdata\x00\x00\x00\x00", "no format chunk"),
    (b"RIFF\x18\x00\x00\x00WAVE" + fmt_chunk(), "no data chunk"),
    (b"RIFF\x18\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00data\x00\x00\x00\x00", "too short"),
])
def test_what_is_not_a_usable_wave_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(riff.RiffError, match=message):
        riff.read_wav(path)
    assert riff.is_wave(path) == (content[:4] == b"RIFF" and content[8:12] == b"WAVE")


_IDS = st.sampled_from([b"LIST", b"bext", b"iXML", b"_PMX", b"id3 ", b"junk", b"cue "])
_CHUNKS = st.lists(st.tuples(_IDS, st.binary(max_size=64)), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_CHUNKS, after=_CHUNKS, frames=st.integers(min_value=0, max_value=400),
       channels=st.integers(min_value=1, max_value=3))
def test_the_data_chunk_is_found_wherever_metadata_is(tmp_path: Path, before: list[tuple[bytes, bytes]],
                                                      after: list[tuple[bytes, bytes]], frames: int,
                                                      channels: int) -> None:
    pcm = bytes((index * 7) % 251 for index in range(frames * channels * 2))
    layout = [chunk(i, p) for i, p in before] + [fmt_chunk(channels=channels), chunk(b"data", pcm)]
    layout += [chunk(i, p) for i, p in after]
    path = make_wav(tmp_path / "any.wav", layout)
    wav = riff.read_wav(path)
    assert wav.frames == frames and wav.format.channels == channels
    assert b"".join(riff.iter_data(wav, frames=7)) == pcm
    assert [c.id.encode("latin-1") for c in wav.after_data] == [i for i, _ in after]
