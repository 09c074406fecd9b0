"""The session's one resampler: a tone in is the same tone out at the new rate, in 20 ms blocks."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from studio.audio.resample import StreamResampler


def tone(rate: int, frequency: float, seconds: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (level * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def stream(resampler: StreamResampler, samples: np.ndarray, block: int) -> np.ndarray:
    pieces = [resampler.feed(samples[i:i + block]) for i in range(0, len(samples), block)]
    return np.concatenate([*pieces, resampler.flush()])


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize(("in_rate", "frequency"), [(48000, 1000.0), (44100, 440.0), (8000, 700.0)])
def test_a_tone_comes_out_as_the_same_tone_at_16_khz(in_rate: int, frequency: float) -> None:
    source = tone(in_rate, frequency, 2.0)
    out = stream(StreamResampler(in_rate, 16000), source, in_rate // 50)
    assert abs(len(out) - 32000) <= 2  # the same two seconds
    assert peak_frequency(out, 16000) == pytest.approx(frequency, abs=1.0)
    middle = out[1600:-1600]  # away from the edges' filter ramps
    rms = float(np.sqrt(np.mean(middle.astype(np.float64) ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    # Against the ideal sine at the new rate, sample by sample: timing and shape are kept.
    ideal = tone(16000, frequency, 2.0)[1600:-1600]
    assert float(np.max(np.abs(middle - ideal))) < 0.01


def test_content_above_the_new_nyquist_is_filtered_out_not_folded_back() -> None:
    out = stream(StreamResampler(48000, 16000), tone(48000, 11000.0, 1.0), 960)  # 11 kHz > 8 kHz
    assert float(np.sqrt(np.mean(out[1600:-1600] ** 2))) < 0.005  # an alias would be a loud 5 kHz tone


def test_a_click_keeps_its_place_in_time_and_blocks_match_one_shot_conversion() -> None:
    source = np.zeros(48000, np.float32)
    source[4800] = 1.0  # 0.1 s
    out = stream(StreamResampler(48000, 16000), source, 960)
    assert int(np.argmax(out)) == 1600
    whole = soxr.resample(source, 48000, 16000, quality="HQ")
    assert np.allclose(out[:len(whole)], whole, atol=1e-5)


def test_held_audio_is_small_and_given_back_by_flush() -> None:
    resampler = StreamResampler(48000, 16000)
    for _ in range(50):
        resampler.feed(np.ones(960, np.float32))
        assert resampler.held_seconds < 0.05
    resampler.flush()
    assert resampler.frames_out == 16000


def test_equal_rates_pass_blocks_through_untouched() -> None:
    resampler = StreamResampler(16000, 16000)
    block = tone(16000, 300.0, 0.02)
    assert resampler.passthrough
    assert np.array_equal(resampler.feed(block), block)
    assert len(resampler.flush()) == 0 and resampler.held_seconds == 0
