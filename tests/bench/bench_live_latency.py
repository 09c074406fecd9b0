"""Client-added caption latency in the Live workspace: from the moment an audio frame is captured to the
moment the partial it produced is painted, with a server that answers at once.

The studio runs as a user runs it (its window, the Live page with the waveform, the transcript view and
the caption overlay showing); a file-backed source plays a tone at real-time pace on the monotonic clock,
as a microphone would; the server (``studio serve --script``, its own process) replays a script in which a
new word ``w<k>`` appears as a partial just after a 20 ms frame boundary, so the frame that produced each
partial is known and ``session.capture_clock`` gives when it was captured. The latency of partial k is the
end of the first paint that shows it (the transcript view's ``painted`` signal, the overlay's
``paint_hook``) minus that capture time: capture → resample and align → 20 ms frame → WebSocket → server →
WebSocket → the session's queue → the page's display-rate pull → the transcript → the paint.

Run: .venv/bin/python -m tests.bench.bench_live_latency [--seconds 60]
     (offscreen by default; QT_QPA_PLATFORM=xcb with DISPLAY for a real or virtual screen)
Target: p95 <= 25 ms.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from tests.bench.bench_live_common import (
    application,
    describe,
    live_page,
    machine_load,
    partial_script,
    scripted_server,
    studio_on,
    tone,
    wait_until,
    write_script,
)

EVERY = 0.5
WORD = re.compile(r"w(\d+)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of audio (real time)")
    parser.add_argument("--no-recording", action="store_true", help="do not record the session to disk")
    args = parser.parse_args()
    from studio.services.live import SessionState, SourceChoice, SourceKind

    app = application()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-latency-"))
    script = write_script(partial_script(args.seconds + 5, every=EVERY, speakers=()), folder)
    audio = tone(folder / "tone.wav", args.seconds + 5)
    with scripted_server(script) as url:
        studio = studio_on(url, app)
        page = live_page(studio)
        page.toggle_overlay()
        if args.no_recording:
            state = studio.state
            state.save_settings(state.settings.replace(live=state.settings.live.replace(record_sessions=False)))
        page.picker.set_choice(SourceChoice(SourceKind.MIC, f"file:{audio}"))
        applied: dict[int, float] = {}
        painted_view: dict[int, float] = {}
        painted_overlay: dict[int, float] = {}
        controller = page.controller
        flush = controller.after_apply

        def newest_partial() -> int | None:
            tokens = [t for track in page.transcript.tracks.values() for t in track.partial]
            numbers = [int(m.group(1)) for t in tokens if (m := WORD.fullmatch(t.text))]
            return max(numbers) if numbers else None

        def after_apply() -> None:
            k = newest_partial()
            if k is not None and k not in applied:
                applied[k] = time.perf_counter()
            flush()

        def seen(into: dict[int, float]) -> None:
            now = time.perf_counter()
            for k, at in applied.items():
                if k not in into and at <= now:
                    into[k] = now

        controller.after_apply = after_apply
        page.view.painted.connect(lambda: seen(painted_view))
        assert page.overlay is not None
        page.overlay.paint_hook = lambda _t: seen(painted_overlay)
        session = page.start()
        assert session is not None
        arrived: dict[int, float] = {}

        def on_event(event: object) -> None:  # on the event loop, as the session queues each server message
            message = getattr(event, "message", None)
            if message is not None and getattr(message, "partial", False):
                numbers = [int(m.group(1)) for r in message.results if (m := WORD.fullmatch(r.content))]
                if numbers and max(numbers) not in arrived:
                    arrived[max(numbers)] = time.perf_counter()

        session.events.subscribe(on_event)
        wait_until(app, lambda: session.state is SessionState.RUNNING, 30)
        wait_until(app, lambda: session.audio_time() >= args.seconds, args.seconds + 30)
        captured = session.audio_time()
        page.start_stop()
        wait_until(app, lambda: session.state in (SessionState.STOPPED, SessionState.FAILED), 60)

        shown = sorted(painted_view)[2:]  # the first words race the session's start-up

        def latencies(painted: dict[int, float]) -> list[float]:
            out = []
            for k in shown:
                if k not in painted:
                    continue
                at = painted[k]
                produced_by = 0.5 + k * EVERY + 0.02  # the end of the frame that crossed the entry's audio_ts
                if produced_by > captured:  # released by the end of the stream, not by captured audio
                    continue
                out.append((at - session.capture_clock(produced_by)) * 1000)
            return out

        view = latencies(painted_view)
        overlay = latencies(painted_overlay)
        pulled = latencies(applied)  # capture -> the page applied it (its display-rate pull)
        queued = latencies(arrived)  # capture -> the session queued the server's partial
        studio.window.close()
    recording = "not recorded" if args.no_recording else "recorded to disk as it runs"
    print(f"platform: {app.platformName()}, {args.seconds:.0f} s session at real-time pace ({recording}), a partial "
          f"every {EVERY} s; {machine_load()}")
    print(f"frame captured -> partial painted in the transcript view: {describe(view)} (target p95 <= 25 ms)")
    print(f"frame captured -> partial painted in the caption overlay: {describe(overlay)}")
    print(f"  capture -> the partial in the session's queue (capture, frames, network, server): {describe(queued)}")
    print(f"  capture -> applied to the transcript by the page: {describe(pulled)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
