"""The transcript view's live edge alone, at the stall benchmark's harshest rate: two channels ("Me", "Them") each
gaining a partial word every 0.1 s of audio with finals every six words (``bench_live_common.partial_script``,
no speakers, so each channel's paragraph grows to 200 words), ``--per-frame`` script steps applied to a
``TranscriptView`` in live mode between two frames (``flush`` and the repaint it asked for). What one frame costs
the GUI thread: its CPU time (``time.thread_time``, what other processes on a shared machine do not change) and
its wall-clock time. tests/bench/bench_live_stall.py runs the whole Live page; this isolates the view.

Run: .venv/bin/python -m tests.bench.bench_live_edge [--minutes 10] [--per-frame 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from studio.core.transcript import Transcript
from studio.qt.theme import LIGHT
from studio.qt.transcript import TranscriptView
from tests.bench.bench_live_common import describe, machine_load, partial_script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of audio")
    parser.add_argument("--per-frame", type=int, default=2, help="script steps (each on both channels) a frame")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    transcript = Transcript()
    view = TranscriptView(transcript, colors=lambda: LIGHT, mode="live")
    view.resize(900, 600)
    view.show()
    app.processEvents()
    cpu: list[float] = []
    wall: list[float] = []
    for n, entry in enumerate(partial_script(args.minutes * 60, every=0.1, speakers=()), start=1):
        for channel in ("Me", "Them"):
            transcript.apply({**entry["payload"], "channel": channel})
        if n % args.per_frame == 0:
            began, began_cpu = time.perf_counter(), time.thread_time()
            view.flush()
            app.processEvents()  # the repaint
            cpu.append((time.thread_time() - began_cpu) * 1000)
            wall.append((time.perf_counter() - began) * 1000)
    print(f"{args.minutes:g} min of two-channel audio, a partial every 0.1 s per channel, {args.per_frame} steps a "
          f"frame: {len(cpu)} frames, {len(view.model.rows)} rows; {machine_load()}")
    print(f"a frame (flush + repaint), GUI-thread CPU: {describe(cpu)}")
    print(f"a frame, wall clock: {describe(wall)}")
    print(f"mean CPU a frame: {statistics.mean(cpu):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
