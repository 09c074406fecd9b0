"""GUI main-thread stalls in the Live workspace during a long, fast session: heartbeat-timer lateness.

A 10-minute session on "Microphone + system audio" (two file-backed sources, tones) is streamed at 10× real
time — the files and the session run on one ``ScaledClock(10)`` — to ``studio serve --script`` (its own
process) replaying a new partial every ``EVERY`` seconds of audio on each channel, with finals every six
words. Two rates are run: a partial every 1.0 s of audio (10 partials a second per channel on the wire at
10×: "partials at 10 Hz") and, harsher, every 0.1 s (10 Hz of session time: 100 a second per channel at 10×).
The whole Live page runs: the waveform pane at display rate, the transcript view, the caption overlay, the
meters. A heartbeat timer on the GUI thread fires every 5 ms; its lateness (the gap between two beats minus
5 ms) is what a user would feel as a stutter. The same heartbeat with the page idle is measured first: the
machine's own noise. The page's display-rate calls are timed too, and the CPU of the GUI thread and of the
studio's other threads (event loop, capture) is read from the OS.

Run: .venv/bin/python -m tests.bench.bench_live_stall [--minutes 10] [--speed 10] [--partial-every 1.0,0.1]
Target: p99 lateness < 16 ms.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import threading
import time
from pathlib import Path

from tests.bench.bench_live_common import (
    application,
    describe,
    live_page,
    machine_load,
    partial_script,
    percentile,
    scripted_server,
    studio_on,
    tone,
    wait_until,
    write_script,
)

BEAT_MS = 5


def thread_times() -> dict[int, float]:
    """CPU seconds of each thread of this process, by native id."""
    import psutil  # type: ignore[import-untyped]

    return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}


def timed(owner: object, name: str, into: list[float], *, timer: bool = False) -> None:
    """Records how long each call of ``owner.name`` takes (ms); ``timer``: ``owner._timer`` is connected to that
    method directly, so it is connected to the wrapper instead."""
    original = getattr(owner, name)

    def wrapper() -> None:
        began = time.perf_counter()
        original()
        into.append((time.perf_counter() - began) * 1000)

    setattr(owner, name, wrapper)
    if timer:
        display_rate = owner._timer  # type: ignore[attr-defined]
        display_rate.timeout.disconnect()
        display_rate.timeout.connect(wrapper)


class Heartbeat:
    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000 - BEAT_MS)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        return [max(0.0, g) for g in self.gaps[1:]]


def run(args: argparse.Namespace, every: float) -> None:
    from studio.audio.clock import ScaledClock
    from studio.audio.file_source import FileSource
    from studio.services.live import SessionState, SourceChoice, SourceKind

    seconds = args.minutes * 60
    app = application()
    folder = Path(tempfile.mkdtemp(prefix="bench-live-stall-"))
    script = write_script(partial_script(seconds + 5, every=every, speakers=()), folder)
    audio = tone(folder / "tone.wav", seconds + 5)
    heartbeat = Heartbeat()
    with scripted_server(script) as url:
        studio = studio_on(url, app)
        page = live_page(studio)
        page.toggle_overlay()
        page.controller.wake_on_arrival = not args.no_wake
        clock = ScaledClock(args.speed)
        page.controller.clock = clock
        page.controller.source_factory = lambda channel, _id: FileSource(audio, clock=clock, label=channel)
        page.picker.set_choice(SourceChoice(SourceKind.BOTH, "file:me", "file:them"))
        heartbeat.start()  # the machine's own noise first: the page idle, no session
        wait_until(app, lambda: len(heartbeat.gaps) >= int(args.idle * 1000 / BEAT_MS), args.idle * 3 + 10)
        idle = heartbeat.stop()
        pulls: list[float] = []
        frames: list[float] = []
        timed(page.controller, "pull", pulls)
        if page.waveform is not None:
            timed(page.waveform, "tick", frames, timer=True)
        collections: list[tuple[int, float]] = []
        began = [0.0]

        def gc_watch(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                collections.append((info["generation"], (time.perf_counter() - began[0]) * 1000))

        session = page.start()
        assert session is not None
        wait_until(app, lambda: session.state is SessionState.RUNNING, 30)
        gc.callbacks.append(gc_watch)
        cpu_before, wall = thread_times(), time.perf_counter()
        heartbeat.start()
        wait_until(app, lambda: session.audio_time() >= seconds, seconds / args.speed * 3 + 60)
        lateness = heartbeat.stop()
        wall = time.perf_counter() - wall
        cpu_after = thread_times()
        gc.callbacks.remove(gc_watch)
        applied = page.controller.messages_applied
        page.start_stop()
        wait_until(app, lambda: not page.controller.active, 120)
        finals = sum(len(track.finals) for track in page.transcript.tracks.values())
        studio.window.close()
    gui = threading.get_native_id()
    used = {tid: cpu_after[tid] - cpu_before.get(tid, 0.0) for tid in cpu_after}
    others = sum(v for tid, v in used.items() if tid != gui)
    print(f"-- a partial every {every:g} s of audio per channel ({args.speed / every:.0f} a second per channel "
          f"on the wire); {args.minutes:g} min of two-channel audio at {args.speed:g}x in {wall:.0f} s; "
          f"{machine_load()}")
    print(f"messages applied: {applied}, final tokens: {finals}, waveform frames: {len(frames)} "
          f"({len(frames) / wall:.0f} fps)")
    print(f"heartbeat lateness, page idle ({args.idle:g} s, the machine's own noise): {describe(idle)}")
    print(f"heartbeat lateness during the session: {describe(lateness)}")
    print(f"GUI-thread work a frame: events pulled and applied + transcript view flush: {describe(pulls)}")
    print(f"                         waveform frame: {describe(frames)}")
    for generation in (1, 2):
        times = [ms for gen, ms in collections if gen == generation]
        if times:
            print(f"garbage collections of generation {generation}: {len(times)}, longest {max(times):.1f} ms")
    print(f"CPU: GUI thread {used.get(gui, 0.0) / wall * 100:.0f} % of a core, the studio's other threads "
          f"(event loop, capture) {others / wall * 100:.0f} %")
    print(f"GUI main-thread stall p99: {percentile(lateness, 99):.1f} ms (target < 16 ms)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of audio")
    parser.add_argument("--speed", type=float, default=10.0, help="times real time")
    parser.add_argument("--partial-every", default="1.0,0.1", help="seconds of audio between partials (a list)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle heartbeat first")
    parser.add_argument("--no-wake", action="store_true", help="captions wait for the page's next frame")
    args = parser.parse_args()
    print(f"platform: {application().platformName()}; heartbeat every {BEAT_MS} ms")
    for every in (float(v) for v in args.partial_every.split(",")):
        run(args, every)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
