"""The queue's controls in the real page: bounded uploads with progress, a rate limit shown on the row with the
time of the next try, cancel, retry, pause, reorder, export many, and the batch settings."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import numpy as np
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.core.jobs import Job, JobState
from studio.local.faults import HttpFault
from studio.qt.batch.export_dialog import ExportDialog
from studio.qt.batch.page import BatchPage
from studio.qt.batch.queue_settings import QueueSettingsDialog
from studio.qt.batch.table_model import Column
from studio.services.batch.board import BoardChange
from studio.storage.jobs_store import JobStore
from tests.qt.batch.conftest import ServerThread, batch_page, by_name, cell, drop, jobs, wait_finished
from tests.qt.batch.test_drop import copy


def noise_wav(path: Path, seconds: float) -> Path:
    samples = (np.random.default_rng(3).standard_normal(int(seconds * 16000)) * 2000).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(samples.tobytes())
    return path


def test_uploads_are_bounded_and_their_progress_shows(studio: Studio, qtbot: QtBot, tmp_path: Path,
                                                      batch_server: ServerThread) -> None:
    page = batch_page(studio, qtbot)
    page.open_settings()
    dialog = page.findChild(QueueSettingsDialog)
    assert dialog is not None
    dialog.concurrency.setValue(2)
    dialog.accept()
    assert studio.state.settings.batch.concurrency == 2
    batch_server.server.faults.http.append(HttpFault("/v2/jobs", method="POST", delay=0.4, pass_through=True,
                                                     times=100))
    sending: list[int] = []
    upload_texts: set[str] = set()

    def watch(change: BoardChange) -> None:
        if change.before:
            return
        board = page.runtime.board
        sending.append(sum(1 for job in board.jobs if job.remote_id is None
                           and job.state in (JobState.UPLOADING, JobState.WAITING)))
        upload_texts.update(cell(page, job.name, Column.UPLOAD) for job in board.jobs if job.name == "long.wav")

    page.runtime.board.changes.subscribe(watch)
    folder = tmp_path / "in"
    folder.mkdir()
    noise_wav(folder / "long.wav", 300.0)
    for index in range(5):
        copy(folder / f"short-{index}.wav")
    drop(page, [folder])
    found = wait_finished(qtbot, page, 6)
    assert all(job.state is JobState.DONE for job in found)
    assert max(sending) == 2  # two at a time, as set
    partial = [text for text in upload_texts if re.fullmatch(r"\d+ %", text) and text not in ("0 %", "100 %")]
    assert partial, upload_texts  # the bar moved part way
    assert cell(page, "long.wav", Column.UPLOAD) == "✓ Sent"
    assert cell(page, "long.wav", Column.PROCESSING) == "✓ Done"


def test_a_rate_limited_job_says_why_it_waits_and_when_it_tries_again(studio: Studio, qtbot: QtBot,
                                                                      tmp_path: Path,
                                                                      batch_server: ServerThread) -> None:
    # On the status checks: the local server answers a faulty POST before reading the upload, which a client
    # still sending sees as a broken connection rather than a 429 (the service tests cover the POST case).
    batch_server.server.faults.http.append(HttpFault("/v2/jobs/", method="GET", status=429, retry_after="3"))
    page = batch_page(studio, qtbot)
    drop(page, [copy(tmp_path / "a.wav")])
    qtbot.waitUntil(lambda: bool(jobs(page)) and jobs(page)[0].state is JobState.WAITING, timeout=20000)
    assert jobs(page)[0].remote_id is not None  # waiting to check on the job it has sent
    assert re.fullmatch(r"Waiting until \d\d:\d\d:\d\d: rate limited \(HTTP 429\)",
                        cell(page, "a.wav", Column.STATUS))
    (job,) = wait_finished(qtbot, page, 1)
    assert job.state is JobState.DONE and batch_server.references() == [job.reference]


def select(page: BatchPage, names: list[str]) -> None:
    """Selects these rows as a user would (click, Ctrl+click), the last one current."""
    model = page.queue.table.selectionModel()
    model.clearSelection()
    for name in names:
        row = page.runtime.board.row_of(by_name(jobs(page))[name].id)
        assert row is not None
        index = page.queue.proxy.mapFromSource(page.queue.model.index(row, 0))
        model.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
        model.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)


def test_pause_reorder_cancel_retry_and_export_from_the_table(studio: Studio, qtbot: QtBot, tmp_path: Path,
                                                              batch_server: ServerThread) -> None:
    page = batch_page(studio, qtbot)
    page.trigger("pause_queue")
    qtbot.waitUntil(lambda: page.runtime.board.paused, timeout=10000)
    drop(page, [copy(tmp_path / f"{name}.wav") for name in ("first", "second", "third")])
    qtbot.waitUntil(lambda: len(jobs(page)) == 3, timeout=10000)
    select(page, ["third.wav"])
    page._act("top")
    qtbot.waitUntil(lambda: [j.name for j in jobs(page)] == ["third.wav", "first.wav", "second.wav"], timeout=10000)
    assert cell(page, "third.wav", Column.ORDER) == "1"
    select(page, ["second.wav"])
    page._act("cancel")
    qtbot.waitUntil(lambda: by_name(jobs(page))["second.wav"].state is JobState.CANCELLED, timeout=10000)
    assert cell(page, "second.wav", Column.STATUS) == "Cancelled"
    page.trigger("pause_queue")  # resume
    found = by_name(wait_finished(qtbot, page, 3))
    assert found["first.wav"].state is JobState.DONE and found["third.wav"].state is JobState.DONE
    select(page, ["second.wav"])
    page._act("retry")
    qtbot.waitUntil(lambda: by_name(jobs(page))["second.wav"].state is JobState.DONE, timeout=30000)
    found = by_name(jobs(page))
    assert found["second.wav"].run == 1
    assert sorted(batch_server.references()) == sorted(job.reference for job in found.values())

    # Export many: the three transcripts as SRT and TXT, through the export dialog.
    select(page, ["first.wav", "second.wav", "third.wav"])
    page._act("export")
    dialog = page.findChild(ExportDialog)
    assert dialog is not None and dialog.windowTitle() == "Export 3 transcripts"
    out = tmp_path / "exported"
    dialog.folder.setText(str(out))
    for fmt, box in dialog.formats.items():
        box.setChecked(fmt in ("srt", "txt"))
    dialog.export_button.click()
    expected = sorted(f"{name}.{fmt}" for name in ("first", "second", "third") for fmt in ("srt", "txt"))
    qtbot.waitUntil(lambda: out.is_dir() and sorted(p.name for p in out.iterdir()) == expected, timeout=20000)
    qtbot.waitUntil(lambda: f"Exported 3 transcripts as TXT, SRT to {out}." in page.queue.message.text,
                    timeout=10000)


def test_removing_jobs_takes_them_out_of_the_queue_and_its_store(studio: Studio, qtbot: QtBot,
                                                                  tmp_path: Path) -> None:
    page = batch_page(studio, qtbot)
    drop(page, [copy(tmp_path / "keep.wav"), copy(tmp_path / "drop.wav")])
    wait_finished(qtbot, page, 2)
    select(page, ["drop.wav"])
    page._act("remove")
    qtbot.waitUntil(lambda: [j.name for j in jobs(page)] == ["keep.wav"], timeout=10000)
    stored: list[Job] = JobStore(page.runtime.path).load()
    assert [job.name for job in stored] == ["keep.wav"]
