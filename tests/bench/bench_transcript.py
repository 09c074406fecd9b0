"""The transcript model and the exporters under a day-long meeting: 8 hours of two-speaker realtime traffic
(about 9,000 finals and 40,000 partials from the scripted engine's synthetic script) applied to a
``Transcript``, then the result exported to SRT and DOCX.

Run: .venv/bin/python -m tests.bench.bench_transcript
Targets: the last 10 % of the updates cost at most 1.5x the first 10 % (no slowdown as the transcript
grows); SRT export < 0.5 s; DOCX export < 5 s (VTT, TXT and JSON are shown too). Exits 1 if a target is
missed. Each figure is the best of several runs: the machine's other work only ever adds time.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import time
from collections.abc import Sequence
from typing import Any

from studio.core.exporters import export
from studio.core.transcript import Transcript
from studio.local.scripted import synthetic_script

UPDATES = ("AddTranscript", "AddPartialTranscript")


def traffic(hours: float) -> list[dict[str, Any]]:
    """The realtime messages of ``hours`` of a diarized two-speaker meeting, in the order they arrive."""
    seconds = hours * 3600
    return [dict(entry.payload) for entry in itertools.takewhile(lambda e: e.audio_ts < seconds,
                                                                 synthetic_script(diarization=True))]


def apply_timed(transcript: Transcript, messages: Sequence[dict[str, Any]]) -> list[float]:
    """Applies every message; the time each one took."""
    timings = []
    clock = time.perf_counter
    for message in messages:
        began = clock()
        transcript.apply(message)
        timings.append(clock() - began)
    return timings


def timed_export(transcript: Transcript, fmt: str, repeats: int) -> tuple[float, float, int]:
    """The best of ``repeats`` exports: wall-clock seconds, CPU seconds (what the export costs whatever else
    the machine is doing), and the size of the file."""
    best_wall = best_cpu = float("inf")
    size = 0
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        data = export(transcript, fmt)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        size = len(data)
    return best_wall, best_cpu, size


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3,
                        help="times the traffic is applied (to a new transcript); each figure is the best run's")
    parser.add_argument("--repeats", type=int, default=5, help="exports of each format; the best is shown")
    args = parser.parse_args(argv)

    messages = traffic(args.hours)
    finals = sum(m["message"] == "AddTranscript" for m in messages)
    empty = sum(m["message"] == "AddTranscript" and not m["results"] for m in messages)
    partials = sum(m["message"] == "AddPartialTranscript" for m in messages)
    tenth = max(1, len(messages) // 10)
    totals, firsts, lasts = [], [], []
    notifications = [0]
    transcript = Transcript()
    for _ in range(args.runs):
        transcript = Transcript()
        notifications[0] = 0
        transcript.changes.subscribe(lambda _change: notifications.__setitem__(0, notifications[0] + 1))
        timings = apply_timed(transcript, messages)
        totals.append(sum(timings))
        firsts.append(sum(timings[:tenth]))
        lasts.append(sum(timings[-tenth:]))
    total, first, last = min(totals), min(firsts), min(lasts)
    ratio = last / first if first else float("inf")
    words = len(transcript.all_finals())
    print(f"{args.hours:g} h of meeting: {len(messages)} messages ({finals} finals, {empty} of them empty; "
          f"{partials} partials), {words} final tokens, {notifications[0]} change notifications")
    print(f"apply (best of {args.runs}): total {total:.3f} s, {total / len(messages) * 1e6:.1f} us a message; "
          f"last 10 % / first 10 % = {last * 1e3:.1f} ms / {first * 1e3:.1f} ms = {ratio:.2f} (target <= 1.5)")
    failed = ratio > 1.5
    del messages
    gc.collect()
    for fmt, target in (("srt", 0.5), ("docx", 5.0), ("vtt", None), ("txt", None), ("json", None)):
        wall, cpu, size = timed_export(transcript, fmt, args.repeats)
        verdict = ""
        if target is not None:
            verdict = f" (target < {target:g} s) " + ("ok" if wall < target else "OVER")
            failed |= wall >= target
        print(f"export {fmt}: {wall:.3f} s ({cpu:.3f} s CPU), {size / 1024:.0f} KiB{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
