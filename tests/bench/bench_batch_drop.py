"""500 files dropped on the Batch page at once: time until every row shows, and the GUI thread's stalls while
the uploads and the polling run.

Run: .venv/bin/python -m tests.bench.bench_batch_drop   [--files 500] [--seconds 60]
The studio runs offscreen in this process, on a local server in another process (tests.qt.batch.slow_server:
scripted recognition, jobs kept running 2 s, no upload delay), with its default four uploads at a time. The
server stands in for the service, which runs on other machines; ``--server-priority low`` runs it at the lowest
scheduling priority (nice 19), so that on a 2-core machine it takes a core only when the studio leaves one free
(by default it competes for the cores like any process). The ticks late by a frame are listed with their time
after the drop.
A 5 ms timer on the GUI thread measures how late each tick comes: the stall of a tick is its lateness.
Target: p99 stall < 16 ms (one frame at 60 Hz).

Also printed: the CPU time of each of the studio's threads over the run (GUI, the asyncio loop, the worker
threads that read and probe files), the switch interval the run ended with, and how much of the late ticks'
lateness the GUI thread spent running (the rest it spent waiting: for the GIL, or for a core on a busy
machine). Compare runs with ``uptime``'s load: on a loaded 2-core machine the OS scheduler alone makes stalls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.core.jobs import UNFINISHED
from studio.qt.batch.page import BatchPage
from studio.storage.paths import default_paths
from tests.conftest import SHARED_AUDIO
from tests.fakes.secrets import MemorySecretStore
from tests.qt.batch.killing import KEY, start_server, stop

TICK_MS = 5


def thread_cpu() -> dict[str, float]:
    """CPU seconds per kind of thread of this process (from /proc), by the Python names of its threads."""
    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    totals: dict[str, float] = defaultdict(float)
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "native (Qt, PortAudio, libraries)")
        kind = "GUI" if name == "MainThread" else name.rstrip("0123456789_-") or name
        totals[kind] += (int(fields[11]) + int(fields[12])) / ticks
    return dict(totals)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure stalls, at most")
    parser.add_argument("--server-priority", choices=("low", "normal"), default="normal",
                        help="the local server's scheduling priority (see the module's documentation)")
    args = parser.parse_args()
    server, batch_url = start_server(job_seconds=2.0, accept_delay=0.0, nice=19 if args.server_priority == "low" else 0)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
            root = Path(tmp)
            folder = root / "drop"
            folder.mkdir()
            source = (SHARED_AUDIO / "audio_03_16kHz.wav").read_bytes()
            for index in range(args.files):
                (folder / f"recording-{index:04d}.wav").write_bytes(source)
            return run(root, folder, batch_url, args.files, args.seconds)
    finally:
        stop(server)


def run(root: Path, folder: Path, batch_url: str, count: int, seconds: float) -> int:
    app = QApplication(sys.argv[:1])
    env = {"STUDIO_HOME": str(root / "home"), "SPEECHMATICS_API_KEY": KEY, "SPEECHMATICS_BATCH_URL": batch_url}
    studio = Studio(app, env, default_paths(env), secrets=MemorySecretStore())
    studio.window.show()
    studio.start()
    page = studio.window.show_workspace("batch")
    assert isinstance(page, BatchPage)
    lateness: list[float] = []
    cpu_after: dict[str, float] = {}
    clock = QElapsedTimer()
    marks: dict[str, float] = {}
    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    last = [0.0, 0.0, 0.0]
    # For ticks later than a frame: how the GUI thread spent the gap (running; runnable, waiting for a core;
    # the rest blocked, which here is waiting for the GIL), from the kernel's schedstat of the thread.
    late_split: list[tuple[float, float]] = []
    late_at: list[tuple[float, float]] = []  # (ms since the drop, how late) of the ticks late by a frame
    # Kept open and read in place: opening it on every tick would be GUI work the studio does not do.
    schedstat = os.open(f"/proc/self/task/{threading.main_thread().native_id}/schedstat", os.O_RDONLY)

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        ran, queued = (int(value) / 1e6 for value in os.pread(schedstat, 128, 0).split()[:2])
        if last[0]:
            late = max(0.0, now - last[0] - TICK_MS)
            lateness.append(late)
            if late >= 16:
                late_at.append((now, late))
                gap = now - last[0]
                late_split.append((min(1.0, (ran - last[1]) / gap), min(1.0, (queued - last[2]) / gap)))
        last[0], last[1], last[2] = now, ran, queued

    ticker.timeout.connect(tick)

    def check() -> None:
        now = time.perf_counter()
        board = page.runtime.board
        if "rows" not in marks and page.queue.model.rowCount() == count:
            marks["rows"] = now
        finished = len(board) - board.count(UNFINISHED)
        if len(board) == count and finished == count and "done" not in marks:
            marks["done"] = now
        if "done" in marks or now - marks["drop"] > seconds:
            marks.setdefault("end", now)
            cpu_after.update(thread_cpu())  # before the close stops the loop and its workers
            ticker.stop()
            studio.window.close()
            app.quit()
        else:
            QTimer.singleShot(20, check)

    def start() -> None:
        clock.start()
        ticker.start()
        marks["drop"] = time.perf_counter()
        page.add_files([folder])  # what a drop of the folder does
        QTimer.singleShot(20, check)

    page.runtime.start(lambda: QTimer.singleShot(200, start))
    cpu_before = thread_cpu()
    app.exec()
    os.close(schedstat)
    interval = sys.getswitchinterval()
    jobs = page.runtime.board.jobs
    done = sum(1 for job in jobs if job.state.value == "done")
    stalls = sorted(lateness)
    p99 = stalls[int(len(stalls) * 0.99) - 1] if stalls else float("nan")
    print(f"files dropped:           {count}")
    print(f"all rows shown after:    {(marks.get('rows', float('nan')) - marks['drop']) * 1000:.0f} ms")
    print(f"jobs done:               {done} of {count} in {marks['end'] - marks['drop']:.1f} s "
          f"({'all' if 'done' in marks else 'measurement window ended first'})")
    print(f"GUI stall (5 ms timer):  p50 {statistics.median(stalls):.2f} ms, p99 {p99:.2f} ms, "
          f"max {stalls[-1]:.1f} ms over {len(stalls)} ticks")
    print(f"target p99 < 16 ms:      {'met' if p99 < 16 else 'NOT met'}")
    if late_split:
        ran = statistics.mean(split[0] for split in late_split)
        queued = statistics.mean(split[1] for split in late_split)
        print(f"ticks late by a frame:   {len(late_split)}; of their gaps the GUI thread ran {ran * 100:.0f} %, "
              f"waited for a core {queued * 100:.0f} %, was blocked (the GIL) {(1 - ran - queued) * 100:.0f} %")
    if late_at:
        print("late ticks (s after drop: ms late): "
              + ", ".join(f"{at / 1000:.1f}: {late:.0f}" for at, late in late_at))
    print(f"switch interval at end:  {interval * 1000:g} ms; load average {os.getloadavg()[0]:.2f}")
    used = {kind: cpu_after.get(kind, 0.0) - cpu_before.get(kind, 0.0) for kind in cpu_after}
    print("CPU by thread:           " + ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in
                                                   sorted(used.items(), key=lambda item: -item[1]) if seconds >= 0.05))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
