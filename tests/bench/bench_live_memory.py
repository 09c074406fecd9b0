"""The whole studio's memory with an 8-hour transcript in the Live workspace.

The studio runs with its window and Live page (waveform, transcript view, caption overlay shown); 8 hours of
a two-speaker meeting's realtime traffic (the scripted engine's synthetic script: about 9,000 finals and
40,000 partials) is applied to the page's transcript in frame-sized batches, the view flushed after each as
the page does, then the view is scrolled from the top to the live edge. The figure is the process's
resident memory (RSS) before and after, with the built-in engine's server and Whisper model loaded too
(``--engine``, the default) as they are when a session runs on it. The per-update cost of the view over the
same traffic is the transcript view's own benchmark (tests/bench/bench_transcript_view.py).

Run: .venv/bin/python -m tests.bench.bench_live_memory [--hours 8] [--no-engine]
Target: < 500 MB.
"""

from __future__ import annotations

import argparse
import itertools
import time

from tests.bench.bench_live_common import application, live_page, machine_load, studio_on, wait_until

BATCH = 20  # messages a frame: a busy meeting's worth


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--no-engine", action="store_true", help="do not start the built-in engine")
    args = parser.parse_args()
    import psutil  # type: ignore[import-untyped]

    from studio.local.scripted import synthetic_script

    process = psutil.Process()
    app = application()
    studio = studio_on(None, app)
    page = live_page(studio)
    page.toggle_overlay()
    if not args.no_engine:
        ready: list[object] = []
        studio.use_builtin_engine(on_ready=ready.append, on_error=ready.append)
        wait_until(app, lambda: bool(ready), 120)
    for _ in range(50):
        app.processEvents()
    before = process.memory_info().rss
    seconds = args.hours * 3600
    messages = (dict(e.payload) for e in itertools.takewhile(lambda e: e.audio_ts < seconds,
                                                             synthetic_script(diarization=True)))
    began = time.perf_counter()
    count = 0
    transcript = page.transcript
    for batch in iter(lambda: list(itertools.islice(messages, BATCH)), []):
        for message in batch:
            transcript.apply(message)
        page.view.flush()
        count += len(batch)
        if count % (BATCH * 50) == 0:
            app.processEvents()
    applied = time.perf_counter() - began
    bar = page.view.list.verticalScrollBar()
    page.view.list.scroll_to_y(0)
    for _ in range(20):
        app.processEvents()
    page.view.jump_to_live()
    for _ in range(20):
        app.processEvents()
    after = process.memory_info().rss
    finals = sum(len(t.finals) for t in transcript.tracks.values())
    rows = len(page.view.list.rows)
    print(f"platform: {app.platformName()}; {machine_load()}")
    print(f"{args.hours:g} h of traffic: {count} messages applied in {applied:.0f} s, {finals} final tokens, "
          f"{rows} rows in the view (scroll range {bar.maximum()} px)")
    engine = "with" if not args.no_engine else "without"
    print(f"studio RSS ({engine} the built-in engine): {before / 2**20:.0f} MB before, "
          f"{after / 2**20:.0f} MB with the transcript (target < 500 MB)")
    studio.window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
