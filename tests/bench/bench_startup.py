"""Start-up figure: process start to main window exposed, median of 5 warm runs, against a bare PySide6 window.

Run: .venv/bin/python -m tests.bench.bench_startup   (offscreen by default; set QT_QPA_PLATFORM=xcb and
DISPLAY to measure on a real or virtual screen). Target: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def time_to_exposed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("smoke: main window exposed"):
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError(f"{command} never reported an exposed window")
    if proc.wait(timeout=30) != 0:
        raise RuntimeError(f"{command} exited with {proc.returncode}")
    return elapsed


def measure(command: list[str], env: dict[str, str], runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        time_to_exposed(command, env)
    return [time_to_exposed(command, env) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-bench-")
    studio = [str(Path(sys.executable).with_name("studio")), "--smoke"]
    bare = [sys.executable, "-m", "tests.bench.bare_window"]
    # Interleave so that both see the same machine conditions.
    bare_times: list[float] = []
    studio_times: list[float] = []
    measure(bare, env, 0, args.warmup)
    measure(studio, env, 0, args.warmup)
    for _ in range(args.runs):
        bare_times += measure(bare, env, 1, 0)
        studio_times += measure(studio, env, 1, 0)
    bare_median = statistics.median(bare_times)
    studio_median = statistics.median(studio_times)
    print(f"platform: {env['QT_QPA_PLATFORM']}, {args.runs} warm runs each")
    print(f"bare PySide6 window: median {bare_median * 1000:.0f} ms  "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in bare_times)})")
    print(f"studio --smoke:      median {studio_median * 1000:.0f} ms  "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in studio_times)})")
    ratio = studio_median / bare_median
    # Each studio run is paired with the bare run just before it; the median of those ratios is less
    # affected by the machine's speed drifting during the measurement.
    paired = statistics.median(s / b for s, b in zip(studio_times, bare_times, strict=True))
    print(f"start-up ratio: {ratio:.2f}x of medians, {paired:.2f}x median of paired runs (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
