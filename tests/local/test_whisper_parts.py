"""The parts under the Whisper recognisers: results mapping, audio conversion, streaming VAD, commit policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from studio.local.whisper_model import Word
from studio.local.whisper_results import ResultOptions, to_results, transcript_text
from studio.local.whisper_stream import PcmConverter, StreamingVad, after_committed, agree
from tests.helpers.wav import read_wav


def w(text: str, start: float, end: float, probability: float = 0.9) -> Word:
    return Word(text, start, end, probability)


def contents(results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(str(r["type"]), str(r["alternatives"][0]["content"])) for r in results]


def test_punctuation_becomes_results_of_its_own() -> None:
    results = to_results([w(" Hello,", 0.1, 0.5), w(' "world"', 0.6, 0.9), w(" buddy?", 1.0, 1.4, 0.42)],
                         ResultOptions(language="en"))
    assert contents(results) == [("word", "Hello"), ("punctuation", ","), ("punctuation", '"'), ("word", "world"),
                                 ("punctuation", '"'), ("word", "buddy"), ("punctuation", "?")]
    comma, opening, question = results[1], results[2], results[-1]
    assert comma["attaches_to"] == "previous" and comma["is_eos"] is False
    assert comma["start_time"] == comma["end_time"] == 0.5
    assert opening["attaches_to"] == "next" and opening["start_time"] == 0.6
    assert question["is_eos"] is True and question["end_time"] == 1.4
    assert results[5]["alternatives"][0] == {"content": "buddy", "confidence": 0.42, "language": "en"}
    assert transcript_text(results) == 'Hello, "world" buddy? '


def test_config_options_shape_the_results() -> None:
    words = [w(" Um,", 0.0, 0.2), w(" hello.", 0.3, 0.6), w(" Bye!", 0.8, 1.0)]
    config = {"language": "en", "diarization": "speaker",
              "punctuation_overrides": {"permitted_marks": ["."]},
              "transcript_filtering_config": {"remove_disfluencies": False}}
    results = to_results(words, ResultOptions.from_config(config))
    assert contents(results) == [("word", "Um"), ("word", "hello"), ("punctuation", "."), ("word", "Bye")]
    assert results[0]["alternatives"][0]["tags"] == ["disfluency"]
    assert all(r["alternatives"][0]["speaker"] == "UU" for r in results)
    stricter = {**config, "punctuation_overrides": {"permitted_marks": []},
                "transcript_filtering_config": {"remove_disfluencies": True}}
    removed = to_results(words, ResultOptions.from_config(stricter))
    assert contents(removed) == [("word", "hello"), ("word", "Bye")]
    assert to_results([w(" 3.5%", 0.0, 0.5)], ResultOptions())[0]["alternatives"][0]["content"] == "3.5%"


def test_audio_of_any_encoding_becomes_16_khz_floats() -> None:
    s16 = PcmConverter("pcm_s16le", 16000)
    data = np.array([0, 16384, -32768], dtype="<i2").tobytes()
    first, second = s16.convert(data[:3]), s16.convert(data[3:])  # a sample split between two messages
    assert np.concatenate([first, second]).tolist() == [0.0, 0.5, -1.0]
    mulaw = PcmConverter("mulaw", 16000).convert(bytes([0xFF, 0x7F, 0x00, 0x80]))
    assert mulaw[0] == 0.0 and mulaw[1] == 0.0 and mulaw[2] < -0.97 and mulaw[3] > 0.97
    telephone = PcmConverter("pcm_f32le", 8000)
    tone = np.sin(np.arange(8000) / 8000 * 2 * np.pi * 440).astype("<f4").tobytes()
    out = np.concatenate([telephone.convert(tone[i:i + 1000]) for i in range(0, len(tone), 1000)]
                         + [telephone.flush()])
    assert abs(len(out) - 16000) <= 32
    spectrum = np.abs(np.fft.rfft(out[2000:14000]))
    assert abs(np.argmax(spectrum) * 16000 / 12000 - 440) < 5


def test_streaming_vad_matches_the_whole_file_vad(shared_audio: Path) -> None:
    from faster_whisper.vad import get_vad_model

    pcm, _ = read_wav(shared_audio / "audio_08_16kHz.wav")
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768
    audio = audio[: len(audio) // 512 * 512]
    whole = np.asarray(get_vad_model()(audio)).reshape(-1)
    vad = StreamingVad()
    pieces = [vad.process(audio[i:i + 1234]) for i in range(0, len(audio), 1234)]
    streamed = np.concatenate([*pieces, vad.flush()])
    assert len(streamed) == len(whole)
    assert np.allclose(streamed, whole, atol=1e-4)
    speech = streamed > 0.5
    assert 0.1 < speech.mean() < 0.6  # six words in 12.8 s
    starts = np.flatnonzero(speech[1:] & ~speech[:-1])
    assert len(starts) >= 5


def test_the_commit_policy() -> None:
    previous = [w(" How", 0.7, 0.9), w(" are", 0.9, 1.0), w(" you", 1.0, 1.1)]
    current = [w(" How", 0.7, 0.9), w(" are", 0.9, 1.0), w(" your", 1.0, 1.2), w(" friends", 1.2, 1.6)]
    assert agree(previous, current) == 2
    assert agree([], current) == 0
    committed = [w(" How", 0.7, 0.9), w(" are", 0.9, 1.0)]
    # A new decode repeats the final words with slightly different times: they are not sent twice.
    redecoded = [w(" How", 0.68, 0.88), w(" are,", 0.88, 1.02), w(" you", 1.02, 1.1), w(" doing?", 1.1, 1.5)]
    assert [x.text for x in after_committed(redecoded, committed, 1.0)] == [" you", " doing?"]
    drifted = [w(" are", 0.95, 1.08), w(" you", 1.08, 1.2)]  # past the committed end, but a repeat
    assert [x.text for x in after_committed(drifted, committed, 1.0)] == [" you"]
