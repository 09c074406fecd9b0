"""The Live views' Qt-free parts: the waveform's envelope, the speech regions and the overlay's caption feed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from studio.audio.ring import AudioRing
from studio.core.transcript import Transcript
from studio.qt.live.captions import CaptionFeed
from studio.qt.live.envelope import Envelope
from studio.qt.live.regions import SpeechRegions


def words(text: str, start: float, *, step: float = 0.5, speaker: str | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, word in enumerate(text.split()):
        mark = word[-1] if word[-1] in ".,?" else ""
        alternative: dict[str, Any] = {"content": word.rstrip(".,?"), "confidence": 0.9}
        if speaker:
            alternative["speaker"] = speaker
        at = start + i * step
        out.append({"type": "word", "start_time": at, "end_time": at + step * 0.8, "alternatives": [alternative]})
        if mark:
            out.append({"type": "punctuation", "start_time": at + step * 0.8, "end_time": at + step * 0.8,
                        "attaches_to": "previous", "alternatives": [{"content": mark, "confidence": 1.0}]})
    return out


def message(kind: str, results: list[dict[str, Any]], channel: str | None = None) -> dict[str, Any]:
    end = max((r["end_time"] for r in results), default=0.0)
    data: dict[str, Any] = {"message": kind, "results": results, "metadata": {"start_time": 0.0, "end_time": end}}
    if channel is not None:
        data["channel"] = channel
    return data


# -- the envelope --------------------------------------------------------------------------------------------
def test_envelope_reads_only_new_frames_into_min_max_bins() -> None:
    ring = AudioRing(16000)
    envelope = Envelope(16000, bin_seconds=0.01)  # 160 frames a bin
    ring.write(np.full(100, 0.5, dtype=np.float32))
    assert envelope.update(ring) == 0  # not a whole bin yet: kept for the next call
    ring.write(np.concatenate((np.full(60, -0.25, dtype=np.float32), np.zeros(160, dtype=np.float32))))
    assert envelope.update(ring) == 2
    times, lows, highs = envelope.window(0.0, 1.0, 100)
    assert times.tolist() == pytest.approx([0.0, 0.01])
    assert lows.tolist() == pytest.approx([-0.25, 0.0]) and highs.tolist() == pytest.approx([0.5, 0.0])
    assert envelope.end_time == pytest.approx(0.02)


def test_envelope_window_merges_bins_into_columns_on_a_fixed_grid() -> None:
    ring = AudioRing(16000 * 4)
    envelope = Envelope(16000, bin_seconds=0.01)
    signal = np.sin(np.linspace(0, 200 * np.pi, 16000 * 2)).astype(np.float32) * np.linspace(0, 1, 32000)
    ring.write(signal)
    envelope.update(ring)
    times, lows, highs = envelope.window(0.0, 2.0, 20)  # 200 bins into 20 columns of 10
    assert len(times) == 20 and times[1] - times[0] == pytest.approx(0.1)
    assert highs[-1] > highs[0] and np.all(lows <= highs)
    later, *_ = envelope.window(0.05, 2.0, 20)  # a window starting mid-column keeps the same columns
    assert later[0] == pytest.approx(0.0)


def test_envelope_columns_kept_between_frames_equal_columns_made_afresh() -> None:
    rng = np.random.default_rng(7)
    ring = AudioRing(16000 * 5)
    envelope = Envelope(16000, bin_seconds=0.005)
    audio = rng.uniform(-1, 1, 16000 * 8).astype(np.float32) * np.linspace(0.1, 1, 16000 * 8, dtype=np.float32)
    for block in range(0, audio.size, 320 * 3):  # three 20 ms blocks a frame, as at 60 fps
        ring.write(audio[block:block + 960])
        envelope.update(ring)
        now = envelope.end_time
        times, lows, highs = envelope.window(now - 2.5, now, 100)
        # The same columns from the samples themselves: bins of 80 frames, 5 bins a column (500 bins / 100).
        step = 5
        for t, low, high in zip(times[:-1], lows[:-1], highs[:-1], strict=True):
            first = round(t / 0.005) * 80
            chunk = audio[first:first + 80 * step]
            assert low == chunk.min() and high == chunk.max()


def test_envelope_survives_falling_behind_the_ring() -> None:
    ring = AudioRing(1600)
    envelope = Envelope(16000, bin_seconds=0.01)
    for _ in range(50):  # ten times the ring, in 20 ms blocks: most of it was overwritten before it was read
        ring.write(np.ones(320, dtype=np.float32))
    envelope.update(ring)
    assert envelope.end_time == pytest.approx(1.0)  # time is kept, what was lost reads as silence
    _times, _lows, highs = envelope.window(0.0, 1.0, 1000)
    assert highs[0] == 0.0 and highs[-1] == pytest.approx(1.0)


# -- speech regions ------------------------------------------------------------------------------------------
def test_regions_follow_finals_and_partials_per_channel() -> None:
    transcript = Transcript()
    regions = SpeechRegions(transcript, join=0.4)
    transcript.apply(message("AddTranscript", words("hello there", 1.0), "Me"))
    transcript.apply(message("AddTranscript", words("far away", 5.0), "Me"))
    transcript.apply(message("AddPartialTranscript", words("and you", 2.0), "Them"))
    assert np.allclose(regions.finals("Me"), [(1.0, 1.9), (5.0, 5.9)])
    assert np.allclose(regions.finals("Me", 4.0, 10.0), [(5.0, 5.9)])
    assert np.allclose(regions.partial("Them") or (), (2.0, 2.9))
    version = regions.version
    transcript.apply(message("AddPartialTranscript", [], "Them"))
    assert regions.partial("Them") is None and regions.version > version
    transcript.clear()
    assert regions.finals("Me") == []


# -- the caption feed ----------------------------------------------------------------------------------------
def test_caption_feed_keeps_turns_with_names_and_the_open_partial() -> None:
    transcript = Transcript()
    feed = CaptionFeed(transcript)
    transcript.apply(message("AddTranscript", words("Good morning.", 0.0), "Me"))
    transcript.apply(message("AddTranscript", words("Hi, can you hear me?", 1.0), "Them"))
    transcript.apply(message("AddPartialTranscript", words("yes loud", 4.0), "Me"))
    runs = feed.runs()
    assert [(r.name, r.final, r.partial) for r in runs] == [
        ("Me", "Good morning.", ""), ("Them", "Hi, can you hear me?", ""), ("Me", "", "yes loud")]
    assert runs[0].colour != runs[1].colour and all(r.show_name for r in runs)
    assert [r.final for r in feed.runs(partials=False)] == ["Good morning.", "Hi, can you hear me?"]
    transcript.speakers.rename("Them", "Alice")
    assert feed.runs()[1].name == "Alice"
    transcript.apply(message("AddTranscript", words("yes loud", 4.0), "Me"))
    transcript.apply(message("AddPartialTranscript", words("and clear", 5.0), "Me"))
    assert [(r.name, r.final, r.partial) for r in feed.runs()][-1] == ("Me", "yes loud", "and clear")


def test_caption_feed_hides_names_when_there_is_no_one_to_tell_apart() -> None:
    transcript = Transcript()
    feed = CaptionFeed(transcript)
    transcript.apply(message("AddTranscript", words("just me talking", 0.0)))
    [run] = feed.runs()
    assert run.final == "just me talking" and not run.show_name
    transcript.speakers.rename("UU", "Sam")
    assert feed.runs()[0].show_name and feed.runs()[0].name == "Sam"
