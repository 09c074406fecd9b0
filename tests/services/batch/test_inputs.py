"""What is found in a drop and how each bad file is told: real media made by the tests, broken in each way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.services.batch.inputs import Limits, discover, inspect
from tests.conftest import REPO
from tests.helpers.media import encode, make_mp3, make_mp4, pcm_of
from tests.services.batch.conftest import SPEECH, media


def test_folders_are_walked_recursively_and_only_media_counted(tmp_path: Path) -> None:
    root = tmp_path / "drop"
    media(root, "b.wav")
    media(root / "Sub" / "deeper", "a.MP3")
    (root / "notes.txt").write_text("minutes")
    (root / ".hidden.wav").write_text("x")
    (tmp_path / "empty").mkdir()
    lone_text = tmp_path / "readme.txt"
    lone_text.write_text("a file dropped on its own is taken, then checked")
    found = discover([root, root / "b.wav", tmp_path / "empty", lone_text, tmp_path / "gone.wav"])
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == [
        "drop/b.wav", "drop/Sub/deeper/a.MP3", "readme.txt"]  # b.wav once, though dropped twice
    assert found.empty_folders == [tmp_path / "empty"]
    assert found.missing == [tmp_path / "gone.wav"]


def test_a_symlink_loop_does_not_trap_the_walk(tmp_path: Path) -> None:
    media(tmp_path / "a", "talk.wav")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    assert [p.name for p in discover([tmp_path / "a"]).files] == ["talk.wav"]


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    samples, rate = pcm_of(SPEECH)
    made = {
        "empty": tmp_path / "empty.wav",
        "text": tmp_path / "minutes.wav",
        "truncated wav": tmp_path / "cut.wav",
        "truncated mp3": tmp_path / "cut.mp3",
        "video without sound": encode(tmp_path / "silent-film.mp4", samples, rate, container="mp4", codec="aac",
                                      video=True, audio=False),
        "folder": tmp_path / "folder.wav",
        "pipe": tmp_path / "stream.wav",
    }
    made["empty"].write_bytes(b"")
    made["text"].write_text("These are the minutes of the meeting, not a recording.\n" * 20)
    whole = SPEECH.read_bytes()
    made["truncated wav"].write_bytes(whole[: len(whole) // 2])
    mp3 = make_mp3(tmp_path / "whole.mp3", SPEECH).read_bytes()
    made["truncated mp3"].write_bytes(mp3[: len(mp3) // 3])
    made["folder"].mkdir()
    os.mkfifo(made["pipe"])
    return made


def test_each_bad_file_gets_its_own_sentence(bad_files: dict[str, Path]) -> None:
    errors = {kind: inspect(path).error for kind, path in bad_files.items()}
    assert errors == {
        "empty": "The file is empty.",
        "text": "Not an audio or video file the studio can read.",
        "truncated wav": "The file is truncated: it stops after 5.1 s of the 9.9 s its header announces.",
        "truncated mp3": "The file is truncated: it stops after 3.3 s of the 9.9 s its header announces.",
        "video without sound": "The file has no audio track.",
        "folder": "That is a folder, not a file.",
        "pipe": "It is not a regular file (a pipe or a device), so it cannot be read.",
    }


def test_good_files_pass_with_their_duration(tmp_path: Path) -> None:
    for path in (media(tmp_path, "talk.wav"), make_mp3(tmp_path / "talk.mp3", SPEECH),
                 make_mp4(tmp_path / "talk.mp4", SPEECH),
                 media(tmp_path, "日本語の会議 — " + "long name " * 20 + ".wav")):
        report = inspect(path)
        assert report.ok, (path.name, report.error)
        assert report.duration is not None and 9.5 < report.duration < 10.5


def test_limits_of_size_and_duration(tmp_path: Path) -> None:
    talk = media(tmp_path, "talk.wav")
    assert inspect(talk, Limits("Speechmatics", max_bytes=100_000)).error == (
        "The file is 325 kB, more than the 100 kB Speechmatics accepts in one job.")
    assert inspect(talk, Limits("the built-in engine", max_seconds=5.0)).error == (
        "The recording is 10 s long, more than the 5 s the built-in engine takes in one job.")


UNREADABLE = """
import sys
from pathlib import Path
from studio.services.batch.inputs import inspect
print(inspect(Path(sys.argv[1])).error)
"""


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    locked = media(tmp_path, "locked.wav")
    locked.chmod(0)
    command = [sys.executable, "-c", UNREADABLE, str(locked)]
    if os.geteuid() == 0:  # root reads anything: check it without the capabilities that let it
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    child = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout.strip() == "The file cannot be read (permission denied).", child.stderr
