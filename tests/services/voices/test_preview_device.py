"""Previews played on the real audio device (PulseAudio's null sink) while they stream from the real server."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from studio.audio.capture import Capture
from studio.audio.playback import Player, PlayState
from studio.local.engine import make_synthesizer
from studio.local.espeak import EspeakSynthesizer
from studio.local.server import LocalServer
from studio.services.voices.clip import Clip, ClipState, PreviewRequest
from studio.services.voices.preview import PreviewService
from tests.audio.test_capture_device import best_alignment
from tests.audio.test_playback_device import Recorder, running_sink
from tests.services.voices.conftest import HeldSynthesizer
from tests.services.voices.test_preview import until

pytestmark = pytest.mark.usefixtures("desktop")


async def test_playback_starts_before_the_synthesis_ends(server: LocalServer, service: PreviewService) -> None:
    """The server holds every chunk after the first until the device has been handed the first frame; had the
    player waited for the whole clip, the server would have given up holding and said so."""
    held = HeldSynthesizer(hold=20)
    server.synthesizer = held
    loop = asyncio.get_running_loop()
    player = Player()
    seen_at_first_frame: list[tuple[bool, ClipState]] = []
    clip = Clip(PreviewRequest("Hello there", "theo", engine=server.urls.tts))

    def first_frame(_playback: object) -> None:  # the audio thread
        seen_at_first_frame.append((held.last_chunk_sent, clip.state))
        loop.call_soon_threadsafe(held.release.set)

    player.on_first_frame = first_frame
    try:
        player.play(clip.pcm)
        await service.fill(clip)
        assert not held.released_by_timeout, "the first frame reached the device only after the synthesis"
        assert seen_at_first_frame == [(False, ClipState.STREAMING)]
        await until(lambda: player.state is PlayState.FINISHED, 20)
        assert player.playback is not None and player.playback.cursor == clip.pcm.frames
    finally:
        player.close()


async def test_a_synthesized_voice_played_on_the_sink_is_heard_on_its_monitor(server: LocalServer,
                                                                              service: PreviewService) -> None:
    synthesizer = make_synthesizer()
    assert isinstance(synthesizer, EspeakSynthesizer), "eSpeak NG is part of the engine extra"
    server.synthesizer = synthesizer
    clip = Clip(PreviewRequest("The quick brown fox jumps over the lazy dog, twice.", "sarah",
                               engine=server.urls.tts))
    player = Player()
    recorder = Recorder(10**9)
    try:
        with running_sink(), Capture("pulse", samplerate=16000, on_block=recorder):
            assert await asyncio.to_thread(recorder.live)
            player.play(clip.pcm)
            await service.fill(clip)
            await until(lambda: player.state is PlayState.FINISHED, 30)
            more = recorder.more(16000)  # a second more after the end
            assert await asyncio.to_thread(more.wait, 20), "the monitor stopped delivering audio"
    finally:
        player.close()
    spoken = (clip.pcm.samples() / 32768).astype(np.float32)
    assert clip.duration > 2
    lag, correlation = best_alignment(recorder.recorded, spoken)
    assert correlation > 0.9, f"correlation {correlation:.3f} at lag {lag}"
