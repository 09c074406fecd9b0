"""Live recognition does not depend on timing: where a decode window happens to end (which, with audio sent
faster than real time, follows the machine's load through the engine's CPU budget) does not change what
Whisper reads — the padding after a live window is silence in the audio, as Whisper was trained with — and
neither does how the audio arrives."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.local.whisper_model import SAMPLE_RATE, WhisperRuntime
from studio.local.whisper_realtime import WhisperRecognizer
from tests.conftest import REPO
from tests.helpers.wav import read_wav
from tests.helpers.wer import word_error_rate

SENTENCE = "Please call me back tomorrow morning."
RAW = {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
#: audio_06 as the engine's batch mode reads it
AUDIO_06 = ("I'm just going to read some notes to you and as I think of things, if you could take a note and note of "
            "them and then... Once I'm done at the end I will say so and then maybe maybe you can summarise the the "
            "things for me")


SPEAK = """
import asyncio, sys
from studio.local.espeak import EspeakSynthesizer
async def speak():
    return b"".join([chunk async for chunk in EspeakSynthesizer().synthesize(sys.argv[1], "megan")])
sys.stdout.buffer.write(asyncio.run(speak()))
"""


@pytest.fixture(scope="module")
def spoken() -> bytes:
    """The sentence the round-trip test speaks (eSpeak NG's "megan"), as 16 kHz PCM — in a process of its own:
    eSpeak's breath noise and pitch flutter carry on from one text to the next within a process, so what it says
    here would otherwise depend on what the tests before had it say (and where a listener that left stopped it)."""
    done = subprocess.run([sys.executable, "-c", SPEAK, SENTENCE], cwd=REPO, capture_output=True, timeout=120,
                          check=True)
    assert len(done.stdout) > 32000, done.stderr
    return done.stdout


@pytest.mark.parametrize(("name", "said", "speech_ends"), [
    ("audio_09_16kHz.wav", "How are you getting on, buddy?", 1.70),
    ("audio_03_16kHz.wav", "Hello, this is a test.", 1.46),
])
def test_a_window_reads_the_same_wherever_it_ends(whisper_runtime: WhisperRuntime, shared_audio: Path, name: str,
                                                  said: str, speech_ends: float) -> None:
    """Real speech, decoded in windows that end anywhere from just before the end of its last word to 0.6 s
    after it. (Not eSpeak's speech: Whisper tiny.en misreads some of its renditions of "tomorrow morning" as
    "to my room running" in the live windows — the same way wherever they end, but wrongly.)"""
    pcm, rate = read_wav(shared_audio / name)
    assert rate == SAMPLE_RATE
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    heard = {}
    # An utterance is closed (and finally decoded) somewhere after its last word: at the end of the stream, or
    # after some silence — exactly where depends on how the audio arrived.
    for end in np.arange(speech_ends - 0.04, speech_ends + 0.6, 0.04):
        words = whisper_runtime.decode_window(audio[:int(end * SAMPLE_RATE)], "en")
        heard[round(float(end), 2)] = "".join(w.text for w in words)
    assert all(word_error_rate(said, text) <= 0.2 for text in heard.values()), heard


@pytest.fixture
def unrested(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine so loaded that the CPU budget never lets a partial decode run (the clock never advances)."""
    monkeypatch.setattr("studio.local.whisper_realtime.time.perf_counter", lambda: 0.0)
    yield
    monkeypatch.setattr("studio.local.whisper_realtime.time.perf_counter", time.perf_counter)


async def _finals(runtime: WhisperRuntime, pcm: bytes, chunk: int) -> str:
    session = WhisperRecognizer(runtime).open({"language": "en", "enable_partials": True}, RAW, None, None)
    out: list[dict[str, Any]] = []
    for offset in range(0, len(pcm), chunk):
        out += await session.feed(pcm[offset:offset + chunk], 0.0)
    out += await session.finish()
    return " ".join(r["alternatives"][0]["content"] for m in out if m["message"] == "AddTranscript"
                    for r in m["results"] if r["type"] == "word")


@pytest.mark.parametrize("chunk", [640, 3200, 32000, 10**7])  # how much audio each feed carries
async def test_finals_do_not_depend_on_how_the_audio_arrives(whisper_runtime: WhisperRuntime, spoken: bytes,
                                                             chunk: int) -> None:
    text = await _finals(whisper_runtime, spoken, chunk)
    assert word_error_rate(SENTENCE, text) <= 0.2, text


@pytest.mark.usefixtures("unrested")
async def test_finals_on_a_loaded_machine(whisper_runtime: WhisperRuntime, spoken: bytes) -> None:
    text = await _finals(whisper_runtime, spoken, 3200)
    assert word_error_rate(SENTENCE, text) <= 0.2, text


class SlowMachine:
    """A simulated clock for the session's CPU budget: audio arrives on it at ``pace`` times real time, and every
    decode takes ``decode_seconds`` of it, whatever the real machine's load. Audio that arrived while the engine
    was busy is handed over in one go, as the server does (``studio.local.realtime``)."""

    def __init__(self, runtime: WhisperRuntime, monkeypatch: pytest.MonkeyPatch, *, pace: float,
                 decode_seconds: float) -> None:
        self.now = 0.0
        self.pace = pace
        self.decode_seconds = decode_seconds
        self.decodes = 0
        decode = runtime.decode_window

        def slow_decode(*args: Any, **kwargs: Any) -> Any:
            words = decode(*args, **kwargs)
            self.now += decode_seconds
            self.decodes += 1
            return words

        monkeypatch.setattr(runtime, "decode_window", slow_decode)
        monkeypatch.setattr("studio.local.whisper_realtime.time.perf_counter", lambda: self.now)

    async def run(self, runtime: WhisperRuntime, pcm: bytes, frame: int = 3200
                  ) -> tuple[list[tuple[float, dict[str, Any]]], float, int]:
        """Streams ``pcm`` in ``frame``-byte frames; returns (clock time, message) pairs, the time at which the
        last frame arrived, and how many feeds the session got."""
        session = WhisperRecognizer(runtime).open({"language": "en", "enable_partials": True}, RAW, None, None)
        arrivals = [index * frame / 2 / SAMPLE_RATE / self.pace for index in range(-(-len(pcm) // frame))]
        out: list[tuple[float, dict[str, Any]]] = []
        feeds = 0
        sent = 0
        while sent < len(arrivals):
            self.now = max(self.now, arrivals[sent])
            ready = sent
            while ready < len(arrivals) and arrivals[ready] <= self.now:
                ready += 1
            payloads = await session.feed(pcm[sent * frame:ready * frame], 0.0)
            feeds += 1
            sent = ready
            out += [(self.now, payload) for payload in payloads]
        out += [(self.now, payload) for payload in await session.finish()]
        return out, arrivals[-1], feeds


async def test_a_continuous_talker_does_not_make_finals_fall_behind(whisper_runtime: WhisperRuntime,
                                                                     shared_audio: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """36 s of conversation at three times real time on a machine where each decode takes half a second of a
    simulated clock (so the test does not depend on the real machine's load): stale partials are skipped,
    finals keep up — each comes soon after its words were sent, no later at the end than early on — and the
    words are all there."""
    pcm, rate = read_wav(shared_audio / "audio_06_16kHz.wav")
    assert rate == SAMPLE_RATE
    machine = SlowMachine(whisper_runtime, monkeypatch, pace=3.0, decode_seconds=0.5)
    out, last_arrival, feeds = await machine.run(whisper_runtime, pcm)
    finals = [(at, m) for at, m in out if m["message"] == "AddTranscript" and m["results"]]
    partials = [m for _, m in out if m["message"] == "AddPartialTranscript" and m["results"]]
    assert len(finals) >= 5 and len(partials) >= 5
    # Partials skipped to keep within the CPU budget (60 % of the time for partials, plus each utterance's
    # closing decode): without it, decoding would take all of the (simulated) time.
    assert machine.decodes * machine.decode_seconds <= 0.75 * finals[-1][0] and machine.decodes < feeds
    lags = [at - m["results"][-1]["end_time"] / machine.pace for at, m in finals]
    assert max(lags) < 4.0, lags
    third = max(1, len(lags) // 3)
    assert max(lags[-third:]) <= max(lags[:third]) + 1.5, lags
    assert finals[-1][0] - last_arrival < 4.0  # what was left to decode at the end took little time
    heard = " ".join(r["alternatives"][0]["content"] for _, m in finals for r in m["results"] if r["type"] == "word")
    assert word_error_rate(AUDIO_06, heard) <= 0.25, heard
