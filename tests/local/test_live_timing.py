"""Live recognition does not depend on timing: where a decode window happens to end (which, with audio sent
faster than real time, follows the machine's load through the engine's CPU budget) does not change what
Whisper reads — the padding after a live window is silence in the audio, as Whisper was trained with."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from studio.local.espeak import EspeakSynthesizer
from studio.local.whisper_model import SAMPLE_RATE, WhisperRuntime
from studio.local.whisper_realtime import WhisperRecognizer
from tests.helpers.wer import word_error_rate

SENTENCE = "Please call me back tomorrow morning."
RAW = {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}


@pytest.fixture(scope="module")
def spoken() -> bytes:
    """The sentence the round-trip test speaks (eSpeak NG's "megan"), as 16 kHz PCM."""
    import asyncio

    async def speak() -> bytes:
        return b"".join([chunk async for chunk in EspeakSynthesizer().synthesize(SENTENCE, "megan")])

    return asyncio.run(speak())


def test_a_window_reads_the_same_wherever_it_ends(whisper_runtime: WhisperRuntime, spoken: bytes) -> None:
    audio = np.frombuffer(spoken, dtype="<i2").astype(np.float32) / 32768.0
    speech_end = len(audio) / SAMPLE_RATE
    heard = {}
    # An utterance is closed (and finally decoded) somewhere after its last word: at the end of the stream, or
    # after some silence — exactly where depends on how the audio arrived.
    for end in np.arange(speech_end - 0.02, speech_end + 0.6, 0.04):
        window = np.concatenate([audio, np.zeros(SAMPLE_RATE, np.float32)])[:int(end * SAMPLE_RATE)]
        words = whisper_runtime.decode_window(window, "en")
        heard[round(float(end), 2)] = "".join(w.text for w in words)
    assert all(word_error_rate(SENTENCE, text) <= 0.2 for text in heard.values()), heard


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
