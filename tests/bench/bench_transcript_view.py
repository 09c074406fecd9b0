"""The transcript view under a day-long meeting: 8 hours of two-speaker realtime traffic (about 9,000 finals and
45,000 partials from the scripted engine's synthetic script, as tests/bench/bench_transcript.py makes them)
applied to a ``Transcript`` shown in a ``TranscriptView`` in live mode, each message followed by the view's frame
(``flush``) and the repaint it asked for; then the finished transcript opened in document mode.

Run: .venv/bin/python -m tests.bench.bench_transcript_view
Figures: per-update cost (apply + frame + repaint) in the first and the last 10 % of the session — targets:
last/first <= 1.5 and each < 2 ms; the process's peak RSS with the 8-hour transcript in the view (the whole app
must stay < 500 MB); the time to open the finished 8-hour document in document mode (to its first paint) and
to measure every row in idle time; a search, a scroll to a random place, a resize. Exits 1 if a target is
missed. On a shared machine wall-clock time includes other processes' work, so each update's CPU time (what
it costs this process) is measured too and the targets are judged on it; wall-clock mean, p50 and p99 are
shown beside it.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from studio.core.transcript import Transcript
from studio.local.scripted import synthetic_script
from studio.qt.theme import LIGHT, palette_for
from studio.qt.transcript import TranscriptView

WIDTH, HEIGHT = 1000, 700


def messages(hours: float) -> Iterator[dict[str, Any]]:
    """The realtime messages of ``hours`` of a diarized two-speaker meeting, made as they are needed."""
    seconds = hours * 3600
    for entry in itertools.takewhile(lambda e: e.audio_ts < seconds, synthetic_script(diarization=True)):
        if entry.payload.get("message") in ("AddTranscript", "AddPartialTranscript"):
            yield dict(entry.payload)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def settle(app: QApplication) -> None:
    app.processEvents()


def idle(app: QApplication, view: TranscriptView, timeout: float = 120.0) -> float:
    """Runs the event loop until the view has measured every row; the time it took."""
    began = time.perf_counter()
    geometry = view.list.geometry_
    while time.perf_counter() - began < timeout:
        app.processEvents()
        if all(geometry.is_exact(row) for row in range(len(geometry))):
            break
    return time.perf_counter() - began


def timed(action: Callable[[], object], app: QApplication) -> float:
    began = time.perf_counter()
    action()
    app.processEvents()
    return time.perf_counter() - began


def describe(label: str, values: Sequence[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{label}: mean {statistics.fmean(values) * 1e3:.3f} ms, p50 {statistics.median(values) * 1e3:.3f} ms, "
            f"p99 {p99 * 1e3:.3f} ms")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    app.setPalette(palette_for(LIGHT))
    baseline = peak_rss_mb()

    # -- live: every message applied, then the frame and its repaint -------------------------------------------
    transcript = Transcript()
    view = TranscriptView(transcript, lambda: LIGHT, mode="live")
    view.resize(WIDTH, HEIGHT)
    view.show()
    settle(app)
    clock, cpu_clock = time.perf_counter, time.process_time
    timings: list[float] = []
    cpu: list[float] = []
    for message in messages(args.hours):
        began, cpu_began = clock(), cpu_clock()
        transcript.apply(message)
        view.flush()
        app.processEvents()  # the repaint the frame asked for
        timings.append(clock() - began)
        cpu.append(cpu_clock() - cpu_began)
    tenth = max(1, len(timings) // 10)
    first, last = timings[:tenth], timings[-tenth:]
    cpu_first, cpu_last = statistics.fmean(cpu[:tenth]), statistics.fmean(cpu[-tenth:])
    ratio = cpu_last / cpu_first
    rows = len(view.model.rows)
    finals = len(transcript.all_finals())
    print(f"{args.hours:g} h of meeting: {len(timings)} updates (finals and partials), {finals} final tokens, "
          f"{rows} rows in the view, following the live edge: {view.following_live}")
    print(f"per update, first 10 %: CPU {cpu_first * 1e3:.3f} ms; wall " + describe("", first)[2:])
    print(f"per update, last 10 % : CPU {cpu_last * 1e3:.3f} ms; wall " + describe("", last)[2:])
    over = max(cpu_first, cpu_last) >= 0.002
    print(f"last / first (CPU means) = {ratio:.2f} (target <= 1.5; wall-clock means: "
          f"{statistics.fmean(last) / statistics.fmean(first):.2f}); each < 2 ms: {'ok' if not over else 'OVER'}")
    failed = ratio > 1.5 or over
    gc.collect()
    live_peak = peak_rss_mb()
    print(f"peak RSS with the {args.hours:g} h transcript in the live view: {live_peak:.0f} MB "
          f"(the bare Qt process before it: {baseline:.0f} MB; target for the whole app < 500 MB)")
    failed |= live_peak >= 500

    # -- reading it: scroll to random places, search, resize -------------------------------------------------
    idle(app, view)
    total = view.list.geometry_.total
    randomizer = random.Random(7)
    jumps = [timed(lambda: view.list.scroll_to_y(randomizer.randrange(total)), app) for _ in range(200)]
    print(describe("scroll to a random place (measure + repaint)", jumps))
    search_first = timed(lambda: view.search("speakers"), app)
    found = view.match_count
    search_again = timed(lambda: view.search("finals"), app)
    step = [timed(view.find_next, app) for _ in range(50)]
    print(f"search the {args.hours:g} h transcript: {search_first * 1e3:.0f} ms ({found} matches), another word "
          f"{search_again * 1e3:.0f} ms; " + describe("next match", step))
    resize = timed(lambda: view.resize(WIDTH - 200, HEIGHT), app)
    remeasure = idle(app, view)
    print(f"resize to a new width: {resize * 1e3:.0f} ms until repainted, every row measured again in idle time "
          f"within {remeasure:.1f} s")
    view.close()
    view.deleteLater()
    settle(app)

    # -- document mode: the finished transcript, as the batch viewer and the sessions library open it -----------
    document = transcript.to_json_v2()
    began = clock()
    loaded = Transcript.from_json_v2(document)
    parsed = clock() - began
    painted: list[float] = []
    began = clock()
    reader = TranscriptView(loaded, lambda: LIGHT, mode="document")
    reader.painted.connect(lambda: painted.append(clock()))
    reader.resize(WIDTH, HEIGHT)
    reader.show()
    while not painted and clock() - began < 60:
        app.processEvents()
    opened = (painted[0] if painted else clock()) - began
    measured = idle(app, reader)
    print(f"document mode: json-v2 read in {parsed:.2f} s; the view opened and painted in {opened:.2f} s "
          f"({len(reader.model.rows)} rows); every row measured in idle time within {measured:.1f} s")
    print(f"peak RSS at the end: {peak_rss_mb():.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
