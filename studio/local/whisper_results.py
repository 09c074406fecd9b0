"""Whisper's words as Speechmatics results (json-v2 ``results``, realtime ``AddTranscript`` bodies).

Whisper writes punctuation onto its words (``" Hello,"``, ``" buddy?"``); Speechmatics sends it as results
of its own: ``{"type": "punctuation", "attaches_to": "previous", "is_eos": …}`` at the end time of the word
it follows (``attaches_to: "next"`` for an opening quote or bracket). Confidences are Whisper's word
probabilities. ``ResultOptions`` carries what a ``transcription_config`` asks of the text: the permitted
punctuation marks, disfluency tags and their removal, and a speaker label (``UU``: the engine has no
diarizer).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.languages import language_name
from studio.local.engines import Payload
from studio.local.whisper_model import Word

SENTENCE_END = frozenset(".?!。？！")
OPENING = frozenset("\"'“¿([{")
PUNCTUATION = frozenset("\"'“”¿([{}]),，.。!！?？:：;、…-")
TRAILING = frozenset("\"”)]},，.。!！?？:：;、…")
DISFLUENCIES = frozenset({"um", "uh", "er", "erm", "ah", "hmm", "mm", "hm", "uhm", "mhm"})
NO_SPACES = frozenset({"ja", "cmn", "zh", "yue", "th", "lo", "my", "km"})
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur", "ug", "yi", "ps", "sd"})
UNKNOWN_SPEAKER = "UU"
MIN_WORD_SECONDS = 0.01  # a word's shortest duration: end is always after start
JOINERS = frozenset("-.,/:'’")  # inside a word: 555-0123, 3.14, 1,000, 24/7, 10:30, twenty-three, o'clock


@dataclass(frozen=True)
class ResultOptions:
    language: str = "en"  # the Speechmatics code written into each alternative
    speaker: str | None = None  # "UU" when the config asks for speakers
    permitted_marks: frozenset[str] | None = None  # None: all
    remove_disfluencies: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, language: str | None = None,
                    always_speaker: bool = False) -> ResultOptions:
        diarization = str(config.get("diarization") or "none")
        speaker = UNKNOWN_SPEAKER if always_speaker or diarization in ("speaker", "channel_and_speaker") else None
        marks: frozenset[str] | None = None
        punctuation = config.get("punctuation_overrides") or {}
        permitted = punctuation.get("permitted_marks") if isinstance(punctuation, Mapping) else None
        if isinstance(permitted, list) and "all" not in permitted:
            marks = frozenset(str(mark) for mark in permitted)
        filtering = config.get("transcript_filtering_config") or {}
        remove = bool(filtering.get("remove_disfluencies")) if isinstance(filtering, Mapping) else False
        return cls(language or str(config.get("language") or "en"), speaker, marks, remove)


def normalise(text: str) -> str:
    """A word's comparable form: lower case, no punctuation around it."""
    return text.strip().strip("".join(PUNCTUATION)).lower()


def _split(text: str) -> tuple[str, str, str]:
    """Leading punctuation, the word, trailing punctuation."""
    core = text.strip()
    start = 0
    while start < len(core) and core[start] in OPENING:
        start += 1
    end = len(core)
    while end > start and core[end - 1] in TRAILING:
        end -= 1
    return core[:start], core[start:end], core[end:]


def _alternative(content: str, confidence: float, options: ResultOptions) -> Payload:
    alternative: Payload = {"content": content, "confidence": round(max(0.0, min(1.0, confidence)), 3),
                            "language": options.language}
    if options.speaker is not None:
        alternative["speaker"] = options.speaker
    return alternative


def _punctuation(mark: str, at: float, attaches_to: str, options: ResultOptions) -> Payload | None:
    if options.permitted_marks is not None and mark not in options.permitted_marks:
        return None
    result: Payload = {"type": "punctuation", "start_time": round(at, 3), "end_time": round(at, 3),
                       "attaches_to": attaches_to, "is_eos": mark in SENTENCE_END,
                       "alternatives": [_alternative(mark, 1.0, options)]}
    return result


