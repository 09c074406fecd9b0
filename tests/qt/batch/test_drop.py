"""Drag and drop onto the Batch page: a folder of real files made here, every bad input among them — the good
ones are transcribed once each, the bad ones each say why on their row, and nothing stops the queue."""

from __future__ import annotations

import os
from pathlib import Path

from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.jobs import JobState
from studio.qt.batch.table_model import Column
from tests.conftest import SHARED_AUDIO
from tests.helpers.media import encode, make_mp3, make_mp4, pcm_of
from tests.qt.batch.conftest import ServerThread, batch_page, by_name, cell, drop, jobs, wait_finished

SPEECH = SHARED_AUDIO / "audio_04_16kHz.wav"
LONG_NAME = "会議の記録 — réunion d’équipe " + "très longue " * 12 + ".wav"


def copy(path: Path, source: Path = SPEECH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source.read_bytes())
    return path


def make_folder(root: Path) -> dict[str, str]:
    """Good and bad files; returns the message each bad one must show."""
    copy(root / "talk.wav")
    (root / "sub" / "deeper").mkdir(parents=True)
    make_mp3(root / "sub" / "meeting.mp3", SPEECH)
    make_mp4(root / "sub" / "deeper" / "video.mp4", SPEECH)
    copy(root / LONG_NAME)
    (root / "empty.wav").write_bytes(b"")
    whole = SPEECH.read_bytes()
    (root / "cut.wav").write_bytes(whole[: len(whole) // 2])
    whole_mp3 = make_mp3(root.parent / "whole.mp3", SPEECH).read_bytes()
    (root / "cut.mp3").write_bytes(whole_mp3[: len(whole_mp3) // 3])
    (root / "minutes.wav").write_text("Minutes of the meeting, not a recording.\n" * 20)
    samples, rate = pcm_of(SPEECH)
    encode(root / "silent-film.mp4", samples, rate, container="mp4", codec="aac", video=True, audio=False)
    os.mkfifo(root / "stream.wav")
    with (root / "huge.wav").open("wb") as out:  # over Speechmatics' 1 GB (sparse: costs no disk)
        out.truncate(1_100_000_000)
    (root / "gone.wav").symlink_to(root / "nowhere.wav")
    (root / "notes.txt").write_text("not media: not picked up from a folder")
    return {
        "empty.wav": "The file is empty.",
        "cut.wav": "The file is truncated: it stops after 5.1 s of the 9.9 s its header announces.",
        "cut.mp3": "The file is truncated: it stops after 3.3 s of the 9.9 s its header announces.",
        "minutes.wav": "Not an audio or video file the studio can read.",
        "silent-film.mp4": "The file has no audio track.",
        "stream.wav": "It is not a regular file (a pipe or a device), so it cannot be read.",
        "huge.wav": "The file is 1.1 GB, more than the 1.0 GB Speechmatics accepts in one job.",
        "gone.wav": "The file no longer exists.",
    }


def test_a_dropped_folder_is_transcribed_and_every_bad_file_says_why(studio: Studio, qtbot: QtBot, tmp_path: Path,
                                                                     batch_server: ServerThread) -> None:
    page = batch_page(studio, qtbot)
    assert page.queue.stack.currentWidget() is page.queue.hint  # an empty queue says what to do
    root = tmp_path / "Recordings"
    bad = make_folder(root)
    (tmp_path / "Nothing here").mkdir()
    drop(page, [root, tmp_path / "Nothing here"])
    found = by_name(wait_finished(qtbot, page, 12))
    good = ("talk.wav", "meeting.mp3", "video.mp4", LONG_NAME)
    assert {name: found[name].state for name in good} == dict.fromkeys(good, JobState.DONE)
    for name, message in bad.items():
        assert found[name].state is JobState.FAILED, name
        assert cell(page, name, Column.STATUS) == message  # on the row, where the user looks
    assert "“Nothing here” holds no audio or video files." in page.queue.message.text
    assert page.queue.stack.currentWidget() is page.queue.table
    # The server's own job list: each good file exactly once, nothing else.
    assert sorted(batch_server.references()) == sorted(found[name].reference for name in good)

    drop(page, [root / "talk.wav"])  # already in the queue: noticed, not added twice
    qtbot.waitUntil(lambda: "already in the queue" in page.queue.message.text, timeout=10000)
    assert "talk.wav is already in the queue" in page.queue.message.text
    assert len(jobs(page)) == 12


def test_files_changed_or_deleted_after_queuing_fail_on_their_row(studio: Studio, qtbot: QtBot,
                                                                   tmp_path: Path) -> None:
    page = batch_page(studio, qtbot)
    page.toggle_pause()
    qtbot.waitUntil(lambda: page.runtime.board.paused, timeout=10000)
    assert page.queue.pause.text() == "Resume queue"
    changed, deleted = copy(tmp_path / "changed.wav"), copy(tmp_path / "deleted.wav")
    drop(page, [changed, deleted])
    qtbot.waitUntil(lambda: len(jobs(page)) == 2 and all(job.duration for job in jobs(page)), timeout=20000)
    assert cell(page, "changed.wav", Column.STATUS) == "Queued (paused)"
    with changed.open("ab") as out:
        out.write(b"\0" * 100)
    deleted.unlink()
    page.toggle_pause()
    found = by_name(wait_finished(qtbot, page, 2))
    assert found["changed.wav"].error.startswith("The file changed after it was added to the queue")
    assert found["deleted.wav"].error == "The file was deleted or moved after it was added to the queue."


def test_other_workspaces_send_files_to_the_queue(studio: Studio, qtbot: QtBot, tmp_path: Path) -> None:
    recovered = copy(tmp_path / "recovered-session.wav")
    studio.context.transcribe_files([recovered])
    assert studio.window.current_workspace() == "batch"
    page = batch_page(studio, qtbot)
    (job,) = wait_finished(qtbot, page, 1)
    assert job.state is JobState.DONE and job.path == str(recovered)
