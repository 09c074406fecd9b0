"""A studio killed (SIGKILL) at a random moment, 20 times in a row, then left to finish: jobs lost and jobs
duplicated, counted from the queue's store and from the server's own job list.

Run: .venv/bin/python -m tests.bench.bench_batch_kill   [--kills 20] [--files 40] [--seed N]
Each studio is the real app (offscreen, tests.qt.batch.studio_child) resuming the queue by itself at start-up,
against a local server in another process (tests.qt.batch.slow_server: jobs run 1.5 s, uploads are taken
after 0.5 s) that outlives every studio. Targets: 0 lost, 0 duplicated.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.conftest import SHARED_AUDIO
from tests.qt.batch.killing import audit, events, kill, prepare, server_jobs, start_server, start_studio, stop, stored


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    chance = random.Random(seed)
    server, batch_url = start_server(job_seconds=1.5, accept_delay=0.5)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-batch-kill-") as tmp:
            root = Path(tmp)
            media = []
            for index in range(args.files):
                path = root / "media" / f"talk-{index:02d}.wav"
                path.parent.mkdir(exist_ok=True)
                path.write_bytes((SHARED_AUDIO / "audio_03_16kHz.wav").read_bytes())
                media.append(path)
            home = root / "home"
            prepare(home, media, concurrency=3)
            print(f"seed {seed}; {args.files} jobs; killing {args.kills} times")
            for number in range(1, args.kills + 1):
                studio = start_studio(home, batch_url)
                moment = chance.uniform(0.5, 5.0)
                time.sleep(moment)  # a random moment: what the benchmark is about
                kill(studio)
                states = Counter(job.state.value for job in stored(home))
                print(f"kill {number:2d} after {moment:.1f} s: " + ", ".join(
                    f"{count} {state}" for state, count in sorted(states.items())), flush=True)
            if any(job.unfinished for job in stored(home)):
                final = start_studio(home, batch_url)
                try:
                    for line in events(final, timeout=300):
                        if line == "all-finished":
                            break
                    final.wait(60)
                finally:
                    if final.poll() is None:
                        kill(final)
            result = audit(home, batch_url)
            jobs = stored(home)
            print(f"server jobs: {len(server_jobs(batch_url))} for {len(jobs)} queued files")
            print(f"jobs lost:       {result.lost} (target 0)")
            print(f"jobs duplicated: {result.duplicated} (target 0); server jobs of no queued file: {result.strays}")
            resent = sum(1 for job in jobs if job.note.startswith("The upload was interrupted"))
            print(f"uploads cut by a kill and sent again: {resent}")
    finally:
        stop(server)
    return 0 if result.lost == 0 and result.duplicated == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
