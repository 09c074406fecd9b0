"""Exports (templates, many jobs, edits included, auto-export) and the watch folder."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import srt

from studio.core.jobs import Job, JobSettings, JobState
from studio.core.transcript import Transcript
from studio.services.batch.export import (
    MAX_NAME_BYTES,
    ExportRequest,
    NameTemplate,
    describe,
    export_many,
    safe_name,
)
from studio.services.batch.watch import FolderWatch
from tests.services.batch.conftest import Harness, media

Make = Callable[..., Harness]


def document(*words: str) -> dict[str, Any]:
    results = []
    for index, word in enumerate(words):
        results.append({"type": "word", "start_time": index * 0.5, "end_time": index * 0.5 + 0.4,
                        "alternatives": [{"content": word, "confidence": 0.9, "language": "en"}]})
    results.append({"type": "punctuation", "start_time": len(words) * 0.5, "end_time": len(words) * 0.5,
                    "attaches_to": "previous", "is_eos": True,
                    "alternatives": [{"content": ".", "confidence": 1.0, "language": "en"}]})
    return {"format": "2.9", "metadata": {"transcription_config": {"language": "en"}}, "results": results}


def finished_job(path: str, **changes: Any) -> Job:
    job = Job.new(path, Path(path).name, size=1, mtime_ns=1, settings=JobSettings(language="de"), position=0,
                  created_at=0.0)
    finished = time.mktime((2026, 3, 4, 10, 20, 30, 0, 0, -1))
    values: dict[str, Any] = {"state": JobState.DONE, "remote_id": "abc123", "has_result": True,
                              "finished_at": finished, **changes}
    return dataclasses.replace(job, **values)


def test_templates_name_files_safely() -> None:
    job = finished_job("/in/Board: Q1/review?.mp4")
    assert NameTemplate("{name}-{date}-{language}-{engine}-{job}.{ext}").render(job) == (
        "review_-2026-03-04-de-speechmatics-abc123.mp4")
    with pytest.raises(ValueError, match=r"unknown field \{speaker\}"):
        NameTemplate("{name}-{speaker}")
    with pytest.raises(ValueError, match="braces"):
        NameTemplate("{name")
    long = safe_name("会議" * 200)
    assert len(long.encode()) <= MAX_NAME_BYTES and long.startswith("会議")
    assert safe_name("..") == "transcript" and safe_name("a/b\\c") == "a_b_c"


def test_export_many_keeps_same_named_files_apart_and_reports_what_failed(tmp_path: Path) -> None:
    first, second = finished_job("/a/talk.wav"), finished_job("/b/talk.wav")
    pending = finished_job("/c/later.wav", has_result=False)
    request = ExportRequest(("srt", "txt"), tmp_path / "out", NameTemplate("{name}"))
    report = export_many([(first, document("one")), (second, document("two")), (pending, None)], request)
    assert sorted(p.name for p in report.written) == ["talk (2).srt", "talk (2).txt", "talk.srt", "talk.txt"]
    assert (tmp_path / "out" / "talk.txt").read_text().strip() == "one."
    assert (tmp_path / "out" / "talk (2).txt").read_text().strip() == "two."
    assert [(job.name, why) for job, why in report.failed] == [("later.wav", "It has no transcript yet.")]
    text = describe(report, request.folder, request.formats)
    assert text.startswith("Exported 2 transcripts as SRT, TXT to") and "later.wav" in text


async def test_finished_jobs_are_exported_automatically_and_edits_reach_the_files(
        make_harness: Make, tmp_path: Path) -> None:
    harness = make_harness()
    out = tmp_path / "out"
    harness.service.configure(auto_export=ExportRequest(("srt", "json"), out, NameTemplate("{name}-{language}")))
    harness.service.start()
    await harness.service.add_paths([media(tmp_path / "in", "talk.wav")])
    (job,) = await harness.finished()
    await harness.queue.wait_for(lambda q: bool(q.jobs()[0].outputs), 30)
    (job,) = harness.queue.jobs()
    assert sorted(Path(p).name for p in job.outputs) == ["talk-en.json", "talk-en.srt"]
    # An edit in the viewer: stored with the job, and the exported files follow it.
    stored = harness.service.result(job.id)
    assert stored is not None
    transcript = Transcript.from_json_v2(stored)
    segment = transcript.segments()[0]
    words = segment.text.split()
    transcript.edit(segment, " ".join(["Edited", *words[1:]]))
    await harness.service.save_result(job.id, transcript.to_json_v2())
    cues = list(srt.parse((out / "talk-en.srt").read_text()))
    assert cues[0].content.split()[0].endswith("Edited")
    report = await harness.service.export([job.id], ExportRequest(("srt",), tmp_path / "many", NameTemplate("{name}")))
    assert "Edited" in (tmp_path / "many" / "talk.srt").read_text()
    assert report.failed == []


async def test_a_file_is_handed_over_only_once_it_stops_growing(tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    (folder / "old").mkdir(parents=True)
    media(folder / "old", "before.wav")
    handed: list[list[Path]] = []

    async def on_new(paths: list[Path]) -> None:
        handed.append(paths)

    watch = FolderWatch(folder, on_new, since=time.time() + 0.001)
    growing = folder / "new.wav"
    growing.write_bytes(b"RIFF")
    assert await watch.scan_once() == []  # seen once
    with growing.open("ab") as out:
        out.write(b"more")
    assert await watch.scan_once() == []  # still growing
    assert await watch.scan_once() == [growing]  # the same size twice: complete
    assert await watch.scan_once() == []  # handed over once
    assert handed == [[growing]]  # and the file that was there before watching began was left alone


async def test_the_watch_folder_adds_new_files_to_the_queue(make_harness: Make, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    media(folder, "already-there.wav")
    harness = make_harness()
    harness.service.start()
    await harness.service.watch(folder, interval=0.02)
    arrived = media(folder / "today", "arrived.wav")
    await harness.queue.wait_for(lambda q: len(q) == 1 and q.jobs()[0].state is JobState.DONE, 30)
    assert harness.queue.jobs()[0].path == str(arrived)
    await harness.service.watch(None)
    # Files that arrive while the studio is closed are picked up when it watches again.
    while_closed = media(folder, "while-closed.wav")
    await harness.service.watch(folder, interval=0.02)
    await harness.queue.wait_for(lambda q: len(q) == 2, 30)
    assert harness.queue.jobs()[1].path == str(while_closed)
