"""The pieces a recorded session is made of: the growing WAV (valid at every step, RF64 past 4 GiB, repaired
after a crash), the append-only journal (a torn last line skipped, then cut), the session folder's lock
(held across processes, released when the holder dies) and its description (round trip, newer refused)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.audio import riff
from studio.audio.recording import HEADER_BYTES, WavWriter, header, repair_wav
from studio.storage.sessions import (
    SessionInfo,
    SessionLockedError,
    SessionStore,
    SessionStoreError,
    SourceInfo,
)
from studio.storage.sessions_journal import Journal, read_journal, truncate_torn


def read(path: Path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path)) as source:
        frames = source.getnframes()
        return source.getnchannels(), frames, np.frombuffer(source.readframes(frames), dtype="<i2")


def test_the_wav_is_valid_at_every_flush_and_interleaves_one_channel_per_source(tmp_path: Path) -> None:
    path = tmp_path / "audio.wav"
    writer = WavWriter(path, 2, 16000, header_interval=0.01)
    assert read(path)[:2] == (2, 0)  # a complete header before any audio
    me = np.full(800, 0.5, dtype=np.float32)
    them = np.full(500, -0.25, dtype=np.float32)
    writer.write_channel(0, me)  # "Them" has not reached this far yet: nothing is written
    assert writer.frames == 0 and writer.held_frames == 800
    writer.write_channel(1, them)
    writer.flush()
    channels, frames, data = read(path)
    assert (channels, frames) == (2, 500)
    pairs = data.reshape(-1, 2)
    assert (pairs[:, 0] == 16383).all() and (pairs[:, 1] == -8191).all()
    writer.close()  # the channel that is behind is padded with silence
    channels, frames, data = read(path)
    assert frames == 800 and (data.reshape(-1, 2)[500:, 1] == 0).all()
    assert path.stat().st_size == HEADER_BYTES + 800 * 4


def test_a_crashed_recording_is_repaired_from_its_length(tmp_path: Path) -> None:
    path = tmp_path / "audio.wav"
    writer = WavWriter(path, 1, 16000, header_interval=10.0)  # the header is not updated as it grows
    writer.write_pcm(np.arange(1000, dtype="<i2").tobytes())
    with open(path, "ab") as handle:
        handle.write(b"\x01")  # half a frame: the write that a kill interrupted
    os.close(writer._fd)  # type: ignore[arg-type]  # the process dies: no close()
    assert read(path)[1] == 0  # still a valid (if stale) header
    assert repair_wav(path) == 1000
    _channels, frames, data = read(path)
    assert frames == 1000 and np.array_equal(data, np.arange(1000))
    assert riff.read_wav(path).frames == 1000
    again = WavWriter(path, 1, 16000, append=True)  # a recovered session can go on
    again.write_pcm(np.arange(10, dtype="<i2").tobytes())
    again.close()
    assert read(path)[1] == 1010


def test_past_4_gib_the_header_becomes_rf64(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    data_bytes = 5 * 1024**3  # a sparse file: 5 GiB of audio costs nothing on disk
    with open(path, "wb") as handle:
        handle.write(header(2, 16000, data_bytes))
        handle.truncate(HEADER_BYTES + data_bytes)
    with open(path, "rb") as handle:
        assert handle.read(4) == b"RF64"
    wav = riff.read_wav(path)
    assert wav.format.channels == 2 and wav.frames == data_bytes // 4 and not wav.truncated
    small = tmp_path / "small.wav"
    small.write_bytes(header(1, 16000, 0))
    assert small.read_bytes()[:4] == b"RIFF" and riff.read_wav(small).frames == 0


def test_the_journal_skips_and_cuts_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append({"type": "final", "message": {"message": "AddTranscript", "results": []}})
    journal.append({"type": "bookmark", "time": 1.5, "label": "é"})
    journal.close()
    with open(path, "ab") as handle:
        handle.write(b'{"type": "final", "mess')  # killed mid-write
    records, torn = read_journal(path)
    assert [r["type"] for r in records] == ["final", "bookmark"] and torn
    assert truncate_torn(path) and not truncate_torn(path)
    assert read_journal(path) == (records, False)
    Journal(path).append({"type": "rename", "speaker": "S1", "name": "Alice"})
    assert [r["type"] for r in read_journal(path)[0]] == ["final", "bookmark", "rename"]


def test_the_description_round_trips_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    info = SessionInfo(source_kind="both", sources=(SourceInfo("Me", "mic", "pa:x", "Mic"),),
                       channels=("Me", "Them"), transcript_channels={"Me": "Me", "Them": "Them"},
                       settings={"language": "de", "vocab": [{"content": "gnocchi", "sounds_like": []}]})
    with store.create(info) as handle:
        assert store.read_info(handle.id) == handle.info
        assert handle.info.created and handle.info.id == handle.id
        (handle.folder / "session.json").write_text(json.dumps({**handle.info.to_json(), "version": 99}))
        with pytest.raises(SessionStoreError, match="newer version"):
            store.read_info(handle.id)
    with pytest.raises(SessionStoreError):
        store.folder("../escape")


HOLDER = """
import sys, time
from pathlib import Path
from studio.storage.sessions import SessionStore
handle = SessionStore(Path(sys.argv[1])).acquire(sys.argv[2])
print("held", flush=True)
time.sleep(600)
"""


def test_the_lock_keeps_other_processes_out_and_goes_with_its_holder(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    session_id = store.create(SessionInfo()).id  # created and released at once (the handle is dropped)
    store2 = SessionStore(tmp_path / "sessions")
    with store2.acquire(session_id):
        with pytest.raises(SessionLockedError):  # the same process, another handle: refused too
            store.acquire(session_id)
        assert store.is_locked(session_id)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store.root), session_id], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with pytest.raises(SessionLockedError):
            store.acquire(session_id)
        with pytest.raises(SessionLockedError):
            store.delete(session_id)
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert not store.is_locked(session_id)  # the kernel released it with the process
    store.delete(session_id)
    assert store.ids() == []