def join_continuations(words: Iterable[Word], language: str = "en") -> list[Word]:
    """Whisper's words with the pieces of one word rejoined. faster-whisper splits a word where its tokens put
    punctuation: ``" 1"`` + ``"23,"``, ``" 555"`` + ``"-0123"``, ``" twenty"`` + ``"-three"``, ``" o"`` +
    ``"'clock."``; a piece that does not start with a space and carries on a word that ends in a letter or digit
    (directly, or after one of ``JOINERS``) is part of that word. Languages written without spaces are left
    as they are (none of their words start with one)."""
    if language.split("_")[0] in NO_SPACES:
        return list(words)
    out: list[Word] = []
    for word in words:
        text = word.text
        continues = text[:1].isalnum() or (len(text) > 1 and text[0] in JOINERS and text[1].isalnum())
        if out and continues and out[-1].text.rstrip()[-1:].isalnum():
            previous = out[-1]
            out[-1] = Word(previous.text + text, previous.start, max(previous.end, word.end),
                           min(previous.probability, word.probability))
            continue
        out.append(word)
    return out


def to_results(words: Iterable[Word], options: ResultOptions, offset: float = 0.0) -> list[Payload]:
    """Speechmatics results for Whisper words (times shifted by ``offset`` seconds).

    Results are in time order (a word never starts before the one it follows, whatever Whisper's timings
    say), every word lasts at least ``MIN_WORD_SECONDS`` (clients divide by a word's duration), a word Whisper
    split stays one word (``join_continuations``: ``123``, ``555-0123``, ``o'clock``), and a punctuation mark
    attaches once (Whisper can write a comma onto a word and again as a word of its own)."""
    results: list[Payload] = []
    floor = 0.0  # where the next word may start: the end of the last one
    for word in join_continuations(words, options.language):
        leading, core, trailing = _split(word.text)
        start = max(round(word.start + offset, 3), floor)
        end = max(round(word.end + offset, 3), round(start + MIN_WORD_SECONDS, 3))
        at_start = results[-1]["end_time"] if results and not core else start  # a lone mark: where the last ended
        for mark in leading:
            punctuation = _punctuation(mark, at_start, "next", options)
            if punctuation is not None:
                results.append(punctuation)
        if core:
            disfluency = core.lower() in DISFLUENCIES
            if disfluency and options.remove_disfluencies:
                continue
            result: Payload = {"type": "word", "start_time": start, "end_time": end,
                               "alternatives": [_alternative(core, word.probability, options)]}
            if disfluency:
                result["alternatives"][0]["tags"] = ["disfluency"]
            results.append(result)
            floor = end
        at_end = end if core else (results[-1]["end_time"] if results else start)
        for mark in trailing:
            if _attached_already(results, mark):
                continue
            punctuation = _punctuation(mark, at_end, "previous", options)
            if punctuation is not None:
                results.append(punctuation)
    return results


def _attached_already(results: Sequence[Payload], mark: str) -> bool:
    """The same mark was just attached to the same word (``"2,"`` then ``","``)."""
    if not results or results[-1]["type"] != "punctuation" or results[-1].get("attaches_to") != "previous":
        return False
    return str(results[-1]["alternatives"][0]["content"]) == mark


def transcript_text(results: Sequence[Payload], delimiter: str = " ") -> str:
    """``metadata.transcript``: the words joined as the SDKs join them, with a trailing delimiter."""
    out = ""
    glue_next = False
    for result in results:
        content = str(result["alternatives"][0]["content"])
        attaches = result.get("attaches_to")
        if result.get("type") == "punctuation" and attaches == "previous":
            out = (out[:-len(delimiter)] if delimiter and out.endswith(delimiter) else out) + content + delimiter
        elif result.get("type") == "punctuation" and attaches == "next":
            out += content
            glue_next = True
            continue
        else:
            out += content + delimiter
        glue_next = False
    return out if not glue_next else out + delimiter


def transcript_message(kind: str, results: Sequence[Payload], start: float, end: float,
                       delimiter: str = " ") -> Payload:
    return {"message": kind, "results": list(results),
            "metadata": {"start_time": round(start, 3), "end_time": round(max(start, end), 3),
                         "transcript": transcript_text(results, delimiter)}}


def language_pack_info(language: str) -> Payload:
    base = language.split("_")[0]
    return {"adapted": False, "itn": True, "language_description": language_name(language),
            "word_delimiter": "" if base in NO_SPACES else " ",
            "writing_direction": "right-to-left" if base in RIGHT_TO_LEFT else "left-to-right"}


def word_delimiter(language: str) -> str:
    return str(language_pack_info(language)["word_delimiter"])
