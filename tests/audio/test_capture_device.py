"""Recording through a real PortAudio device: PulseAudio's null sink, its monitor as the microphone."""

from __future__ import annotations

import subprocess
import threading
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.capture import AudioUnavailableError, Capture, list_input_devices


def read_wav(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    # The standard library's reader walks the RIFF chunks, so trailing metadata is not taken as audio.
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        frames = wav.readframes(wav.getnframes())
        samples = (np.frombuffer(frames, dtype="<i2") / 32768).astype(np.float32)
        return samples, wav.getframerate()


def best_alignment(recorded: npt.NDArray[np.float32],
                   reference: npt.NDArray[np.float32]) -> tuple[int, float]:
    """The lag at which ``reference`` best matches ``recorded``, and the correlation there."""
    n = len(recorded) + len(reference)
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(reference, size))
    xcorr = np.fft.irfft(spectrum, size)
    lags = np.concatenate((np.arange(0, len(recorded)), np.arange(-len(reference) + 1, 0)))
    values = np.concatenate((xcorr[: len(recorded)], xcorr[size - len(reference) + 1:]))
    lag = int(lags[int(np.argmax(values))])
    start_rec, start_ref = max(lag, 0), max(-lag, 0)
    length = min(len(recorded) - start_rec, len(reference) - start_ref)
    a = recorded[start_rec:start_rec + length]
    b = reference[start_ref:start_ref + length]
    return lag, float(np.corrcoef(a, b)[0, 1])


def test_alignment_finds_a_known_shift() -> None:
    rng = np.random.default_rng(1)
    reference = rng.standard_normal(4000).astype(np.float32)
    late = np.concatenate((np.zeros(250, np.float32), reference, np.zeros(100, np.float32)))
    lag, corr = best_alignment(late, reference)
    assert lag == 250 and corr == pytest.approx(1.0)
    early = reference[320:]
    lag, corr = best_alignment(early, reference)
    assert lag == -320 and corr == pytest.approx(1.0)


@pytest.mark.usefixtures("desktop")
def test_the_pulse_device_is_listed() -> None:
    names = [d.name for d in list_input_devices()]
    assert "pulse" in names


@pytest.mark.usefixtures("desktop")
def test_recording_matches_what_was_played_into_the_device(shared_audio: Path) -> None:
    source = shared_audio / "audio_03_16kHz.wav"
    reference, rate = read_wav(source)
    needed = len(reference) + rate  # the whole clip and a second more
    blocks: list[npt.NDArray[np.float32]] = []
    enough = threading.Event()

    def on_block(block: npt.NDArray[np.float32]) -> None:
        blocks.append(block)
        if sum(len(b) for b in blocks) >= needed:
            enough.set()

    with Capture("pulse", samplerate=rate, on_block=on_block) as capture:
        subprocess.run(["paplay", str(source)], check=True, timeout=30)
        assert enough.wait(10), "the device stopped delivering audio"
    recorded = np.concatenate(blocks)[:, 0]
    lag, correlation = best_alignment(recorded, reference)
    assert correlation > 0.95, f"correlation {correlation:.3f} at lag {lag}"
    assert abs(lag) < rate  # within a second of latency
    assert capture.ring.written == len(recorded)
    assert capture.overflows == 0


@pytest.mark.usefixtures("desktop")
def test_a_missing_device_is_a_clear_error() -> None:
    with pytest.raises(AudioUnavailableError, match="could not be opened"):
        Capture("no-such-device-anywhere").start()
