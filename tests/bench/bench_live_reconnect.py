"""Reconnecting a live session: words lost across a 5 s connection cut (target 0) and the time from
reconnecting to the captions having caught up.

A live session at real-time pace (a file-backed source: seeded noise, which the listening scripted recogniser
of tests/services/live/timecode.py locates, so a new session carries on the script where it hears it) goes
through a TCP proxy to a local server in a process of its own. Ten seconds in, the proxy resets the
connection and refuses new ones for 5 s (a router restarting, a VPN dropping), then lets them through. The
session reconnects with its backoff, sends first what was not final, and shifts the new session's times.

* words lost / repeated: the final words against the script's (what an uninterrupted run gives);
* time misplaced: the largest difference of a word's time from its place in the recording;
* caught up: from the new connection's start (Reconnected) to the first caption for audio captured at or after
  that moment — the backlog transcribed.

Run: .venv/bin/python -m tests.bench.bench_live_reconnect [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from studio.api import messages as m
from studio.api.endpoints import Endpoints
from studio.audio.file_source import FileSource
from studio.local.server import LocalServer, ServerConfig
from studio.services.connections import Connection
from studio.services.live import LiveConfig, LiveSession, SessionState, SourceChoice, SourceKind
from studio.services.live.events import LiveEvent, Message, Reconnected, StateChanged
from tests.bench.processes import server_process
from tests.helpers.wav import write_wav
from tests.services.live.netcut import CutProxy
from tests.services.live.timecode import RATE, TimecodeRecognizer, expected_words, noise

SECONDS = 30.0
SCRIPT = SECONDS - 4.0
CUT_AT = 10.0
CUT_FOR = 5.0


async def serve() -> None:
    server = LocalServer(config=ServerConfig(require_auth=False),
                         recognizer=TimecodeRecognizer(noise(SECONDS).astype("float64"), SCRIPT))
    urls = await server.start()
    print(f"{server.host} {server.port} {urls.realtime}", flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await server.stop()


async def one_run(host: str, port: int, recording: Path) -> dict[str, float]:
    proxy = CutProxy(host, int(port))
    await proxy.start()
    endpoints = Endpoints(proxy.url(), "http://127.0.0.1:9/v2", "http://127.0.0.1:9")

    async def connect() -> Connection:
        return Connection(endpoints, api_key="bench")

    source = FileSource(recording, label="bench")
    session = LiveSession(connect, SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=lambda _c, _i: source)
    marks: dict[str, float] = {}
    caught: list[float] = []

    def watch(event: LiveEvent) -> None:
        now = time.monotonic()
        if isinstance(event, Reconnected):
            marks["reconnected"] = now
            marks["edge"] = session.audio_time()
        elif isinstance(event, StateChanged) and event.state is SessionState.RECONNECTING:
            marks.setdefault("dropped", now)
        elif isinstance(event, Message) and "edge" in marks and not caught \
                and isinstance(event.message, m.Transcript) and event.message.metadata.end_time >= marks["edge"]:
            caught.append(now)

    session.events.subscribe(watch)
    await session.start()
    await asyncio.sleep(max(0.0, session.origin + CUT_AT - time.monotonic()))
    proxy.cut(reset=True)
    await asyncio.sleep(CUT_FOR)
    proxy.restore()
    await asyncio.to_thread(source.finished.wait, SECONDS * 3)
    await session.stop()
    await proxy.stop()
    events = session.drain()
    if "-v" in sys.argv:
        print([e for e in events if not isinstance(e, Message)])
    got = [r.content for e in events if isinstance(e, Message) and isinstance(e.message, m.Transcript)
           and not e.message.partial for r in e.message.results if r.type == "word"]
    want = expected_words(SCRIPT)
    lost = repeated = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=want, b=got, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            lost += i2 - i1
        if tag in ("insert", "replace"):
            repeated += j2 - j1
    return {"words": len(want), "lost": lost, "repeated": repeated, "reconnects": session.reconnects,
            "offline": marks.get("reconnected", float("nan")) - marks.get("dropped", float("nan")),
            "caught_up": (caught[0] - marks["reconnected"]) if caught and "reconnected" in marks else float("nan"),
            "stopped": float(session.state is SessionState.STOPPED)}


async def bench(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        recording = write_wav(Path(tmp) / "noise.wav", noise(SECONDS), RATE)
        async with server_process("tests.bench.bench_live_reconnect", "--serve") as (_process, line):
            host, port, _url = line.split()
            results = []
            for index in range(runs):
                result = await one_run(host, int(port), recording)
                results.append(result)
                print(f"run {index + 1}: {result['words']:.0f} words, lost {result['lost']:.0f}, repeated "
                      f"{result['repeated']:.0f}, reconnects {result['reconnects']:.0f}, offline "
                      f"{result['offline']:.2f} s, caught up {result['caught_up'] * 1000:.0f} ms after reconnecting",
                      flush=True)
    print(f"words lost across a {CUT_FOR:.0f} s connection cut: {sum(r['lost'] for r in results):.0f} of "
          f"{sum(r['words'] for r in results):.0f} (target 0); repeated: {sum(r['repeated'] for r in results):.0f}")
    print(f"reconnect to captions caught up: median {statistics.median(r['caught_up'] for r in results) * 1000:.0f} "
          f"ms, max {max(r['caught_up'] for r in results) * 1000:.0f} ms "
          f"(connection down {statistics.median(r['offline'] for r in results):.2f} s median, cut {CUT_FOR:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve() if args.serve else bench(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
