"""A scripted recognizer and a tone synthesizer: deterministic engines for tests, benchmarks and demos.

A script is a list of ``{ts, audio_ts, payload}`` entries (a JSON-lines file records one per line):
``payload`` is a server message, released once the client has sent ``audio_ts`` seconds of audio; ``ts``
is when it was seen in the recorded session. Messages the server itself produces (RecognitionStarted,
AudioAdded, EndOfTranscript, Info about sessions) are ignored in a script. With no script, one is made
on the fly from a loop of sentences, showing every realtime behaviour: partials growing word by word, a
partial after every final, empty finals, end-of-utterance markers, speakers and translations.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from studio.local.engines import EngineRejection, Payload, PreparedSpeech

SERVER_MADE = {"RecognitionStarted", "AudioAdded", "ChannelAudioAdded", "EndOfTranscript", "SpeakersResult"}
SENTENCES = (
    "Welcome to the studio.", "This session is scripted, so every run is the same.",
    "Partial words arrive first and settle into finals.", "Speakers take turns in this script.",
    "Numbers like 2026 stay as written.", "That is all for now.",
)
WORD_SECONDS = 0.35
GAP_SECONDS = 0.05
PAUSE_SECONDS = 0.6


@dataclass(frozen=True)
class ScriptEntry:
    ts: float
    audio_ts: float
    payload: Payload

    def to_json(self) -> str:
        return json.dumps({"ts": self.ts, "audio_ts": self.audio_ts, "payload": self.payload})


def _entry(at: float, payload: Payload) -> ScriptEntry:
    at = round(at, 3)
    return ScriptEntry(at, at, payload)


def load_script(path: Path) -> list[ScriptEntry]:
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
            raise ValueError(f"{path.name} line {number} is not a {{ts, audio_ts, payload}} entry")
        audio_ts = float(item.get("audio_ts", item.get("ts")) or 0.0)
        entries.append(ScriptEntry(float(item.get("ts") or audio_ts), audio_ts, item["payload"]))
    entries.sort(key=lambda e: e.audio_ts)
    return entries


def _word(content: str, start: float, end: float, speaker: str | None, confidence: float = 0.98) -> Payload:
    alternative: Payload = {"content": content, "confidence": confidence, "language": "en"}
    if speaker is not None:
        alternative["speaker"] = speaker
    return {"type": "word", "start_time": round(start, 3), "end_time": round(end, 3), "alternatives": [alternative]}


def _punctuation(mark: str, at: float, speaker: str | None) -> Payload:
    result = _word(mark, at, at, speaker, 1.0)
    result.update(type="punctuation", attaches_to="previous", is_eos=mark in ".?!")
    return result


def _text(results: Sequence[Payload]) -> str:
    out = ""
    for result in results:
        content = result["alternatives"][0]["content"]
        if result["type"] == "punctuation" and result.get("attaches_to") == "previous":
            out = out.rstrip(" ") + content + " "
        else:
            out += content + " "
    return out


def _transcript(kind: str, results: Sequence[Payload], start: float, end: float) -> Payload:
    return {"message": kind, "results": list(results),
            "metadata": {"start_time": round(start, 3), "end_time": round(end, 3), "transcript": _text(results)}}


def synthetic_script(*, diarization: bool = False, end_of_utterance: float = 0.0,
                     translations: Sequence[str] = (), translation_partials: bool = False,
                     sentences: Sequence[str] = SENTENCES) -> Iterator[ScriptEntry]:
    """An endless script in audio-time order (a generator, so hours of it cost nothing up front)."""
    clock = 0.5
    window_start = 0.0
    for index in itertools.count():
        sentence = sentences[index % len(sentences)]
        speaker = (f"S{index % 2 + 1}" if diarization else None)
        results: list[Payload] = []
        words = sentence.split()
        for position, token in enumerate(words):
            mark = token[-1] if token[-1] in ".,?!" else ""
            word = token[:-1] if mark else token
            start, end = clock, clock + WORD_SECONDS
            results.append(_word(word, start, end, speaker))
            if mark:
                results.append(_punctuation(mark, end, speaker))
            clock = end + GAP_SECONDS
            if position % 2 == 1 or position == len(words) - 1:  # a partial every two words
                at = end + 0.25
                yield _entry(at, _transcript("AddPartialTranscript", results, window_start, end))
                if translation_partials:
                    for language in translations:
                        yield _entry(at, {"message": "AddPartialTranslation", "language": language,
                                                   "results": [{"content": f"[{language}] {_text(results).strip()}",
                                                                "start_time": results[0]["start_time"],
                                                                "end_time": round(end, 3)}]})
        sentence_end = clock - GAP_SECONDS
        final_at = sentence_end + 0.5
        yield _entry(final_at, _transcript("AddTranscript", results, window_start, sentence_end))
        # Real servers follow every final with a partial of what is not final yet: here, nothing.
        yield _entry(final_at, _transcript("AddPartialTranscript", [], sentence_end, sentence_end))
        for language in translations:
            sentence_result: Payload = {"content": f"[{language}] {sentence}",
                                        "start_time": results[0]["start_time"], "end_time": round(sentence_end, 3)}
            if speaker is not None:
                sentence_result["speaker"] = speaker
            yield _entry(final_at, {"message": "AddTranslation", "language": language,
                                                   "results": [sentence_result]})
        if end_of_utterance > 0:
            mark_at = round(sentence_end + end_of_utterance, 3)
            marker = {"message": "EndOfUtterance", "metadata": {"start_time": mark_at, "end_time": mark_at}}
            yield _entry(max(final_at, mark_at), marker)
        window_start = sentence_end
        clock = sentence_end + PAUSE_SECONDS
        if index % 3 == 2:  # an empty final that only advances time, as real servers send
            at = clock + 0.3
            yield _entry(at, _transcript("AddTranscript", [], window_start, clock))
            yield _entry(at, _transcript("AddPartialTranscript", [], clock, clock))
            window_start = clock


def _language_pack(language: str) -> Payload:
    no_spaces = language in ("ja", "cmn", "yue", "th")
    rtl = language in ("ar", "he", "fa", "ur", "ug")
    return {"adapted": False, "itn": True, "language_description": language,
            "word_delimiter": "" if no_spaces else " ",
            "writing_direction": "right-to-left" if rtl else "left-to-right"}


class ScriptedSession:
    def __init__(self, entries: Iterable[ScriptEntry], config: Mapping[str, Any]) -> None:
        self._entries = iter(entries)
        self._next: ScriptEntry | None = next(self._entries, None)
        self._config = dict(config)
        self._committed = -math.inf  # results ending at or before this were already finalised
        self._partial: list[Payload] = []
        self._speakers: dict[str, list[str]] = {}
        self.audio_seconds = 0.0
        self.warnings: Sequence[Payload] = ()

    def _release(self, until: float) -> list[Payload]:
        out: list[Payload] = []
        while self._next is not None and self._next.audio_ts <= until:
            payload = self._next.payload
            self._next = next(self._entries, None)
            if payload.get("message") in SERVER_MADE:
                continue
            out.append(self._filter(payload))
        return out

    def _filter(self, payload: Payload) -> Payload:
        kind = payload.get("message")
        if kind not in ("AddTranscript", "AddPartialTranscript"):
            return payload
        results = [r for r in payload.get("results", []) if float(r.get("end_time", 0.0)) > self._committed
                   or (r.get("type") == "punctuation" and float(r.get("end_time", 0.0)) > self._committed)]
        payload = {**payload, "results": results,
                   "metadata": {**payload["metadata"], "transcript": _text(results)}}
        if kind == "AddPartialTranscript":
            self._partial = results
        else:
            self._partial = []
            if results:
                self._committed = max(float(r["end_time"]) for r in results)
            for result in results:
                speaker = result["alternatives"][0].get("speaker")
                if speaker and speaker != "UU":
                    self._speakers.setdefault(speaker, [f"{speaker}-voiceprint"])
        return payload

    async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[Payload]:
        self.audio_seconds = audio_seconds
        return self._release(audio_seconds)

    async def force_end_of_utterance(self, timestamp: float | None) -> Sequence[Payload]:
        at = self.audio_seconds if timestamp is None else timestamp
        results = [r for r in self._partial if float(r["end_time"]) <= max(at, 0.0) or timestamp is None]
        start = float(results[0]["start_time"]) if results else at
        final = _transcript("AddTranscript", results, start, at)
        final["forced"] = True
        if results:
            self._committed = max(float(r["end_time"]) for r in results)
        self._partial = [r for r in self._partial if r not in results]
        marker = {"message": "EndOfUtterance", "forced": True,
                  "metadata": {"start_time": round(at, 3), "end_time": round(at, 3)}}
        return [final, _transcript("AddPartialTranscript", self._partial, at, at), marker]

    def update_config(self, transcription_config: Mapping[str, Any]) -> None:
        self._config.update(transcription_config)

    def speakers(self) -> Sequence[Payload]:
        return [{"label": label, "speaker_identifiers": ids} for label, ids in self._speakers.items()]

    async def finish(self) -> Sequence[Payload]:
        # What the recogniser still holds for the audio it got: entries up to shortly after its end.
        return self._release(self.audio_seconds + 1.5)


class ScriptedRecognizer:
    """Replays ``script`` (entries or a JSON-lines file); without one, a synthetic endless script."""

    def __init__(self, script: Path | Sequence[ScriptEntry] | None = None) -> None:
        self._script = load_script(script) if isinstance(script, Path) else script

    def language_pack_info(self, language: str) -> Payload:
        return _language_pack(language)

    def _entries(self, config: Mapping[str, Any], translation: Mapping[str, Any] | None) -> Iterable[ScriptEntry]:
        if self._script is not None:
            return list(self._script)
        conversation = config.get("conversation_config") or {}
        return synthetic_script(
            diarization=str(config.get("diarization", "none")) in ("speaker", "channel_and_speaker"),
            end_of_utterance=float(conversation.get("end_of_utterance_silence_trigger") or 0.0),
            translations=tuple((translation or {}).get("target_languages") or ()),
            translation_partials=bool((translation or {}).get("enable_partials")))

    def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
             translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> ScriptedSession:
        if transcription_config.get("language") not in (None, "en", "auto") and self._script is None:
            raise EngineRejection("invalid_language", f"the scripted engine speaks only English, "
                                                      f"not {transcription_config.get('language')!r}")
        return ScriptedSession(self._entries(transcription_config, translation_config), transcription_config)

    async def transcribe(self, media: Path, config: Mapping[str, Any]) -> Payload:
        duration = await asyncio.to_thread(media_duration, media)
        transcription = dict(config.get("transcription_config") or {})
        session = self.open(transcription, {"type": "file"}, config.get("translation_config"), None)
        results: list[Payload] = []
        for payload in [*await session.feed(b"", duration), *await session.finish()]:
            if payload.get("message") == "AddTranscript":
                results.extend(payload["results"])
        body: Payload = {"format": "2.9", "metadata": {"type": "transcription",
                                                        "transcription_config": transcription,
                                                        "language_pack_info": _language_pack(
                                                            str(transcription.get("language", "en")))},
                         "results": results}
        if config.get("translation_config"):
            body["translations"] = {}
        return body


def media_duration(path: Path) -> float:
    """Seconds of audio in a media file (any container PyAV reads); raises EngineRejection if none."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise EngineRejection("Job rejected due to invalid audio", "the file has no audio stream")
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / 1_000_000
            return float(sum(frame.samples / frame.sample_rate for frame in container.decode(audio=0)))
    except av.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__  # never str(exc): it names the server's file
        raise EngineRejection("Job rejected due to invalid audio", f"the file could not be read ({reason})") from None


class ToneSynthesizer:
    """Speaks nothing: a short tone per character, different for each voice, streamed in 100 ms chunks."""

    VOICES: Mapping[str, float] = MappingProxyType({"sarah": 330.0, "theo": 196.0, "megan": 392.0, "jack": 220.0})

    def voices(self) -> Sequence[str]:
        return list(self.VOICES)

    @staticmethod
    def length(text: str) -> int:
        """Samples at 16 kHz: 60 ms a character."""
        return max(1, int(len(text.strip()) * 0.06 * 16000))

    async def prepare(self, text: str, voice: str) -> PreparedSpeech:
        return PreparedSpeech(self.length(text), self.synthesize(text, voice))

    async def synthesize(self, text: str, voice: str) -> AsyncIterator[bytes]:
        import numpy as np

        frequency = self.VOICES.get(voice, 262.0)
        rate = 16000
        total = self.length(text)
        chunk = rate // 10
        for start in range(0, total, chunk):
            n = min(chunk, total - start)
            t = (np.arange(start, start + n) / rate).astype(np.float64)
            samples = (0.3 * np.sin(2 * np.pi * frequency * t) * 32767).astype("<i2")
            yield samples.tobytes()
            await asyncio.sleep(0)
