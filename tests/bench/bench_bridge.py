"""Bridge round trip: GUI thread -> asyncio loop -> GUI thread, p99 over 10,000 sequential calls.

Run: .venv/bin/python -m tests.bench.bench_bridge   Target: p99 < 2 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from studio.qt.bridge import AsyncBridge


async def echo(value: int) -> int:
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    bridge = AsyncBridge()
    samples: list[float] = []
    started = 0.0

    def send() -> None:
        nonlocal started
        started = time.perf_counter()
        bridge.submit(echo(len(samples)), on_result=received)

    def received(value: int) -> None:
        samples.append(time.perf_counter() - started)
        assert value == len(samples) - 1
        if len(samples) < args.calls:
            send()
        else:
            app.quit()

    send()
    app.exec()
    bridge.shutdown()
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    print(f"{len(samples)} round trips: mean {statistics.mean(samples) * 1e3:.3f} ms, "
          f"p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms, max {ordered[-1] * 1e3:.3f} ms (target p99 < 2 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
