"""The studio on a real X screen with a mixed batch queue, for the screenshots test: jobs done, failed (bad
files), waiting on a rate limit, uploading, processing and queued; then the results viewer of one job.

Run by tests/qt/batch/test_screenshots.py with DISPLAY set. Prints ``queue ready`` once the queue is mixed;
on ``viewer`` from standard input it opens a result and prints ``viewer ready``; on ``theme dark`` (or
``theme light``) it switches the studio's theme as View → Theme does and prints ``theme ready``; on ``quit`` it
closes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.core.jobs import Job, JobSettings, JobState
from studio.core.settings import Theme
from studio.local.faults import HttpFault
from studio.local.scripted import ScriptedRecognizer
from studio.local.server import ServerConfig
from studio.qt.batch.page import BatchPage
from studio.services.batch.service import BatchService
from studio.storage.jobs_store import JobStore
from studio.storage.paths import default_paths
from tests.conftest import SHARED_AUDIO
from tests.fakes.secrets import MemorySecretStore
from tests.fakes.server import SERVER_KEY
from tests.qt.batch.conftest import ServerThread
from tests.qt.batch.test_controls import noise_wav
from tests.qt.batch.test_drop import copy

INSIGHTS: dict[str, Any] = {
    "summary": {"content": "A short greeting, then two speakers talk through the plan for the week and agree "
                           "to meet again on Wednesday."},
    "chapters": [{"title": "Greeting", "start_time": 0.4, "end_time": 3.6},
                 {"title": "The plan for the week", "start_time": 3.6, "end_time": 9.8}],
    "sentiment_analysis": {"segments": [], "summary": {"overall": {"positive_count": 3, "negative_count": 0,
                                                                   "neutral_count": 2}}},
}


def done_job(store: JobStore, media: Path, position: int, extras: dict[str, Any] | None = None) -> Job:
    stat = media.stat()
    document = asyncio.run(ScriptedRecognizer().transcribe(media, {"transcription_config": {
        "language": "en", "diarization": "speaker"}}))
    document.update(extras or {})
    now = time.time()
    job = Job.new(str(media), media.name, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                  settings=JobSettings(diarization="speaker", summary=bool(extras), chapters=bool(extras)),
                  position=position, created_at=now - 600, duration=9.85)
    job = dataclasses.replace(job, state=JobState.DONE, started_at=now - 590, finished_at=now - 560, has_result=True,
                           engine="Speechmatics EU", engine_url="https://eu1.asr.api.speechmatics.com/v2",
                           remote_id=f"a1b2c3d4e{position}", submissions=1, uploaded=stat.st_size,
                           outputs=(str(media.with_suffix(".srt")),) if position == 0 else ())
    store.insert([job])
    store.save_result(job.id, document)
    return job


def main() -> int:
    work = Path(os.environ["SCREENSHOT_WORK"])
    media = work / "media"
    media.mkdir(parents=True, exist_ok=True)
    paths = default_paths()
    paths.ensure()
    paths.settings_file.write_text('{"version": 1, "theme": "light", "batch": {"concurrency": 2}}')
    store = JobStore(paths.data / "batch-queue.sqlite3")
    first = done_job(store, copy(media / "Team meeting 2026-03-02.wav", SHARED_AUDIO / "audio_04_16kHz.wav"), 0,
                     INSIGHTS)
    done_job(store, copy(media / "Interview — Dr Okonkwo.wav", SHARED_AUDIO / "audio_05_16kHz.wav"), 1)
    store.close()
    server = ServerThread(ServerConfig(api_keys=frozenset({SERVER_KEY}), min_job_seconds=3600.0))
    app = QApplication(sys.argv[:1])
    env = dict(os.environ, SPEECHMATICS_API_KEY=SERVER_KEY, SPEECHMATICS_BATCH_URL=server.urls.batch)
    studio = Studio(app, env, paths, secrets=MemorySecretStore())
    studio.window.resize(1240, 760)
    studio.window.show()
    studio.start()
    page = studio.window.show_workspace("batch")
    assert isinstance(page, BatchPage)
    faults = server.server.faults.http

    # The first two uploads are taken at once; the server is slow to take any after them (they stay part-sent).
    faults.append(HttpFault("/v2/jobs", method="POST", pass_through=True, times=2))
    faults.append(HttpFault("/v2/jobs", method="POST", delay=3600, pass_through=True, times=100))

    def hook(service: BatchService) -> None:
        sent: list[str] = []

        def told(job: Job) -> None:
            if job.state is JobState.PROCESSING and job.remote_id is not None and not sent:
                sent.append(job.id)  # this job's next status check is rate limited for a long while
                faults.insert(0, HttpFault(f"/v2/jobs/{job.remote_id}", method="GET", status=429,
                                           retry_after="900"))

        service.queue.transitions.subscribe(told)

    page.runtime.service_hooks.append(hook)
    page.runtime.start()
    good = [copy(media / name, SHARED_AUDIO / source) for name, source in (
        ("Customer call 14.wav", "audio_02_8kHz.wav"), ("Standup — Tuesday.wav", "audio_06_16kHz.wav"))]
    long = noise_wav(media / "Board review (full).wav", 1800.0)
    queued = [copy(media / f"Lecture {n:02d}.wav", SHARED_AUDIO / "audio_07b_16kHz.wav") for n in (3, 4)]
    (media / "notes.wav").write_text("These are meeting notes, not a recording.\n" * 30)
    cut = SHARED_AUDIO.joinpath("audio_08_16kHz.wav").read_bytes()
    (media / "Voicemail (cut off).wav").write_bytes(cut[: len(cut) // 2])

    def add() -> None:
        page.add_files([*good, long, *queued, media / "notes.wav", media / "Voicemail (cut off).wav"])

    QTimer.singleShot(300, add)

    def mixed() -> bool:
        jobs = page.runtime.board.jobs
        states = [job.state for job in jobs]
        part_sent = any(job.state is JobState.UPLOADING and 0 < job.uploaded < job.size for job in jobs)
        return (len(jobs) == 9 and JobState.WAITING in states and part_sent
                and states.count(JobState.FAILED) == 2 and JobState.PROCESSING in states)

    def poll() -> None:
        if mixed():
            page.queue.table.setFocus()
            page.queue.select_job(next(j.id for j in page.runtime.board.jobs if j.state is JobState.FAILED))
            QTimer.singleShot(300, lambda: print("queue ready", flush=True))
        else:
            if os.environ.get("SCREENSHOT_DEBUG"):
                print([(j.name, j.state.value, j.uploaded, j.wait_reason) for j in page.runtime.board.jobs],
                      file=sys.stderr, flush=True)
            QTimer.singleShot(1000 if os.environ.get("SCREENSHOT_DEBUG") else 100, poll)

    QTimer.singleShot(500, poll)

    def command() -> None:
        line = sys.stdin.readline().strip()
        if line == "viewer":
            page.queue.select_job(first.id)
            page.open_result(first.id)

            def shown() -> None:
                viewer = page.viewer
                if viewer is None or viewer.job_id != first.id:
                    QTimer.singleShot(100, shown)
                    return
                viewer.media.seek(4.3)
                viewer.media.play()

                def paused() -> None:
                    viewer.media.pause()
                    QTimer.singleShot(300, lambda: print("viewer ready", flush=True))

                QTimer.singleShot(1200, paused)

            shown()
        elif line.startswith("theme "):
            studio.state.save_settings(studio.state.settings.replace(theme=Theme(line.split()[1])))
            QTimer.singleShot(500, lambda: print("theme ready", flush=True))
        elif line in ("quit", ""):
            studio.window.close()

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    # The server thread is a daemon and holds uploads it will never take: it goes with the process.
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
