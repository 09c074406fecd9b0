"""The voice previews' parts: the catalogue, clips, the cache's files, the history, saving, A/B comparison."""

from __future__ import annotations

import io
import json
import os
import wave
from pathlib import Path

import numpy as np
import pytest

from studio.api.errors import ProtocolError
from studio.audio.playback import PcmBuffer, Player, PlayState
from studio.core.settings import CompareMode
from studio.local.espeak import EspeakSynthesizer
from studio.services.voices.cache import PreviewCache
from studio.services.voices.catalogue import builtin_catalogue, catalogue, find, languages, speechmatics_catalogue
from studio.services.voices.clip import BUILTIN, Clip, ClipState, PreviewRequest, peaks
from studio.services.voices.compare import Comparison, matching_position
from studio.services.voices.export import SAVE_FORMATS, format_for_path, save_samples
from studio.services.voices.history import MAX_ENTRIES, History, HistoryEntry, history_file, write_history
from tests.audio.test_playback import blocks, silent_player


def tone(seconds: float, frequency: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (np.sin(2 * np.pi * frequency * t) * 9000).astype(np.int16)


# -- the catalogue ------------------------------------------------------------------------------------------

def test_speechmatics_has_its_four_english_voices() -> None:
    voices = speechmatics_catalogue()
    assert [(v.id, v.summary) for v in voices] == [
        ("sarah", "English (UK), female"), ("theo", "English (UK), male"),
        ("megan", "English (US), female"), ("jack", "English (US), male")]
    assert all(v.description for v in voices)
    assert catalogue(local=False) == voices


def test_the_built_in_engine_lists_what_its_server_speaks() -> None:
    voices = builtin_catalogue()
    server_side = list(EspeakSynthesizer().voices())
    assert [v.id for v in voices] == server_side  # the same names, in the same order
    assert [v.id for v in voices[:4]] == ["sarah", "theo", "megan", "jack"]
    french = find(voices, "fr-fr")
    assert french is not None and (french.language, french.accent) == ("French", "France")
    assert "eSpeak NG" in french.description and french.gender == ""
    assert "standing in for Speechmatics' Sarah" in voices[0].description
    counted = dict(languages(voices))
    assert counted["English"] >= 8 and counted["French"] >= 3
    assert languages(voices)[0][0] == "English"  # the most voices first


# -- clips --------------------------------------------------------------------------------------------------

def test_a_request_key_covers_text_voice_format_and_engine() -> None:
    base = PreviewRequest("Hello", "sarah", BUILTIN, "pcm_16000")
    variants = [PreviewRequest("Hello!", "sarah", BUILTIN, "pcm_16000"), PreviewRequest("Hello", "theo", BUILTIN),
                PreviewRequest("Hello", "sarah", "https://preview.tts.speechmatics.com", "pcm_16000"),
                PreviewRequest("Hello", "sarah", BUILTIN, "wav_16000")]
    assert len({base.key, *(v.key for v in variants)}) == 5
    assert PreviewRequest("Hello", "sarah", BUILTIN, "pcm_16000").key == base.key


def test_a_wav_body_loses_its_header_however_it_is_split() -> None:
    samples = tone(0.3)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(samples.tobytes())
    body = out.getvalue()
    clip = Clip(PreviewRequest("x", "sarah", output_format="wav_16000"))
    for start in range(0, len(body), 7):
        clip.feed(body[start:start + 7])
    clip.finish()
    assert clip.state is ClipState.COMPLETE and np.array_equal(clip.pcm.samples(), samples)


def test_a_wav_at_another_rate_or_a_body_without_audio_fails() -> None:
    clip = Clip(PreviewRequest("x", "sarah", output_format="wav_16000"))
    header = bytearray(b"RIFF" + bytes(4) + b"WAVEfmt " + (16).to_bytes(4, "little") + (1).to_bytes(2, "little")
                       + (1).to_bytes(2, "little") + (22050).to_bytes(4, "little") + bytes(6)
                       + (16).to_bytes(2, "little") + b"data" + bytes(4))
    with pytest.raises(ProtocolError, match="22050 Hz"):
        clip.feed(bytes(header))
    empty = Clip(PreviewRequest("x", "sarah", output_format="wav_16000"))
    empty.finish()
    assert empty.state is ClipState.FAILED and isinstance(empty.error, ProtocolError)


def test_peaks_are_the_loudest_sample_of_each_bucket() -> None:
    samples = np.array([0, 100, -16384, 5, 32767, 0, 1], dtype=np.int16)
    assert peaks(samples, 3).tolist() == pytest.approx([0.5, 32767 / 32768])
    assert len(peaks(samples[:2], 3)) == 0


# -- the cache's files --------------------------------------------------------------------------------------

def test_cache_entries_are_wavs_with_what_they_hold(tmp_path: Path) -> None:
    cache = PreviewCache(tmp_path)
    request = PreviewRequest("Hello", "sarah")
    cache.put(request, tone(0.5))
    wav_path = tmp_path / f"{request.key}.wav"
    with wave.open(str(wav_path)) as wav:
        assert (wav.getframerate(), wav.getnframes()) == (16000, 8000)
    about = json.loads(wav_path.with_suffix(".json").read_text())
    assert (about["text"], about["voice"], about["engine"]) == ("Hello", "sarah", BUILTIN)
    got = cache.get(request)
    assert got is not None and np.array_equal(got, tone(0.5))
    assert cache.stats().clips == 1 and "1 clip," in cache.stats().text
    wav_path.write_bytes(b"RIFF garbage")  # damaged: a miss, not an error
    assert cache.get(request) is None
    assert PreviewCache(tmp_path / "never-made").stats().text == "empty"


def test_a_use_keeps_a_clip_longer(tmp_path: Path) -> None:
    clip_bytes = 44 + 2 * 8000
    cache = PreviewCache(tmp_path, max_bytes=2 * clip_bytes)
    first, second, third = (PreviewRequest(f"text {i}", "sarah") for i in range(3))
    cache.put(first, tone(0.5))
    cache.put(second, tone(0.5))
    os.utime(tmp_path / f"{first.key}.wav", (1, 1))
    os.utime(tmp_path / f"{second.key}.wav", (2, 2))
    assert cache.get(first) is not None  # used now: newer than the second
    cache.put(third, tone(0.5))
    assert cache.get(second) is None and cache.get(first) is not None and cache.get(third) is not None
    assert not (tmp_path / f"{second.key}.json").exists()


# -- history ------------------------------------------------------------------------------------------------

def test_history_keeps_the_newest_first_and_each_preview_once(tmp_path: Path) -> None:
    history = History(history_file(tmp_path))
    heard: list[int] = []
    history.changed.subscribe(lambda h: heard.append(len(h)))
    for i in range(MAX_ENTRIES + 5):
        history.add(HistoryEntry.of(PreviewRequest(f"text {i % 60}", "sarah"), 1.0, at=i))
    assert len(history) == MAX_ENTRIES and history.entries[0].text == f"text {MAX_ENTRIES + 4}"
    history.add(HistoryEntry.of(PreviewRequest("text 10", "sarah"), 1.0))
    assert history.entries[0].text == "text 10" and len(history) == MAX_ENTRIES
    history.add(HistoryEntry.of(PreviewRequest("text 10", "theo"), 1.0))
    assert history.recent_texts(3) == ["text 10", f"text {MAX_ENTRIES + 4}", f"text {MAX_ENTRIES + 3}"]
    assert heard[-1] == MAX_ENTRIES
    write_history(history_file(tmp_path), history.snapshot())
    again = History.load(history_file(tmp_path))
    assert again.entries == history.entries


def test_a_damaged_history_starts_afresh(tmp_path: Path) -> None:
    path = history_file(tmp_path)
    path.write_text("{not json")
    assert len(History.load(path)) == 0
    path.write_text(json.dumps({"entries": [{"text": "ok", "voice": "sarah", "engine": BUILTIN},
                                            {"text": "", "voice": "sarah", "engine": BUILTIN}, "junk",
                                            {"text": "x", "voice": "sarah", "engine": BUILTIN,
                                             "output_format": "mp3"}]}))
    assert [e.text for e in History.load(path).entries] == ["ok"]
    assert len(History.load(tmp_path / "none.json")) == 0


# -- saving -------------------------------------------------------------------------------------------------

def test_save_in_every_format_the_api_offers(tmp_path: Path) -> None:
    assert [f.id for f in SAVE_FORMATS] == ["wav_16000", "pcm_16000"]
    samples = tone(1.25)
    wav_path = save_samples(samples, tmp_path / "hello.wav")
    with wave.open(str(wav_path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        assert wav.getnframes() == len(samples)
        assert np.array_equal(np.frombuffer(wav.readframes(wav.getnframes()), "<i2"), samples)
    pcm_path = save_samples(samples, tmp_path / "hello.pcm")
    assert pcm_path.read_bytes() == samples.astype("<i2").tobytes()
    assert format_for_path(Path("a.RAW")) == "pcm_16000" and format_for_path(Path("a.wave")) == "wav_16000"
    with pytest.raises(FileNotFoundError):
        save_samples(samples, Path("/proc/no/x.wav"))  # nothing can be made there


# -- A/B ----------------------------------------------------------------------------------------------------

def complete_clip(voice: str, seconds: float, frequency: float) -> Clip:
    clip = Clip(PreviewRequest("Same text", voice))
    clip.load(tone(seconds, frequency))
    return clip


def drive(player: Player, seconds: float) -> None:
    blocks(player, 160, int(seconds * 100))


def test_sequence_plays_each_voice_after_the_other_with_a_pause() -> None:
    now = [0.0]
    player = silent_player()
    a, b = complete_clip("sarah", 0.2, 330), complete_clip("theo", 0.3, 196)
    comparison = Comparison([a, b], player, clock=lambda: now[0])
    comparison.start()
    drive(player, 0.25)
    assert player.playback is not None and player.playback.buffer is a.pcm
    assert player.state is PlayState.FINISHED and not comparison.finished
    comparison.tick()
    now[0] += 0.2
    comparison.tick()
    assert comparison.current == 0  # still the pause between voices
    now[0] += 0.3
    comparison.tick()
    assert comparison.current == 1 and player.playback.buffer is b.pcm
    drive(player, 0.35)
    comparison.tick()
    assert comparison.finished and comparison.played == [0, 1]


def test_toggle_switches_voice_at_the_same_point_of_the_text() -> None:
    player = silent_player()
    a, b = complete_clip("sarah", 2.0, 330), complete_clip("theo", 3.0, 196)
    comparison = Comparison([a, b], player, mode=CompareMode.TOGGLE)
    comparison.start()
    drive(player, 1.0)
    heard_a = player.position
    comparison.switch(1)
    assert player.playback is not None and player.playback.buffer is b.pcm
    assert player.playback.start / 16000 == pytest.approx(heard_a * 1.5, abs=0.01)  # 50 % into each
    comparison.tick()
    assert comparison.current == 1  # toggling never moves on by itself
    comparison.switch(0)
    assert player.playback.buffer is a.pcm
    with pytest.raises(IndexError):
        comparison.switch(5)
    with pytest.raises(ValueError, match="two voices"):
        Comparison([a], player)


def test_a_clip_still_arriving_is_matched_by_seconds() -> None:
    a = complete_clip("sarah", 2.0, 330)
    arriving = Clip(PreviewRequest("Same text", "theo"))
    arriving.pcm = PcmBuffer()
    arriving.pcm.extend(tone(0.5))
    assert matching_position(1.0, a, arriving) == pytest.approx(0.5)
    assert matching_position(0.25, a, arriving) == pytest.approx(0.25)
