"""The studio running a live session in a real window, for the Live screenshot test: "Microphone + system
audio" on the built-in engine (Whisper), from two real recordings laid out as a conversation — "Me" asks
(audio_09), "Them" answers at length (audio_05) — played by file-backed sources at real-time pace, with
the caption overlay shown below the window.

It prints ``ready`` once the session has been running long enough for several turns of both channels to be
on screen, and stops the session and quits when a line ``quit`` arrives on its standard input.

Run: python -m tests.desktop.live_session --theme light|dark --audio ../shared/audio   (under a display)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.qt.live.page import LivePage
from studio.services.live import SessionState, SourceChoice, SourceKind
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore
from tests.helpers.media import pcm_of
from tests.helpers.wav import write_wav

WINDOW = (0, 0, 1280, 600)
OVERLAY = (140, 632, 1000, 0)  # height: what two lines of the overlay's text take


def conversation(path: Path, turns: list[tuple[float, Path]], rate: int = 16000) -> Path:
    """A WAV with each recording starting at its time (seconds), silence between."""
    pieces = [(at, pcm_of(recording)[0]) for at, recording in turns]
    samples = np.zeros(max(int(at * rate) + len(pcm) for at, pcm in pieces), dtype="<i2")
    for at, pcm in pieces:
        start = int(at * rate)
        samples[start:start + len(pcm)] = pcm
    return write_wav(path, samples, rate)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--audio", type=Path, required=True, help="the shared recordings' folder")
    parser.add_argument("--seconds", type=float, default=18.0, help="audio before 'ready'")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="studio-live-shot-"))
    me = conversation(home / "me.wav", [(0.3, args.audio / "audio_09_16kHz.wav")])
    them = conversation(home / "them.wav", [(4.2, args.audio / "audio_05_16kHz.wav")])
    paths = default_paths({"STUDIO_HOME": str(home)})
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"version": 1, "theme": args.theme, "live": {
        "source_kind": "both", "overlay_font_size": 30, "overlay_lines": 2, "overlay_opacity": 0.85}}))
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    studio = Studio(app, {}, paths, secrets=MemorySecretStore())  # no API key: the built-in engine
    window = studio.window
    window.setGeometry(*WINDOW)
    window.show()
    studio.start()
    page = window.show_workspace("live")
    assert isinstance(page, LivePage)
    page.picker.set_choice(SourceChoice(SourceKind.BOTH, f"file:{me}", f"file:{them}"))
    commands: list[str] = []
    threading.Thread(target=lambda: commands.extend(line.strip() for line in sys.stdin), daemon=True).start()
    state = {"started": False, "bookmarked": False, "ready": False, "quitting": False}

    def step() -> None:
        if not state["started"] and page.waveform is not None:
            state["started"] = True
            page.start()
            page.toggle_overlay()
            overlay = page.overlay
            assert overlay is not None
            overlay.setGeometry(OVERLAY[0], OVERLAY[1], OVERLAY[2], overlay.fitting_height())
        session = page.controller.session
        if session is None:
            return
        running = session.state is SessionState.RUNNING
        if running and not state["bookmarked"] and session.audio_time() >= args.seconds / 2:
            state["bookmarked"] = True
            page.controller.bookmark("Action item")
        # Best with words still settling at the live edge (partials), as a meeting looks mid-sentence.
        settling = any(t.partial for t in page.transcript.tracks.values())
        if running and not state["ready"] and session.audio_time() >= args.seconds + (0 if settling else 6):
            state["ready"] = True
            print("ready", flush=True)
        if "quit" in commands and not state["quitting"]:
            state["quitting"] = True
            page.controller.stop()
        if state["quitting"] and not page.controller.active:
            window.close()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(50)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
