"""What the Live workspace's benchmarks share (not a benchmark itself): the studio with its Live page on
screen, a scripted Speechmatics-compatible server in a process of its own (``studio serve --script``), the
scripts it replays, and audio files for the file-backed sources.

The server is a separate process, as a real service is: its work never competes with the GUI thread for
the interpreter. The studio is the real one (``studio.app.Studio``), reaching that server as
"Speechmatics" through the SDKs' environment variables, with an in-memory keychain.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import QApplication

from studio.api.endpoints import ENV_API_KEY, ENV_RT_URL
from studio.app import Studio
from studio.qt.live.page import LivePage
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav

RATE = 16000


def word(content: str, start: float, end: float, speaker: str | None = None) -> dict[str, Any]:
    alternative: dict[str, Any] = {"content": content, "confidence": 0.95}
    if speaker:
        alternative["speaker"] = speaker
    return {"type": "word", "start_time": round(start, 3), "end_time": round(end, 3), "alternatives": [alternative]}


def transcript_message(kind: str, results: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    text = " ".join(r["alternatives"][0]["content"] for r in results)
    return {"message": kind, "results": results,
            "metadata": {"start_time": round(start, 3), "end_time": round(end, 3), "transcript": text}}


def partial_script(seconds: float, *, every: float = 0.5, words_per_final: int = 6, offset: float = 0.01,
                   speakers: tuple[str, ...] = ("S1", "S2")) -> list[dict[str, Any]]:
    """A session in which a new word ``w<k>`` appears as a partial every ``every`` seconds of audio and every
    ``words_per_final`` words become final; each entry is released once the audio reaches ``audio_ts``,
    just after a 20 ms frame boundary (``offset``), so the frame that produced it is known."""
    entries: list[dict[str, Any]] = []
    open_words: list[dict[str, Any]] = []
    turn = 0
    k = 0
    at = 0.5
    while at < seconds:
        start = at - every
        speaker = speakers[turn % len(speakers)] if speakers else None
        open_words.append(word(f"w{k}", start, start + every * 0.8, speaker))
        release = round(at + offset, 3)
        entries.append({"ts": release, "audio_ts": release,
                        "payload": transcript_message("AddPartialTranscript", list(open_words),
                                                      open_words[0]["start_time"], at)})
        if len(open_words) >= words_per_final:
            entries.append({"ts": release, "audio_ts": release,
                            "payload": transcript_message("AddTranscript", list(open_words),
                                                          open_words[0]["start_time"], at)})
            entries.append({"ts": release, "audio_ts": release,
                            "payload": transcript_message("AddPartialTranscript", [], at, at)})
            open_words = []
            turn += 1
        k += 1
        at += every
    return entries


def write_script(entries: list[dict[str, Any]], folder: Path) -> Path:
    path = folder / "script.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def tone(path: Path, seconds: float) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * t)  # a level that moves, for the meters and waveform
    return write_wav(path, (np.sin(2 * np.pi * 220 * t) * 6000 * envelope).astype("<i2"), RATE)


@contextmanager
def scripted_server(script: Path) -> Iterator[str]:
    """``studio serve --script`` in its own process; yields its realtime URL; stopped by its PID."""
    command = [str(Path(sys.executable).with_name("studio")), "serve", "--port", "0", "--script", str(script),
               "--api-key", SERVER_KEY]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            if line.strip().startswith("realtime:"):
                url = line.split(":", 1)[1].strip()
                break
        if not url:
            raise RuntimeError("studio serve did not start")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def studio_on(url: str | None, app: QApplication) -> Studio:
    """The studio (its window shown, its Live page built), on the scripted server at ``url`` or, with None,
    on the built-in engine."""
    home = tempfile.mkdtemp(prefix="studio-bench-live-")
    env = {ENV_API_KEY: SERVER_KEY, ENV_RT_URL: url} if url else {}
    studio = Studio(app, env, default_paths({"STUDIO_HOME": home}), secrets=MemorySecretStore())
    studio.window.resize(1280, 800)
    studio.window.show()
    studio.start()
    page = studio.window.show_workspace("live")
    wait_until(app, lambda: getattr(page, "waveform", None) is not None, 10)
    return studio


def application() -> QApplication:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    return app


def live_page(studio: Studio) -> LivePage:
    page = studio.window.page("live")
    assert isinstance(page, LivePage)
    return page


def wait_until(app: QApplication, condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition was not met in time")
        app.processEvents()
        time.sleep(0.001)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def describe(values_ms: list[float]) -> str:
    return (f"p50 {percentile(values_ms, 50):.1f} ms, p95 {percentile(values_ms, 95):.1f} ms, "
            f"p99 {percentile(values_ms, 99):.1f} ms, max {max(values_ms):.1f} ms, "
            f"mean {statistics.fmean(values_ms):.1f} ms over {len(values_ms)}")


def machine_load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.2f} (1 min), {five:.2f} (5 min)"
