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
