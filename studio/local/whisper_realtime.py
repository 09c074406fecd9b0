"""Live recognition with Whisper, a model that does not stream: voice activity cuts the stream into
utterances, and each open utterance is re-decoded as it grows.

How a session turns audio into messages (all in stream time, seconds of audio received):

- **Utterances.** The Silero VAD opens an utterance at speech (with 0.3 s of audio before it) and closes it
  after ``FINAL_SILENCE`` of silence (sooner if ``end_of_utterance_silence_trigger`` is shorter). Closing
  decodes what is not final yet and sends it as ``AddTranscript``, then an empty partial; once the silence
  reaches the end-of-utterance trigger, ``EndOfUtterance`` follows (never twice for one silence).
- **Partials.** While an utterance is open it is decoded again every ``PARTIAL_INTERVAL`` of new audio and
  the words not yet final go out as ``AddPartialTranscript``.
- **Commit policy.** Words that two decodes in a row agree on (``whisper_stream.agree``) become final at
  once — except the last 0.2 s, which may be a word cut in half — and so do words older than ``max_delay``;
  a long utterance therefore produces finals as it goes instead of when it ends. Once an utterance's window
  is longer than ``TRIM_AFTER``, its final part is dropped from the audio that is decoded and given to the
  decoder as text instead, so the cost of a decode stays flat however long someone talks.
- **Bounded CPU.** Decoding runs in a worker thread (the server's event loop keeps acknowledging audio) on
  ``cpu_threads`` threads. A partial decode waits until decoding has rested long enough to stay below
  ``TARGET_LOAD`` of the time (shared out between the open sessions), and audio that piled up while a decode
  ran is taken in one go: stale partials are skipped, the final of every utterance never is, so a continuous
  talker (or audio sent faster than real time) cannot make the finals fall further and further behind.
- **Speakers.** There is no diarizer: with speaker diarization every word is ``UU``; channel diarization
  works, one session per channel (the server opens them).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.local.engines import EngineRejection, Payload
from studio.local.vocabulary import Vocabulary
from studio.local.whisper_model import SAMPLE_RATE, WhisperRuntime, Word
from studio.local.whisper_results import (
    ResultOptions,
    join_continuations,
    language_pack_info,
    normalise,
    to_results,
    transcript_message,
    word_delimiter,
)
from studio.local.whisper_stream import VAD_SECONDS, PcmConverter, StreamingVad, after_committed, agree

THRESHOLD = 0.5  # speech starts at this VAD probability…
KEEP_THRESHOLD = 0.35  # …and goes on while it stays above this one
PRE_ROLL = 0.3
FINAL_SILENCE = 0.5
MIN_FINAL_SILENCE = 0.2
CLOSE_PAD = 0.15  # audio kept after the last speech when an utterance closes
PARTIAL_INTERVAL = 0.5
COMMIT_INTERVAL = 1.0  # decodes when nobody asked for partials: for the finals of long utterances only
TARGET_LOAD = 0.6
TAIL_GUARD = 0.2
TRIM_AFTER = 8.0
MAX_WINDOW = 20.0
DEFAULT_MAX_DELAY = 4.0
PROMPT_WORDS = 30


@dataclass
class _Config:
    language: str
    whisper_language: str
    partials: bool
    max_delay: float
    eou_trigger: float
    vocabulary: Vocabulary | None  # respells what was heard (never a Whisper prompt: that inserts words)
    options: ResultOptions
    delimiter: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any], whisper_language: str) -> _Config:
        language = str(config.get("language") or "en")
        conversation = config.get("conversation_config") or {}
        return cls(language, whisper_language, bool(config.get("enable_partials")),
                   float(config.get("max_delay") or DEFAULT_MAX_DELAY),
                   float(conversation.get("end_of_utterance_silence_trigger") or 0.0),
                   Vocabulary.from_config(config), ResultOptions.from_config(config), word_delimiter(language))

    @property
    def final_silence(self) -> float:
        if 0 < self.eou_trigger < FINAL_SILENCE:
            return max(MIN_FINAL_SILENCE, self.eou_trigger)
        return FINAL_SILENCE


class WhisperSession:
    """One channel of a realtime session. The server calls one method at a time; each runs in a thread."""

    def __init__(self, recognizer: WhisperRecognizer, config: _Config, audio_format: Mapping[str, Any],
                 warnings: Sequence[Payload]) -> None:
        self._recognizer = recognizer
        self._runtime = recognizer.runtime
        self.config = config
        self.warnings = warnings
        self._converter = PcmConverter(str(audio_format.get("encoding", "pcm_s16le")),
                                       int(audio_format.get("sample_rate", SAMPLE_RATE)))
        self._vad = StreamingVad()
        self._audio = np.zeros(0, dtype=np.float32)
        self._audio_start = 0.0  # stream time of self._audio[0]
        self._vad_time = 0.0  # end of the last window the VAD judged
        self._open: float | None = None  # start of the open utterance
        self._last_speech = 0.0
        self._window_start = 0.0
        self._committed: list[Word] = []  # final words of the open utterance
        self._committed_end = 0.0
        self._tentative: list[Word] = []  # the last decode's words that are not final
        self._shown = False  # a partial with words is on screen
        self._last_decode = 0.0  # stream time of the last decode
        self._decode_seconds = 0.0  # how long it took
        self._decoded_at = 0.0  # when it ended (perf_counter)
        self._final_end = 0.0
        self._eou_due: float | None = None
        self._eou_at = 0.0

    # -- the RecognitionSession protocol ------------------------------------------------------------------
    async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[Payload]:
        return await asyncio.to_thread(self._feed, audio)

    async def force_end_of_utterance(self, timestamp: float | None) -> Sequence[Payload]:
        return await asyncio.to_thread(self._force, timestamp)

    def update_config(self, transcription_config: Mapping[str, Any]) -> None:
        merged = {"language": self.config.language, "enable_partials": self.config.partials,
                  "max_delay": self.config.max_delay,
                  "conversation_config": {"end_of_utterance_silence_trigger": self.config.eou_trigger}}
        merged.update(transcription_config)
        update = _Config.from_config(merged, self.config.whisper_language)
        self.config.partials, self.config.max_delay = update.partials, update.max_delay
        self.config.eou_trigger = update.eou_trigger

    def speakers(self) -> Sequence[Payload]:
        return []  # no diarizer, so no speaker identifiers

    async def finish(self) -> Sequence[Payload]:
        try:
            return await asyncio.to_thread(self._finish)
        finally:
            self._recognizer.sessions.discard(self)

    # -- audio ----------------------------------------------------------------------------------------------
    @property
    def time(self) -> float:
        return self._audio_start + len(self._audio) / SAMPLE_RATE

    def _take(self, samples: np.ndarray) -> list[Payload]:
        if len(samples):
            self._audio = np.concatenate([self._audio, samples])
        out: list[Payload] = []
        for probability in self._vad.process(samples):
            out += self._step(float(probability))
        return out

    def _feed(self, data: bytes) -> list[Payload]:
        out = self._take(self._converter.convert(data))
        if self._open is not None and self._partial_due():
            out += self._decode(self._vad_time)
        self._trim_audio()
        return out

    def _partial_due(self) -> bool:
        """Enough new audio since the last decode, and enough rest since it ended: decoding (shared out between
        the open sessions) keeps below ``TARGET_LOAD`` of the time, however fast the audio comes."""
        base = PARTIAL_INTERVAL if self.config.partials else COMMIT_INTERVAL
        if self._vad_time - self._last_decode < base:
            return False
        sessions = max(1, len(self._recognizer.sessions))
        rest = self._decode_seconds * (sessions / TARGET_LOAD - 1.0)
        return time.perf_counter() - self._decoded_at >= rest

    def _step(self, probability: float) -> list[Payload]:
        start, end = self._vad_time, self._vad_time + VAD_SECONDS
        self._vad_time = end
        if self._open is None:
            if probability >= THRESHOLD:
                self._begin(max(start - PRE_ROLL, self._audio_start, self._final_end), end)
            elif self._eou_due is not None and end >= self._eou_due:
                self._eou_due = None
                return [self._end_of_utterance(self._eou_at)]
            return []
        if probability >= KEEP_THRESHOLD:
            self._last_speech = end
        if end - self._last_speech >= self.config.final_silence:
            return self._close(min(self._last_speech + CLOSE_PAD, end))
        if end - self._window_start >= MAX_WINDOW:
            return self._decode(end, force=True)
        return []

    def _begin(self, start: float, now: float) -> None:
        self._open = self._window_start = start
        self._last_speech = now
        self._committed, self._tentative = [], []
        self._committed_end = start
        self._last_decode = start
        self._eou_due = None

    def _trim_audio(self) -> None:
        keep_from = self._window_start if self._open is not None else self.time - PRE_ROLL - VAD_SECONDS
        drop = int((keep_from - self._audio_start) * SAMPLE_RATE)
        if drop > SAMPLE_RATE:  # trim in steps of at least a second
            self._audio = self._audio[drop:]
            self._audio_start += drop / SAMPLE_RATE

    # -- decoding ---------------------------------------------------------------------------------------------
    def _window(self, start: float, end: float) -> np.ndarray:
        first = max(0, round((start - self._audio_start) * SAMPLE_RATE))
        last = max(first, round((end - self._audio_start) * SAMPLE_RATE))
        return self._audio[first:last]

    def _recognise(self, end: float) -> list[Word]:
        """The words of the open utterance that are not final yet, from a decode of its window up to ``end``."""
        began = time.perf_counter()
        prompt = ""
        if self._committed and self._window_start > self._committed[0].start:  # trimmed: the rest as text
            prompt = "".join(w.text for w in self._committed[-PROMPT_WORDS:])
        words = join_continuations(self._runtime.decode_window(self._window(self._window_start, end),
                                                               self.config.whisper_language, prompt),
                                   self.config.language)  # whole words for the commit policy (" 1" + "23")
        self._decoded_at = time.perf_counter()
        self._decode_seconds = self._decoded_at - began
        self._last_decode = end
        shifted = [w._replace(start=w.start + self._window_start, end=w.end + self._window_start) for w in words]
        new = after_committed(shifted, self._committed, self._committed_end)
        while new and not self._committed and not normalise(new[0].text):
            new.pop(0)  # punctuation with no word before it: a breath or a click read as "."
        return new

    def _decode(self, end: float, *, force: bool = False) -> list[Payload]:
        words = self._recognise(end)
        count = agree(self._tentative, words)
        while count < len(words) and words[count].end <= end - self.config.max_delay:
            count += 1  # older than max_delay: final now, agreed or not
        if force:
            count = max(count, len([w for w in words if w.end <= end - 1.0]))
        while count and words[count - 1].end > end - TAIL_GUARD:
            count -= 1
        commit, self._tentative = words[:count], words[count:]
        out: list[Payload] = []
        if commit:
            out.append(self._final(commit, commit[-1].end))
        out.append(self._partial(self._tentative, end))
        if force:  # the window is too long: keep only its last seconds, whatever was (not) said in it
            self._window_start = max(self._window_start, self._committed_end, end - 2.0)
        elif end - self._window_start > TRIM_AFTER and self._committed:
            self._window_start = max(self._window_start, self._committed_end)
        return out

    def _close(self, end: float, *, forced: bool = False) -> list[Payload]:
        """Ends the open utterance at ``end``: everything not final becomes final."""
        words = [w for w in self._recognise(end) if w.start < end] if end - self._window_start > 0.1 else []
        shown = self._shown
        out: list[Payload] = []
        if words or shown or forced:
            out.append(self._final(words, end, forced=forced))
            out.append(self._partial([], end))
        spoke = bool(words or self._committed)
        self._eou_at = round((words or self._committed or [Word("", end, end, 0.0)])[-1].end, 3)
        if spoke and self.config.eou_trigger > 0 and not forced:
            self._eou_due = self._last_speech + self.config.eou_trigger
        self._open = None
        self._committed, self._tentative = [], []
        return out

    # -- messages ---------------------------------------------------------------------------------------------
    def _final(self, words: Sequence[Word], end: float, *, forced: bool = False) -> Payload:
        message = transcript_message("AddTranscript", self._results(words), self._final_end, end,
                                     self.config.delimiter)
        if forced:
            message["forced"] = True
        self._committed += words
        if words:
            self._committed_end = words[-1].end
        self._final_end = max(self._final_end, end)
        return message

    def _partial(self, words: Sequence[Word], end: float) -> Payload:
        self._shown = bool(words)
        start = words[0].start if words else end
        return transcript_message("AddPartialTranscript", self._results(words), start, end,
                                  self.config.delimiter)

    def _results(self, words: Sequence[Word]) -> list[Payload]:
        vocabulary = self.config.vocabulary
        return to_results(vocabulary.apply(words) if vocabulary is not None else words, self.config.options)

    @staticmethod
    def _end_of_utterance(at: float, *, forced: bool = False) -> Payload:
        message: Payload = {"message": "EndOfUtterance", "metadata": {"start_time": at, "end_time": at}}
        if forced:
            message["forced"] = True
        return message

    def _force(self, timestamp: float | None) -> list[Payload]:
        at = self.time if timestamp is None else min(max(0.0, timestamp), self.time)
        if self._open is not None:
            out = self._close(max(at, self._window_start), forced=True)
        else:
            out = [self._final([], at, forced=True), self._partial([], at)]
        self._eou_due = None
        out.append(self._end_of_utterance(round(at, 3), forced=True))
        return out

    def _finish(self) -> list[Payload]:
        out = self._take(self._converter.flush())
        for probability in self._vad.flush():
            out += self._step(float(probability))
        if self._open is not None:
            out += self._close(min(self.time, self._last_speech + CLOSE_PAD))
        if self._eou_due is not None:
            self._eou_due = None
            out.append(self._end_of_utterance(self._eou_at))
        return out


class WhisperRecognizer:
    """The realtime side of the built-in engine (``studio.local.engines.RealtimeRecognizer``)."""

    def __init__(self, runtime: WhisperRuntime) -> None:
        self.runtime = runtime
        self.sessions: weakref.WeakSet[WhisperSession] = weakref.WeakSet()

    def language_pack_info(self, language: str) -> Payload:
        return language_pack_info(language)

    async def ready(self) -> None:
        """Returns once the model is loaded (``studio.local.engines.WarmingRecognizer``); a load under way in the
        engine's warm-up is waited for, not repeated."""
        if not self.runtime.loaded:
            await asyncio.to_thread(self.runtime.load_for_use, "job_error")

    def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
             translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> WhisperSession:
        language = str(transcription_config.get("language") or "")
        whisper_language = self.runtime.whisper_language(language, allow_auto=False)
        if whisper_language is None:  # only for "auto", which allow_auto=False refuses
            raise EngineRejection("invalid_language", "the language must be given for realtime sessions")
        session = WhisperSession(self, _Config.from_config(transcription_config, whisper_language), audio_format,
                                 unsupported_warnings(transcription_config, translation_config, audio_events_config))
        self.sessions.add(session)
        return session


def unsupported_warnings(config: Mapping[str, Any], translation: Mapping[str, Any] | None,
                         events: Mapping[str, Any] | None) -> list[Payload]:
    """The ``Warning``s for what was asked and the engine cannot do, sent before ``RecognitionStarted``."""
    language = str(config.get("language") or "")
    warnings: list[Payload] = [
        {"message": "Warning", "type": "unsupported_translation_pair",
         "reason": f"Translation from {language} to {target} is not available in the built-in engine; "
                   f"no translations will be sent"}
        for target in (translation or {}).get("target_languages") or []]
    if events is not None:
        warnings.append({"message": "Warning", "type": "validation_warning",
                         "reason": "The built-in engine does not detect audio events; none will be sent"})
    if str(config.get("diarization") or "none") in ("speaker", "channel_and_speaker"):
        warnings.append({"message": "Warning", "type": "validation_warning",
                         "reason": "The built-in engine cannot tell speakers apart; every word is labelled UU"})
    return warnings
