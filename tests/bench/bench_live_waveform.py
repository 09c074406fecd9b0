"""The Live workspace's waveform pane at display rate: CPU of the GUI thread while it scrolls two lanes.

Two rings are written like the capture thread writes them (20 ms blocks of 16 kHz audio, a real recording
from ../shared/audio on "Me" and another on "Them"), speech shading follows a transcript that grows as the
audio plays, and the pane (1000×160 px, 10 s shown) is drawn by its own 60 fps timer. The figure is the GUI
thread's CPU time over the run divided by the wall time (``time.thread_time``): everything the pane costs —
reading the rings, the envelope, pyqtgraph's repaint — and nothing the writer thread costs.

Run: .venv/bin/python -m tests.bench.bench_live_waveform [--seconds 20] [--fps 60]
     (offscreen by default; QT_QPA_PLATFORM=xcb with DISPLAY to measure on a real or virtual screen)
Target: < 15 % of one core at 60 fps.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.audio.decode import StreamFormat, decode_all
from studio.audio.ring import AudioRing
from studio.core.transcript import Transcript
from studio.qt.live.regions import SpeechRegions
from studio.qt.live.waveform import Lane, WaveformPane
from studio.qt.theme import LIGHT

AUDIO = Path(__file__).resolve().parents[2].parent / "shared" / "audio"
RATE = 16000
BLOCK = RATE // 50


def recording(name: str) -> np.ndarray:
    pcm = decode_all(AUDIO / name, StreamFormat(RATE, "pcm_f32le"))
    return np.frombuffer(pcm, dtype="<f4").copy()


def writer(rings: list[AudioRing], sources: list[np.ndarray], stop: threading.Event) -> None:
    """Writes a 20 ms block to each ring every 20 ms, as PortAudio's callback would."""
    position = 0
    began = time.perf_counter()
    while not stop.is_set():
        for ring, audio in zip(rings, sources, strict=True):
            at = position % (audio.size - BLOCK)
            ring.write(audio[at:at + BLOCK])
        position += BLOCK
        delay = began + position / RATE - time.perf_counter()
        if delay > 0:
            stop.wait(delay)


def words(transcript: Transcript, channel: str, start: float, count: int) -> None:
    results = [{"type": "word", "start_time": start + i * 0.4, "end_time": start + i * 0.4 + 0.3,
                "alternatives": [{"content": "word", "confidence": 0.9}]} for i in range(count)]
    transcript.apply({"message": "AddTranscript", "channel": channel, "results": results,
                      "metadata": {"start_time": start, "end_time": start + count * 0.4}})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=float, default=60.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    rings = [AudioRing(RATE * 30), AudioRing(RATE * 30)]
    sources = [recording("audio_06_16kHz.wav"), recording("audio_05_16kHz.wav")]
    transcript = Transcript()
    regions = SpeechRegions(transcript)
    pane = WaveformPane(lambda: LIGHT, seconds=10.0, fps=args.fps)
    pane.set_lanes([Lane("Me", rings[0], RATE, "Me"), Lane("Them", rings[1], RATE, "Them")])
    pane.set_regions(regions)
    pane.resize(1000, 160)
    pane.show()
    stop = threading.Event()
    thread = threading.Thread(target=writer, args=(rings, sources, stop), daemon=True)
    thread.start()

    clock = {"next": 0.0}

    def grow() -> None:  # a final every second on one lane or the other, as a meeting would give
        now = rings[0].written / RATE
        while clock["next"] + 1.0 < now:
            words(transcript, "Me" if int(clock["next"]) % 4 < 2 else "Them", clock["next"], 2)
            clock["next"] += 1.0

    growth = QTimer()
    growth.timeout.connect(grow)
    growth.start(250)
    warmup_end = time.perf_counter() + 1.0
    while time.perf_counter() < warmup_end:
        app.processEvents()
    frames0 = pane.frames
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    stop.set()
    thread.join()
    frames = pane.frames - frames0
    print(f"platform: {os.environ['QT_QPA_PLATFORM']}, pane 1000x160, 2 lanes, 10 s shown, {args.seconds:.0f} s run")
    print(f"frames drawn: {frames} ({frames / wall:.1f} fps, timer at {args.fps:.0f})")
    print(f"GUI thread CPU: {cpu / wall * 100:.1f} % of one core ({cpu * 1000 / max(frames, 1):.2f} ms a frame) "
          "(target < 15 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
