"""The Voices workspace: time from pressing Play to the first audio frame handed to the output device.

Run (it needs the audio device of scripts/with-services.sh, or a real one):

    scripts/with-services.sh .venv/bin/python -m tests.bench.bench_voices [--presses 30]

The studio's real window (offscreen), its Voices page and its player on the default output device; Play is
clicked with QTest, and the clock stops in the device callback that hands out the clip's first frame
(``Player.first_frame_at``). Every press speaks a text not heard before (so the cache is not what is
measured), then playback is stopped and the next press follows.

1. Client-added: the studio talks to a server in another process (``--serve``) whose voice answers at once
   with a precomputed chunk, so what is measured is the studio's own share: the click, the request on the
   event loop, the HTTP round trip on loopback and the player (target <= 30 ms).
2. End to end on the built-in engine: the studio runs the built-in engine in-process as it does for a user
   (eSpeak NG behind the local server; warmed up first), so the synthesis is included (target <= 250 ms).
3. For reference: a replay from the cache (no request at all).

Each figure is split into Play -> first chunk in the clip, and first chunk -> first frame to the device.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

TEXTS = ("Press number {n}: the quick brown fox jumps over the lazy dog.",
         "Sentence {n} of the benchmark, spoken once and never again.")


# -- the immediate server (its own process) ----------------------------------------------------------------------

class ImmediateSynthesizer:
    """Answers every text at once with a precomputed tone: a server whose first byte costs nothing."""

    def __init__(self) -> None:
        t = np.arange(16000) / 16000
        self.pcm = (np.sin(2 * np.pi * 330 * t) * 9000).astype("<i2").tobytes()

    def voices(self) -> Sequence[str]:
        return ["sarah", "theo", "megan", "jack"]

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        for start in range(0, len(self.pcm), 3200):
            yield self.pcm[start:start + 3200]


async def serve() -> None:
    from studio.local.server import LocalServer, ServerConfig

    server = LocalServer(config=ServerConfig(require_auth=False), synthesizer=ImmediateSynthesizer())
    urls = await server.start()
    print(urls.tts, flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the benchmark is done
    finally:
        await server.stop()


# -- the studio side -----------------------------------------------------------------------------------------------

@dataclass
class Press:
    first_chunk_ms: float
    first_frame_ms: float

    @property
    def player_ms(self) -> float:
        return self.first_frame_ms - self.first_chunk_ms


def summary(name: str, presses: list[Press], target: float | None) -> str:
    def stats(values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return f"p50 {statistics.median(values):6.1f}  p95 {p95:6.1f}  max {max(values):6.1f}"

    total = [p.first_frame_ms for p in presses]
    lines = [f"{name} (n={len(presses)})",
             f"  Play -> first frame to the device  {stats(total)} ms"
             + (f"   target <= {target:.0f} ms: {'met' if statistics.median(total) <= target else 'NOT met'} (p50)"
                if target else ""),
             f"    Play -> first chunk in the clip  {stats([p.first_chunk_ms for p in presses])} ms",
             f"    first chunk -> device            {stats([p.player_ms for p in presses])} ms"]
    return "\n".join(lines)


def run_studio(home: Path, env: dict[str, str], settings: dict[str, object], presses: int,
               cache_replays: int = 0) -> tuple[list[Press], list[Press], float]:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from studio.app import Studio
    from studio.qt.voices.page import VoicesPage
    from studio.storage.paths import default_paths
    from tests.fakes.secrets import MemorySecretStore

    paths = default_paths({"STUDIO_HOME": str(home)})
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"version": 1, **settings}))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    studio = Studio(app, env, paths, secrets=MemorySecretStore())
    studio.window.show()
    studio.start()

    def spin_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the studio did not get there in time")
            app.processEvents()
            time.sleep(0.0005)

    page = studio.window.show_workspace("voices")
    assert isinstance(page, VoicesPage)
    player = page.controller.player

    def press(text: str) -> Press:
        page.text.set_text(text)
        app.processEvents()
        started = time.perf_counter()
        QTest.mouseClick(page.transport.play_button, Qt.MouseButton.LeftButton)
        clip = page.controller.clip
        assert clip is not None
        def handed() -> float | None:
            playback = player.playback
            return playback.first_frame_at if playback is not None and playback.buffer is clip.pcm else None

        spin_until(lambda: handed() is not None)
        first_frame = handed()
        assert first_frame is not None and clip.first_audio_at is not None
        result = Press((clip.first_audio_at - started) * 1000, (first_frame - started) * 1000)
        spin_until(lambda: not page.controller.busy)
        page.stop()
        spin_until(lambda: not player.active)
        deadline = time.monotonic() + 0.15  # a moment between presses, as a person leaves
        spin_until(lambda: time.monotonic() > deadline)
        return result

    warm_started = time.perf_counter()
    press("Warming up.")  # the engine's first connection (the built-in engine starts here) and the device
    warm_up = time.perf_counter() - warm_started
    fresh = [press(TEXTS[n % 2].format(n=n)) for n in range(presses)]
    replays = [press(TEXTS[n % 2].format(n=n)) for n in range(cache_replays)]
    assert all(page.controller.clip is not None and page.controller.clip.from_cache for _ in replays[-1:])
    studio.window.close()
    return fresh, replays, warm_up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="be the immediate server (started by the benchmark)")
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return 0

    import subprocess

    from studio.api.endpoints import ENV_API_KEY, ENV_TTS_URL

    print(f"Voices: Play -> first audio frame to the output device; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} (a shared machine: figures vary with what else runs)", flush=True)
    server = subprocess.Popen([sys.executable, "-m", "tests.bench.bench_voices", "--serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    try:
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as home:
            fresh, replays, _warm = run_studio(Path(home), {ENV_API_KEY: "bench-key", ENV_TTS_URL: url},
                                               {"engine": "speechmatics"}, args.presses, cache_replays=10)
        print(summary("1. client-added, a server whose first byte is immediate", fresh, 30.0), flush=True)
        print(summary("3. a replay from the cache (no request)", replays, None), flush=True)
    finally:
        server.stdin.close()
        server.wait(10)
    with tempfile.TemporaryDirectory() as home:
        fresh, _replays, warm = run_studio(Path(home), {}, {"engine": "local"}, args.presses)
    print(summary("2. end to end on the built-in engine (eSpeak NG, in-process)", fresh, 250.0), flush=True)
    print(f"   (the first Play after opening the page, engine start-up included: {warm:.2f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
