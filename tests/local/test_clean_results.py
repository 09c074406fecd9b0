"""The built-in engine's results are clean: in time order, every word with end > start (partials and finals,
realtime and batch), punctuation attached once, digit groups one word, and vocabulary that never inserts words.

The word sequences below are what Whisper gives for numbers (recorded from the engine: eSpeak NG saying
"One two three, one two three." decoded live gives ``" 2,"`` at 1.52–1.52; Whisper writes a comma on a word
and again as a word of its own, splits ``"123,"`` into ``" 1"`` + ``"23,"``, and its timings can go back)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.messages import ServerMessage, Transcript
from studio.local.whisper_model import Word
from studio.local.whisper_results import ResultOptions, to_results, transcript_text
from studio.services.connections import Connection
from tests.helpers.wer import word_error_rate

OPTIONS = ResultOptions()


def contents(results: list[dict[str, Any]]) -> list[str]:
    return [r["alternatives"][0]["content"] for r in results]


def assert_clean(results: list[dict[str, Any]]) -> None:
    starts = [r["start_time"] for r in results]
    assert starts == sorted(starts), "results in time order"
    for result in results:
        if result["type"] == "word":
            assert result["end_time"] > result["start_time"], result
    for before, after in itertools.pairwise(results):
        assert not (before["type"] == after["type"] == "punctuation"
                    and contents([before]) == contents([after])), "a mark attaches once"


def test_123_123_comes_out_as_two_numbers() -> None:
    words = [Word(" 1", 0.50, 0.62, 0.9), Word("23,", 0.62, 0.62, 0.8), Word(",", 0.62, 0.62, 0.9),
             Word(" 1", 0.58, 0.90, 0.9), Word("23", 0.90, 1.20, 0.9), Word(".", 1.20, 1.20, 0.9)]
    results = to_results(words, OPTIONS)
    assert contents(results) == ["123", ",", "123", "."]
    assert transcript_text(results) == "123, 123. "
    assert_clean(results)


def test_zero_length_and_backward_words_are_put_in_order() -> None:
    words = [Word(" 1,", 0.0, 0.16, 0.9), Word(" 2,", 0.34, 0.56, 0.9), Word(" 3,", 0.70, 0.90, 0.9),
             Word(" 1,", 1.02, 1.26, 0.9), Word(" 2,", 1.52, 1.52, 0.9), Word(" 3", 1.40, 1.78, 0.9),
             Word(" Well", 0.648, 0.648, 0.9)]
    results = to_results(words, OPTIONS, offset=2.0)
    assert_clean(results)
    assert contents(results)[:2] == ["1", ","]


def test_other_digit_groups_stay_whole() -> None:
    words = [Word(" Call", 0.0, 0.46, 0.9), Word(" 555", 0.46, 1.44, 0.9), Word("-0123", 1.44, 2.7, 0.9),
             Word(" now.", 2.7, 3.18, 0.9), Word(" It", 3.3, 3.4, 0.9), Word(" costs", 3.4, 3.7, 0.9),
             Word(" 3", 3.7, 3.8, 0.9), Word(".50", 3.8, 4.0, 0.9)]
    assert contents(to_results(words, OPTIONS)) == ["Call", "555-0123", "now", ".", "It", "costs", "3.50"]


async def test_every_word_lasts_in_batch_and_live(connection: Connection, shared_audio: Path) -> None:
    wav = shared_audio / "audio_07b_16kHz.wav"  # isolated one-word utterances: short words, many finals
    async with connection.batch() as batch:
        document = await batch.transcribe(wav, {"type": "transcription", "transcription_config": {"language": "en"}},
                                          poll_interval=0.05)
    assert_clean(document["results"])
    messages: list[ServerMessage] = []
    session = await connection.realtime().start(AudioFormat("pcm_s16le", 16000),
                                                TranscriptionConfig(language="en", enable_partials=True))
    session.add_listener(messages.append)
    pcm = wav.read_bytes()[44:]
    for offset in range(0, len(pcm), 6400):
        await session.send_audio(pcm[offset:offset + 6400])
    await session.end(timeout=60)
    transcripts = [m for m in messages if isinstance(m, Transcript)]
    assert any(m.partial for m in transcripts) and any(not m.partial for m in transcripts)
    for message in transcripts:
        for result in message.results:
            if result.type == "word":
                assert result.end_time > result.start_time, (message.partial, result)


@pytest.mark.parametrize("mode", ["batch", "realtime"])
async def test_vocabulary_never_inserts_words(connection: Connection, shared_audio: Path, mode: str) -> None:
    wav = shared_audio / "audio_08_16kHz.wav"  # "Hello. Goodbye. Banana. Breakaway. Before. After."
    said = "Hello Goodbye Banana Breakaway Before After"
    vocab = ["Banana", "Breakaway", "Goodbye"]
    if mode == "batch":
        config = {"type": "transcription", "transcription_config": {
            "language": "en", "additional_vocab": [{"content": word} for word in vocab]}}
        async with connection.batch() as batch:
            document = await batch.transcribe(wav, config, poll_interval=0.05)
        heard = [r["alternatives"][0]["content"] for r in document["results"] if r["type"] == "word"]
    else:
        messages: list[ServerMessage] = []
        session = await connection.realtime().start(
            AudioFormat("pcm_s16le", 16000), TranscriptionConfig(language="en", additional_vocab=tuple(vocab)))
        session.add_listener(messages.append)
        pcm = wav.read_bytes()[44:415672 - 9000]
        for offset in range(0, len(pcm), 6400):
            await session.send_audio(pcm[offset:offset + 6400])
        await session.end(timeout=60)
        heard = [r.alternatives[0].content for m in messages if isinstance(m, Transcript) and not m.partial
                 for r in m.results if r.type == "word"]
    assert heard.count("Banana") == 1, heard
    assert word_error_rate(said, " ".join(heard)) <= 0.2, heard


def test_vocabulary_respells_what_was_heard_and_adds_nothing() -> None:
    from studio.local.vocabulary import Vocabulary

    vocabulary = Vocabulary.from_config({"additional_vocab": [
        {"content": "gnocchi", "sounds_like": ["nyoki"]}, {"content": "Breakaway"}, {"content": "Speechmatics"}]})
    assert vocabulary is not None
    heard = [Word(" I", 0.0, 0.1, 1), Word(" like", 0.1, 0.3, 1), Word(" nyoki.", 0.3, 0.7, 1),
             Word(" Break", 1.0, 1.2, 1), Word(" away", 1.2, 1.5, 1), Word(" at", 1.5, 1.6, 1),
             Word(" Speechmatix,", 1.6, 2.2, 1), Word(" banana.", 2.2, 2.6, 1)]
    respelt = vocabulary.apply(heard)
    assert [w.text for w in respelt] == [" I", " like", " gnocchi.", " Breakaway", " at", " Speechmatics,", " banana."]
    assert (respelt[3].start, respelt[3].end) == (1.0, 1.5)
    assert len(vocabulary.apply([Word(" hello", 0, 1, 1)])) == 1  # nothing to correct: nothing changes


def test_words_whisper_split_are_rejoined() -> None:
    words = [Word(" before", 0.0, 0.3, 0.9), Word(" 10", 0.3, 0.6, 0.9), Word(" o", 0.6, 0.7, 0.9),
             Word("'clock.", 0.7, 1.1, 0.8), Word(" One", 1.3, 1.5, 0.9), Word(" hundred", 1.5, 1.8, 0.9),
             Word(" twenty", 1.8, 2.1, 0.9), Word("-three,", 2.1, 2.5, 0.9), Word(" I", 2.6, 2.7, 0.9),
             Word("'m", 2.7, 2.8, 0.9), Word(" G", 2.9, 3.0, 0.9), Word("-ruta.", 3.0, 3.4, 0.9)]
    results = to_results(words, OPTIONS)
    assert transcript_text(results) == "before 10 o'clock. One hundred twenty-three, I'm G-ruta. "
    assert_clean(results)
    assert (results[2]["start_time"], results[2]["end_time"]) == (0.6, 1.1)  # "o'clock" spans both pieces


def test_words_of_languages_without_spaces_are_left_alone() -> None:
    words = [Word("今日", 0.0, 0.3, 0.9), Word("は", 0.3, 0.4, 0.9), Word("2", 0.4, 0.5, 0.9), Word("3", 0.5, 0.6, 0.9)]
    results = to_results(words, ResultOptions(language="ja"))
    assert contents(results) == ["今日", "は", "2", "3"]
