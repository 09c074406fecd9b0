"""The scripted recognizer and the tone synthesizer: deterministic, and showing every realtime behaviour."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from studio.local.engines import EngineRejection
from studio.local.scripted import (
    ScriptedRecognizer,
    ScriptEntry,
    ToneSynthesizer,
    load_script,
    media_duration,
    synthetic_script,
)

TWO_MINUTES = list(itertools.takewhile(lambda e: e.audio_ts < 120, synthetic_script(end_of_utterance=0.5)))


def test_entries_are_in_audio_time_order() -> None:
    times = [e.audio_ts for e in TWO_MINUTES]
    assert times == sorted(times)
    assert all(e.ts == e.audio_ts for e in TWO_MINUTES)


def test_every_final_is_followed_by_a_partial() -> None:
    kinds = [e.payload["message"] for e in TWO_MINUTES]
    finals = [i for i, kind in enumerate(kinds) if kind == "AddTranscript"]
    assert len(finals) > 20
    assert all(kinds[i + 1] == "AddPartialTranscript" for i in finals if i + 1 < len(kinds))


def test_empty_finals_advance_time_and_utterances_end() -> None:
    finals = [e.payload for e in TWO_MINUTES if e.payload["message"] == "AddTranscript"]
    empty = [f for f in finals if not f["results"]]
    assert empty and all(f["metadata"]["transcript"] == "" for f in empty)
    assert any(e.payload["message"] == "EndOfUtterance" for e in TWO_MINUTES)


def test_punctuation_attaches_to_the_previous_word() -> None:
    final = next(e.payload for e in TWO_MINUTES if e.payload["message"] == "AddTranscript" and e.payload["results"])
    mark = final["results"][-1]
    assert mark["type"] == "punctuation" and mark["attaches_to"] == "previous" and mark["is_eos"]
    assert final["metadata"]["transcript"] == "Welcome to the studio. "


def test_speakers_only_with_diarization() -> None:
    plain = next(e.payload for e in synthetic_script() if e.payload["message"] == "AddTranscript")
    diarized = [e.payload for e in itertools.islice(synthetic_script(diarization=True), 40)
                if e.payload["message"] == "AddTranscript" and e.payload["results"]]
    assert "speaker" not in plain["results"][0]["alternatives"][0]
    assert {f["results"][0]["alternatives"][0]["speaker"] for f in diarized} == {"S1", "S2"}


async def test_session_releases_by_audio_time_and_flushes_at_the_end() -> None:
    session = ScriptedRecognizer().open({"language": "en"}, {"type": "raw"}, None, None)
    assert await session.feed(b"", 0.4) == []
    early = await session.feed(b"", 2.0)
    assert [p["message"] for p in early] == ["AddPartialTranscript"]
    rest = await session.feed(b"", 3.0)
    assert "AddTranscript" in [p["message"] for p in rest]
    assert await session.finish() != []


async def test_forced_end_of_utterance_finalises_the_partial_once() -> None:
    session = ScriptedRecognizer().open({"language": "en"}, {"type": "raw"}, None, None)
    await session.feed(b"", 1.6)  # "Welcome to" is partial
    forced = await session.force_end_of_utterance(None)
    assert [p["message"] for p in forced] == ["AddTranscript", "AddPartialTranscript", "EndOfUtterance"]
    assert forced[0]["forced"] and forced[2]["forced"]
    assert forced[0]["metadata"]["transcript"] == "Welcome to "
    later = await session.feed(b"", 3.0)
    final = next(p for p in later if p["message"] == "AddTranscript")
    assert final["metadata"]["transcript"] == "the studio. "  # the forced words are not repeated


def test_replays_a_jsonl_script(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    entries = [ScriptEntry(0.1, 0.0, {"message": "RecognitionStarted"}),
               ScriptEntry(1.2, 1.0, {"message": "AddTranscript", "results": [],
                                      "metadata": {"start_time": 0.0, "end_time": 1.0, "transcript": ""}})]
    path.write_text("\n".join(e.to_json() for e in reversed(entries)) + "\n")
    loaded = load_script(path)
    assert [e.audio_ts for e in loaded] == [0.0, 1.0]
    (tmp_path / "bad.jsonl").write_text('{"ts": 1}\n')
    with pytest.raises(ValueError, match="line 1"):
        load_script(tmp_path / "bad.jsonl")


async def test_a_script_skips_what_the_server_sends_itself(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    path.write_text(ScriptEntry(0.0, 0.0, {"message": "AudioAdded", "seq_no": 1}).to_json() + "\n"
                    + ScriptEntry(0.5, 0.5, {"message": "Info", "type": "recognition_quality",
                                             "reason": "broadcast"}).to_json() + "\n")
    session = ScriptedRecognizer(path).open({"language": "de"}, {"type": "raw"}, None, None)
    assert [p["message"] for p in await session.feed(b"", 1.0)] == ["Info"]


def test_only_english_without_a_script() -> None:
    with pytest.raises(EngineRejection) as rejected:
        ScriptedRecognizer().open({"language": "fr"}, {"type": "raw"}, None, None)
    assert rejected.value.type == "invalid_language"


def test_media_duration_reads_riff_chunks(shared_audio: Path) -> None:
    # audio_08 carries metadata chunks after its data chunk: the duration must still be 12.8 s.
    assert media_duration(shared_audio / "audio_08_16kHz.wav") == pytest.approx(12.8, abs=0.1)
    assert media_duration(shared_audio / "audio_02_8kHz.wav") == pytest.approx(35.8, abs=0.1)


def test_media_duration_rejects_non_media(tmp_path: Path) -> None:
    junk = tmp_path / "notes.wav"
    junk.write_text("this is not audio")
    with pytest.raises(EngineRejection):
        media_duration(junk)


async def test_tone_voices_differ_and_stream_in_chunks() -> None:
    synth = ToneSynthesizer()
    assert list(synth.voices()) == ["sarah", "theo", "megan", "jack"]
    spectra = {}
    for voice in ("sarah", "theo"):
        chunks = [c async for c in synth.synthesize("Hello there, how are you?", voice)]
        assert len(chunks) > 1
        pcm = np.frombuffer(b"".join(chunks), dtype="<i2").astype(np.float64)
        assert len(pcm) == int(len("Hello there, how are you?") * 0.06 * 16000)
        spectra[voice] = int(np.argmax(np.abs(np.fft.rfft(pcm))) * 16000 / len(pcm))
    assert spectra["sarah"] != spectra["theo"]
