"""The studio on a real X screen with the sessions library open, for the library's screenshot test.

With ``--record`` it first records three real sessions through its Live page on the built-in engine (Whisper),
from the shared recordings played by file-backed sources faster than real time: a conversation on
"Microphone + system audio" (named, with a speaker renamed, as a user would), a talk on the microphone and a
phone call on system audio. Then it shows Recorded sessions with the conversation open, plays it from a word
and pauses there (the word lit), and prints ``ready x y width height`` (the transcript's place in the window);
``quit`` on standard input closes it.

If the studio offers interrupted sessions at start-up, it prints ``offer`` once the offer is on screen and
waits for ``later`` on standard input (the test takes its screenshot meanwhile), then chooses Later.

With ``--crash`` it records a session on the microphone instead and SIGKILLs itself once a few of its words are
final and journaled: the interrupted session the next runs offer.

Run: python -m tests.qt.live.library_screenshot_child --theme light|dark --audio ../shared/audio
[--record | --crash] (STUDIO_HOME set; under a display)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QApplication, QWidget

from studio.app import Studio
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.qt.live.library.recovery import RecoveryDialog
from studio.qt.live.page import LivePage
from studio.services.live import SessionState, SourceChoice, SourceKind
from studio.storage.paths import default_paths
from studio.storage.sessions import sessions_folder
from studio.storage.sessions_journal import read_journal
from studio.storage.sessions_library import SessionLibrary
from tests.desktop.live_session import conversation
from tests.fakes.secrets import MemorySecretStore

WINDOW = (0, 0, 1280, 760)
LABELS = {"Me": "Headset microphone", "Them": "Monitor of Built-in Audio"}
TITLE = "Route planning with Dana"  # the session shown
CRASH_AFTER = 4  # finals journaled before the crash


def sessions(audio: Path, work: Path) -> list[dict[str, object]]:
    """What to record: the sources of each session, its speed, and what the user did afterwards."""
    me = conversation(work / "me.wav", [(0.3, audio / "audio_09_16kHz.wav")])
    them = conversation(work / "them.wav", [(4.2, audio / "audio_05_16kHz.wav")])
    return [
        {"kind": SourceKind.SYSTEM, "files": {"Them": audio / "audio_02_8kHz.wav"}, "speed": 2.5},
        {"kind": SourceKind.MIC, "files": {"Me": audio / "audio_06_16kHz.wav"}, "speed": 2.5},
        {"kind": SourceKind.BOTH, "files": {"Me": me, "Them": them}, "speed": 2.0,
         "title": TITLE, "rename": ("Them", "Dana")},
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--audio", type=Path, required=True)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--crash", action="store_true")
    args = parser.parse_args()
    paths = default_paths()
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"version": 1, "theme": args.theme}))
    app = QApplication(sys.argv[:1])
    studio = Studio(app, {}, paths, secrets=MemorySecretStore())  # no API key: the built-in engine
    window = studio.window
    window.setGeometry(*WINDOW)
    window.show()
    studio.start()
    page = window.show_workspace("live")
    assert isinstance(page, LivePage)
    commands: list[str] = []
    threading.Thread(target=lambda: commands.extend(line.strip() for line in sys.stdin), daemon=True).start()
    todo = sessions(args.audio, paths.cache) if args.record else []
    if args.crash:
        todo = [{"kind": SourceKind.MIC, "files": {"Me": args.audio / "audio_05_16kHz.wav"}, "speed": 2.0}]
    library = SessionLibrary(sessions_folder(paths))
    after_offer = "record" if todo else "open"
    state: dict[str, object] = {"step": "look", "quitting": False}

    def look_for_offer() -> None:
        """At start-up: the recovery offer, if the studio makes one (shown, then Later once the test says so)."""
        check = studio.recovery_check
        dialog = window.findChild(RecoveryDialog)
        if state["step"] == "look" and check is not None and check.done:
            if dialog is None:
                state["step"] = after_offer
            elif dialog.isVisible() and dialog.offers:
                state["step"] = "offered"
                QTimer.singleShot(600, lambda: print("offer", flush=True))
        elif state["step"] == "offered" and "later" in commands and dialog is not None:
            dialog.later_button.click()
            state["step"] = after_offer

    def crash_when_journaled() -> None:
        recorder = page.controller.recording.recorder
        if recorder is None or recorder.folder is None:
            return
        records, _torn = read_journal(recorder.folder / "journal.jsonl")
        if sum(1 for r in records if r.get("type") == "final") >= CRASH_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)  # as a crash would: nothing is closed or completed

    def start_next() -> None:
        plan = todo[0]
        clock = ScaledClock(float(plan["speed"]))  # type: ignore[arg-type]
        files: dict[str, Path] = plan["files"]  # type: ignore[assignment]
        page.controller.clock = clock
        page.controller.source_factory = lambda channel, _id: FileSource(files[channel], clock=clock,
                                                                          label=LABELS[channel])
        page.picker.set_choice(SourceChoice(plan["kind"]))  # type: ignore[arg-type]
        page.exported = True
        page.start()

    def recorded() -> None:
        plan = todo.pop(0)
        recorder = page.controller.recording.recorder
        assert recorder is not None
        if "title" in plan:
            library.set_title(recorder.session_id, str(plan["title"]))
        rename = plan.get("rename")
        if isinstance(rename, tuple):
            key, name = (str(part) for part in rename)
            library.rename_speaker(recorder.session_id, key, name)

    def say_ready(view: QWidget) -> None:
        """``ready x y width height``: where the transcript is in the window (the test looks for its words)."""
        at = view.mapTo(window, QPoint(0, 0))
        print(f"ready {at.x()} {at.y()} {view.width()} {view.height()}", flush=True)

    def step() -> None:
        if state["step"] in ("look", "offered"):
            look_for_offer()
        elif args.crash and state["step"] == "record" and page.controller.session is not None:
            crash_when_journaled()
        elif state["step"] == "record" and page.waveform is not None:
            session = page.controller.session
            if session is None or (not page.controller.active and page.detail.text().startswith("Saved")
                                   and state.get("stopping")):
                if session is not None:
                    state["stopping"] = False
                    recorded()
                if todo:
                    start_next()
                else:
                    state["step"] = "open"
            elif session.state is SessionState.RUNNING and not state.get("stopping") and \
                    session.audio_time() >= _length(todo[0]["files"]) + 1.0:  # type: ignore[arg-type]
                state["stopping"] = True
                page.controller.stop()
        elif state["step"] == "open":
            state["step"] = "opening"
            page.show_session(next(s.id for s in library.list() if s.title == TITLE))
        elif state["step"] == "opening":
            lib = page.library
            if lib is not None and lib.showing is not None and lib.reader.media.player.mediaStatus() in (
                    QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia):
                state["step"] = "playing"
                lib.reader.view.flush()
                lib.reader.playback.seek(19.4)  # Dana, mid-sentence
        elif state["step"] == "playing":
            lib = page.library
            assert lib is not None
            if lib.reader.media.position >= 20.2:
                lib.reader.media.pause()
                state["step"] = "shown"
                QTimer.singleShot(600, lambda: say_ready(lib.reader.view))
        if "quit" in commands and not state["quitting"]:
            state["quitting"] = True
            window.close()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(50)
    return app.exec()


def _length(files: dict[str, Path]) -> float:
    import wave

    longest = 0.0
    for path in files.values():
        with wave.open(str(path)) as wav:
            longest = max(longest, wav.getnframes() / wav.getframerate())
    return longest


Later = Callable[[], None]

if __name__ == "__main__":
    raise SystemExit(main())
