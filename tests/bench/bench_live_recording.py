"""What recording costs on the live path: caption latency with the recorder on and off (target: p95 at most
2 ms more with it on), and the recorder's own time on the event loop per call.

A live session from a file-backed source (a tone) at four times real time runs against a scripted server in a
process of its own; the session's events are timed as they are put (on the loop, where the views' bridge
picks them up). A partial's latency is from the capture of the audio that released it (the scripted
recogniser sends the partial for words ending at t once it has t + 0.25 s of audio) to its event. Runs
alternate off, on, off, on… so that the machine's load falls on both alike. With the recorder on, every
aligned audio piece is written to the WAV and every final journaled on the loop, exactly as in the studio.

Run: .venv/bin/python -m tests.bench.bench_live_recording [--runs 3] [--seconds 120]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from studio.api import messages as m
from studio.api.endpoints import Endpoints
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.services.connections import Connection
from studio.services.live import LiveConfig, LiveSession, SourceChoice, SourceKind
from studio.services.live.events import LiveEvent, Message
from studio.services.live.recorder import SessionRecorder
from studio.storage.sessions import SessionStore
from tests.bench.processes import server_process
from tests.helpers.wav import write_wav

RATE = 16000
SPEED = 4.0
RELEASE = 0.25  # the scripted recogniser sends a partial this long after its last word ends


def timed(calls: list[float], function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            calls.append(time.perf_counter() - start)
    return wrapper


async def one_run(url: str, recording: Path, root: Path | None) -> tuple[list[float], list[float]]:
    clock = ScaledClock(SPEED)

    async def connect() -> Connection:
        return Connection(Endpoints(url, "http://127.0.0.1:9/v2", "http://127.0.0.1:9"), api_key="bench")

    session = LiveSession(connect, SourceChoice(SourceKind.BOTH), LiveConfig(diarization="channel"),
                          source_factory=lambda _c, _i: FileSource(recording, clock=clock, then="stop"),
                          clock=clock)
    latencies: list[float] = []
    recorder_calls: list[float] = []

    def watch(event: LiveEvent) -> None:
        if isinstance(event, Message) and isinstance(event.message, m.Transcript) and event.message.partial \
                and event.message.results:
            released = event.message.metadata.end_time + RELEASE
            latencies.append(time.monotonic() - session.capture_clock(released))

    recorder = None
    if root is not None:
        recorder = SessionRecorder(SessionStore(root))
        recorder._on_audio = timed(recorder_calls, recorder._on_audio)  # type: ignore[method-assign]
        recorder._on_event = timed(recorder_calls, recorder._on_event)  # type: ignore[method-assign]
        assert await recorder.attach(session)
    session.events.subscribe(watch)
    await session.start()
    seconds = len(np.frombuffer(recording.read_bytes()[44:], dtype="<i2")) / RATE
    while session.audio_time() < seconds + 1.0:
        await asyncio.sleep(0.2)
    await session.stop()
    if recorder is not None:
        await recorder.closed()
    return latencies, recorder_calls


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


async def bench(runs: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = np.arange(round(seconds * RATE)) / RATE
        recording = write_wav(Path(tmp) / "tone.wav", (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16),
                              RATE)
        off: list[float] = []
        on: list[float] = []
        calls: list[float] = []
        async with server_process("tests.bench.realtime_server") as (_process, url):
            for index in range(runs):
                for recording_on in (False, True):
                    root = Path(tmp) / f"sessions-{index}" if recording_on else None
                    latencies, recorder_calls = await one_run(url, recording, root)
                    (on if recording_on else off).extend(latencies)
                    calls.extend(recorder_calls)
                    p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
                    print(f"run {index + 1} recording {'on ' if recording_on else 'off'}: {len(latencies)} partials, "
                          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    p95_off, p95_on = percentile(off, 95), percentile(on, 95)
    print(f"caption latency (capture → event), two channels at {SPEED:g}x: recording off p50 "
          f"{percentile(off, 50) * 1000:.1f} / p95 {p95_off * 1000:.1f} ms; on p50 {percentile(on, 50) * 1000:.1f} / "
          f"p95 {p95_on * 1000:.1f} ms; added p95 {(p95_on - p95_off) * 1000:+.1f} ms (target ≤ 2 ms)")
    print(f"recorder on the loop: {len(calls)} calls, p50 {percentile(calls, 50) * 1e6:.0f} µs, p95 "
          f"{percentile(calls, 95) * 1e6:.0f} µs, p99 {percentile(calls, 99) * 1e6:.0f} µs, max "
          f"{max(calls) * 1e3:.2f} ms; total {sum(calls) / runs:.3f} s per {seconds:g} s session")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    asyncio.run(bench(args.runs, args.seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
