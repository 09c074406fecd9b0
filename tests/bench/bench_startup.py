"""Start-up figure: process start to main window exposed, against a bare PySide6 window, in interleaved runs.

Run: .venv/bin/python -m tests.bench.bench_startup [--runs 15] [--bundle PATH | --no-bundle]

Each round starts, in a rotating order, the bare window (``tests.bench.bare_window``), the studio from the
source tree as the set-up installs it (``.venv/bin/studio --smoke-window``, the console script) and, if it
was built (``scripts/build-bundle.sh``), the bundle (``dist/transcription-studio/transcription-studio
--smoke-window``). The time is from ``Popen`` to the ``smoke: main window exposed`` line; every process gets
a fresh home (XDG folders in a new temporary directory, as a first start on a new machine; STUDIO_HOME is
unset so the real path lookup runs). Offscreen by default; set QT_QPA_PLATFORM=xcb and DISPLAY to measure on
a screen. Target: ratio <= 1.5, as the median of the per-round ratios (each studio run against the bare run
of the same round, so a machine that gets busier or quieter during the measurement moves both).

CPU time (all threads, from /proc/PID/task/*/schedstat when the line arrives) is printed as well: on a
machine shared with other work it says how much of a wall-clock difference is the program's own.
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXPOSED = "smoke: main window exposed"
DEFAULT_BUNDLE = REPO / "dist" / "transcription-studio" / "transcription-studio"


@dataclass
class Series:
    name: str
    command: list[str]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as handle:
                total += int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def fresh_env(base: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key != "STUDIO_HOME"}
    home = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    for name, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                      ("XDG_STATE_HOME", "state")):
        env[name] = str(home / sub)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def time_to_exposed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(EXPOSED):
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(proc.pid)
            break
    else:
        proc.wait(timeout=30)
        raise RuntimeError(f"{command} never reported an exposed window (exit status {proc.returncode})")
    if proc.wait(timeout=30) != 0:
        raise RuntimeError(f"{command} exited with {proc.returncode}")
    return elapsed, cpu


def fresh_bytecode(source: Path) -> bool:
    """Whether Python would use the cached bytecode of ``source`` (a timestamp .pyc matching its mtime and size)."""
    import importlib.util

    try:
        header = Path(importlib.util.cache_from_source(str(source))).read_bytes()[:16]
        stat = source.stat()
    except OSError:
        return False
    return (len(header) == 16 and int.from_bytes(header[4:8], "little") == 0
            and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF)


def bytecode_note() -> str:
    """Whether the studio's modules run from cached bytecode (a set-up that could not write it compiles every
    module at every start)."""
    sources = list((REPO / "studio").rglob("*.py"))
    cached = sum(fresh_bytecode(path) for path in sources)
    flag = " (PYTHONDONTWRITEBYTECODE is set)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"studio bytecode cached for {cached} of {len(sources)} modules{flag}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first (default 2)")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="the bundle's executable")
    parser.add_argument("--no-bundle", action="store_true", help="do not measure the bundle")
    args = parser.parse_args()

    series = [Series("bare PySide6 window", [sys.executable, "-m", "tests.bench.bare_window"]),
              Series("studio (source tree)", [str(Path(sys.executable).with_name("studio")), "--smoke-window"])]
    if not args.no_bundle:
        if args.bundle.is_file():
            series.append(Series("studio (bundle)", [str(args.bundle), "--smoke-window"]))
        else:
            print(f"(no bundle at {args.bundle}: build it with scripts/build-bundle.sh, or pass --no-bundle)")
    for _ in range(args.warmup):
        for item in series:
            time_to_exposed(item.command, fresh_env(dict(os.environ)))
    for round_ in range(args.runs):
        order = series[round_ % len(series):] + series[:round_ % len(series)]
        for item in order:
            wall, cpu = time_to_exposed(item.command, fresh_env(dict(os.environ)))
            item.wall.append(wall)
            item.cpu.append(cpu)

    load = os.getloadavg()
    print(f"platform: {fresh_env(dict(os.environ))['QT_QPA_PLATFORM']}, {args.runs} interleaved rounds "
          f"after {args.warmup} warm-up; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {bytecode_note()}")
    bare = series[0]
    for item in series:
        print(f"{item.name:22s} median {statistics.median(item.wall) * 1000:4.0f} ms wall, "
              f"{statistics.median(item.cpu) * 1000:4.0f} ms CPU  "
              f"(runs: {', '.join(f'{t * 1000:.0f}' for t in item.wall)})")
    for item in series[1:]:
        paired = statistics.median(s / b for s, b in zip(item.wall, bare.wall, strict=True))
        of_medians = statistics.median(item.wall) / statistics.median(bare.wall)
        cpu = statistics.median(s / b for s, b in zip(item.cpu, bare.cpu, strict=True))
        print(f"start-up ratio, {item.name}: {paired:.2f}x (median of paired runs; {of_medians:.2f}x of medians; "
              f"CPU {cpu:.2f}x) — target <= 1.5x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
