"""The Live workspace on real devices: the PulseAudio set-up of scripts/with-services.sh gives a real
"microphone" (a null sink's remapped monitor) and real system audio (the default output's monitor). The source
picker lists them, the meters move with what is played into each before Start, and a session on the built-in
engine brings each recording back under "Me" and "Them", in the view and in the overlay."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.core.transcript import render
from studio.core.transcript.paragraphs import Paragraph
from studio.qt.live.page import LivePage
from studio.services.live import SessionState, SourceChoice, SourceKind
from tests.helpers.wer import word_error_rate, words
from tests.qt.conftest import StudioFactory

pytestmark = pytest.mark.usefixtures("desktop")

ME_SAYS = "Hello. Goodbye. Banana. Breakaway. Before. After."  # audio_08
THEY_SAY = "How are you getting on, buddy?"  # audio_09


def play(path: Path, sink: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["paplay", f"--device={sink}", str(path)])


def test_real_microphone_and_system_audio_in_the_live_workspace(qtbot: QtBot, make_studio: StudioFactory,
                                                                shared_audio: Path) -> None:
    mic_id = f"pulse:{os.environ['STUDIO_PULSE_MIC_SOURCE']}"
    system_id = f"pulse:{os.environ['STUDIO_PULSE_SYSTEM_SOURCE']}"
    studio = make_studio()  # no API key: the built-in engine
    window = studio.window
    window.show()
    qtbot.waitExposed(window)
    page = window.show_workspace("live")
    assert isinstance(page, LivePage)
    picker = page.picker
    picker.kind.setCurrentIndex(picker.kind.findData("both"))
    # The picker lists the real devices (read off the GUI thread) …
    qtbot.waitUntil(lambda: picker.microphone.findData(mic_id) >= 0 and picker.system.findData(system_id) >= 0,
                    timeout=20000)
    picker.microphone.setCurrentIndex(picker.microphone.findData(mic_id))
    picker.system.setCurrentIndex(picker.system.findData(system_id))
    assert picker.choice() == SourceChoice(SourceKind.BOTH, mic_id, system_id)
    # … and, before Start, the meters follow what each device hears.
    qtbot.waitUntil(lambda: page.devices.monitor is not None, timeout=20000)
    peaks = {"Me": -60.0, "Them": -60.0}

    def watch() -> bool:
        for channel, meter in picker.meters.items():
            peaks[channel] = max(peaks[channel], meter.db)
        return player.poll() is not None

    player = play(shared_audio / "audio_08_16kHz.wav", os.environ["STUDIO_PULSE_MIC_FEED"])
    qtbot.waitUntil(watch, timeout=30000)
    assert peaks["Me"] > -30 and peaks["Them"] < -40, peaks  # speech on the microphone only

    session = page.start()
    assert session is not None
    try:
        qtbot.waitUntil(lambda: session.state is SessionState.RUNNING and session.delivering("Me")
                        and session.delivering("Them"), timeout=60000)
        page.trigger("overlay")
        players = [play(shared_audio / "audio_08_16kHz.wav", os.environ["STUDIO_PULSE_MIC_FEED"]),
                   play(shared_audio / "audio_09_16kHz.wav", os.environ["STUDIO_PULSE_SINK"])]
        qtbot.waitUntil(lambda: all(p.poll() is not None for p in players), timeout=60000)
        played = session.audio_time()
        qtbot.waitUntil(lambda: session.audio_time() > played + 1.5, timeout=10000)
        page.trigger("start_stop")
        qtbot.waitUntil(lambda: not page.controller.active and page.start_button.text() == "Start", timeout=60000)
    finally:
        if page.controller.active:
            page.controller.stop()
            qtbot.waitUntil(lambda: not page.controller.active, timeout=60000)
    me = render(page.transcript.finals("Me"))
    them = render(page.transcript.finals("Them"))
    assert word_error_rate(ME_SAYS, me) <= 0.34, me
    assert word_error_rate(THEY_SAY, them) <= 0.34, them
    assert not set(words(me)) & set(words(THEY_SAY)) and not set(words(them)) & set(words(ME_SAYS))
    keys = {row.speaker for row in page.view.list.rows if isinstance(row, Paragraph)}
    assert keys == {"Me", "Them"}
    overlay = page.overlay
    assert overlay is not None and overlay.isVisible()
    overlay.set_style(overlay.style_.__class__(font_size=14, lines=6))
    overlay.resize(2000, overlay.fitting_height())
    assert "Me: " in overlay.caption_text() and "Them: " in overlay.caption_text()
    assert not (page.banner.message and page.banner.severity == "error"), page.banner.message
