"""One loaded Whisper model (faster-whisper on CTranslate2), shared by the batch and realtime recognisers.

- ``WhisperRuntime(choice)`` loads the model on first use (``load()``, thread-safe, idempotent; a name is
  downloaded by faster-whisper into the studio's cache, a directory or the packaged model is used in place).
  The model runs on ``cpu_threads`` threads per decode (1 on a 2-core machine, which bounds one decode to one
  core) with two CTranslate2 workers, so a batch job and a live session decode side by side.
- ``transcribe(audio, language)`` — a whole file: faster-whisper's own pipeline (Silero VAD filter, beam
  search, word timestamps; what the VAD kept is not dropped again by Whisper's no-speech test), a long file
  in two halves side by side. One file at a time; while live sessions decode, a file uses one worker only, so
  live decoding never waits for it.
- ``decode_window(audio, language, prompt)`` — a few seconds of live audio: greedy decoding with the encoder
  run over the audio actually there (plus padding) instead of a fixed 30 s window, which makes a 3 s decode
  about five times cheaper; runaway repetitions at the end of such a window are cut off.

Both return ``Word``s in seconds from the start of the audio given, Whisper's punctuation still attached
(``" Hello,"``); ``studio.local.whisper_results`` turns them into Speechmatics results.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from studio.local.availability import ModelChoice
from studio.local.engines import EngineRejection

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from faster_whisper.tokenizer import Tokenizer

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100  # mel frames
HOP = SAMPLE_RATE // FRAMES_PER_SECOND  # samples per mel frame
PAD_FRAMES = 500  # silence after a live window, so the decoder sees that the audio ends
MIN_FRAMES = 1000
MAX_FRAMES = 3000  # Whisper's 30 s window
BATCH_BEAM = 5
PREPEND_PUNCTUATION = "\"'“¿([{-"
APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"
NO_SPEECH_PROBABILITY = 0.6
NO_SPEECH_LOGPROB = -1.0
LIVE_QUIET = 5.0  # seconds without live decoding before a file may take both workers

#: Speechmatics language codes whose Whisper code differs.
_WHISPER_CODES = {"cmn": "zh"}


class Word(NamedTuple):
    text: str  # as Whisper wrote it, leading space and attached punctuation included
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Decoded:
    words: list[Word]
    language: str  # the Whisper language code used (detected, for "auto")


def default_cpu_threads() -> int:
    """Threads per decode: half the cores (at least one), at most four."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class WhisperRuntime:
    def __init__(self, choice: ModelChoice, *, download_root: Path | None = None,
                 cpu_threads: int | None = None, workers: int = 2, compute_type: str = "int8") -> None:
        self.choice = choice
        self.download_root = download_root
        self.cpu_threads = cpu_threads or default_cpu_threads()
        self.workers = workers
        self.compute_type = compute_type
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()
        self._batch_lock = threading.Lock()  # one file at a time
        self._tokenizers: dict[str, Tokenizer] = {}
        self._suppress: list[int] | None = None
        self._live_at = -LIVE_QUIET  # when a live window was last decoded (time.monotonic)

    # -- the model ------------------------------------------------------------------------------------------
    def load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            if not self.choice.usable:
                raise RuntimeError(f"The Whisper model cannot be used: {self.choice.problem}")
            from faster_whisper import WhisperModel

            root = str(self.download_root) if self.download_root is not None else None
            log.info("loading %s from %s (%d threads per decode)", self.choice.label, self.choice.location,
                     self.cpu_threads)
            self._model = WhisperModel(self.choice.source, device="cpu", compute_type=self.compute_type,
                                       cpu_threads=self.cpu_threads, num_workers=self.workers,
                                       download_root=root)

    def load_for_use(self, error_type: str) -> None:
        """``load()``, a failure said as an ``EngineRejection`` of ``error_type`` (to the session or the job)."""
        try:
            self.load()
        except Exception as exc:
            raise EngineRejection(error_type, f"The built-in engine could not load its model: {exc}") from None

    def warm_up(self) -> None:
        """Loads the model and runs it once (and the VAD), so the first job or session does not pay for it."""
        from faster_whisper.vad import get_vad_model

        self.load()
        get_vad_model()
        live_at = self._live_at
        self.decode_window(np.zeros(SAMPLE_RATE, dtype=np.float32), "en")  # every Whisper model knows English
        self._live_at = live_at  # not a live session

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def model(self) -> WhisperModel:
        if self._model is None:
            self.load()
        assert self._model is not None
        return self._model

    @property
    def multilingual(self) -> bool:
        if self._model is None and self.choice.english_only is not None:  # known without loading it
            return not self.choice.english_only
        return bool(self.model.model.is_multilingual)

    def languages(self) -> tuple[str, ...]:
        """Whisper codes this model transcribes."""
        if not self.multilingual:
            return ("en",)
        return tuple(self.model.supported_languages)

    def whisper_language(self, language: str, *, allow_auto: bool) -> str | None:
        """The Whisper code for a Speechmatics language code (None: detect), or ``EngineRejection``."""
        if language == "auto" and allow_auto:
            return None if self.multilingual else "en"
        code = _WHISPER_CODES.get(language, language)
        if code in self.languages():
            return code
        from studio.core.languages import language_name

        name = language_name(language)
        described = f"{name} ({language})" if name != language else repr(language)
        if not self.multilingual:
            reason = f"{self.choice.label} transcribes English only, not {described}"
        else:
            reason = f"{self.choice.label} does not transcribe {described}"
        raise EngineRejection("invalid_language", reason)

    def _tokenizer(self, language: str) -> Tokenizer:
        tokenizer = self._tokenizers.get(language)
        if tokenizer is None:
            from faster_whisper.tokenizer import Tokenizer

            model = self.model
            tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                                  language=language)
            self._tokenizers[language] = tokenizer
        return tokenizer

    # -- a whole file ---------------------------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, language: str | None, *, hotwords: str | None = None) -> Decoded:
        """``audio``: float32 mono 16 kHz. Blocking: call it from a worker thread.

        A file longer than one Whisper window is cut in two at the pause nearest its middle and the halves
        are decoded side by side on the model's two workers (about a fifth faster on two cores) — unless a
        live session decoded lately, which then keeps the second worker to itself."""
        with self._batch_lock:
            cut = self.cut_point(audio) if self.workers > 1 and self.live_idle else None
            if cut is None:
                return self._transcribe_part(audio, language, hotwords)
            with ThreadPoolExecutor(2, thread_name_prefix="whisper-file") as pool:
                first = pool.submit(self._transcribe_part, audio[:cut], language, hotwords)
                second = pool.submit(self._transcribe_part, audio[cut:], language, hotwords)
                head, tail = first.result(), second.result()
        offset = cut / SAMPLE_RATE
        shifted = [w._replace(start=w.start + offset, end=w.end + offset) for w in tail.words]
        return Decoded(head.words + shifted, head.language)

    def _transcribe_part(self, audio: np.ndarray, language: str | None, hotwords: str | None) -> Decoded:
        # The Silero VAD filter has already left out what is not speech, so Whisper's own no-speech test
        # (no_speech_prob > 0.6 with an average log probability under -1) is not asked again: on speech the
        # VAD kept, it threw away whole clear utterances (eSpeak's "123, 123." read "123 123" at -1.01, its
        # no-speech probability 0.66) and the file came back with no words at all.
        segments, info = self.model.transcribe(
            audio, language=language, task="transcribe", beam_size=BATCH_BEAM, word_timestamps=True,
            vad_filter=True, no_speech_threshold=None, hotwords=hotwords or None)
        words = [Word(w.word, float(w.start), float(w.end), float(w.probability))
                 for segment in segments for w in (segment.words or ())]
        return Decoded(words, str(info.language))

    @property
    def live_idle(self) -> bool:
        """No live window decoded lately: a long file may take both workers."""
        return time.monotonic() - self._live_at > LIVE_QUIET

    @staticmethod
    def cut_point(audio: np.ndarray) -> int | None:
        """The middle of the pause nearest the middle of a file longer than a Whisper window (in samples)."""
        if len(audio) <= MAX_FRAMES / FRAMES_PER_SECOND * SAMPLE_RATE:
            return None
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        speech = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300, speech_pad_ms=100))
        middle = len(audio) / 2
        pauses = [(speech[i]["end"] + speech[i + 1]["start"]) // 2 for i in range(len(speech) - 1)]
        best = min(pauses, key=lambda at: abs(at - middle), default=None)
        if best is None or not len(audio) / 4 < best < len(audio) * 3 / 4:
            return None
        return int(best)

    # -- a live window --------------------------------------------------------------------------------------
    def decode_window(self, audio: np.ndarray, language: str, prompt: str = "", *,
                      hotwords: str | None = None) -> list[Word]:
        """Greedy decoding of a short window (float32 mono 16 kHz, under 30 s). Blocking.

        The encoder sees the audio plus a few seconds of silence. That shortcut can derail into a repetition
        loop: Whisper repeats the last words into the padding, squeezed into no time at the end of the audio.
        When what came before the loop is one copy of what it repeats (``Break away. Break away. Break…``),
        the loop is cut off; when it is several (``123 123 123 123 123…`` for "123, 123."), which of them were
        said cannot be told, and the window is decoded again as Whisper was trained — a whole 30 s window, with
        timestamp tokens — which costs four to five times as much but reads it right."""
        self._live_at = time.monotonic()
        frames = min(len(audio) // HOP, MAX_FRAMES)
        if frames < 10:
            return []
        words = self._decode(audio, frames, language, prompt, hotwords, whole=False)
        if _loop_copies(words) > 1 and frames + PAD_FRAMES < MAX_FRAMES:
            log.debug("a live window of %.1f s ran away; decoding it again in a whole window", frames / 100)
            words = self._decode(audio, frames, language, prompt, hotwords, whole=True)
        return _tidy(_cut_runaway(words), frames / FRAMES_PER_SECOND)

    def _decode(self, audio: np.ndarray, frames: int, language: str, prompt: str, hotwords: str | None, *,
                whole: bool) -> list[Word]:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.transcribe import get_suppressed_tokens, merge_punctuations

        model = self.model
        total = MAX_FRAMES if whole else min(MAX_FRAMES, max(MIN_FRAMES, frames + PAD_FRAMES))
        total += total % 2
        # The padding is silence in the audio, as Whisper was trained with (its 30 s windows are zero-padded
        # audio): padding the log-mel features with zeros instead shows the model a noise floor, and its
        # reading of the last word then changes with where the window happens to end.
        features = model.feature_extractor(audio[:frames * HOP], padding=(total - frames) * HOP + HOP)
        encoder_output = model.encode(pad_or_trim(features[:, :total], total))
        tokenizer = self._tokenizer(language)
        previous = tokenizer.encode(" " + prompt.strip()) if prompt.strip() else []
        prompt_tokens = model.get_prompt(tokenizer, previous, without_timestamps=not whole,
                                         hotwords=hotwords or None)
        if self._suppress is None:
            self._suppress = list(get_suppressed_tokens(tokenizer, (-1,)) or [])
        seconds = frames / FRAMES_PER_SECOND
        limit = len(prompt_tokens) + 12 + int(seconds * 6) + (int(seconds) + 2 if whole else 0)  # + timestamps
        result: Any = model.model.generate(
            encoder_output, [prompt_tokens], beam_size=1, max_length=min(model.max_length, limit),
            return_scores=True, return_no_speech_prob=True, suppress_blank=True, suppress_tokens=self._suppress)[0]
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]  # text only: no timestamp tokens
        if not tokens:
            return []
        average_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > NO_SPEECH_PROBABILITY and average_logprob < NO_SPEECH_LOGPROB:
            return []
        alignment = model.find_alignment(tokenizer, [tokens], encoder_output, frames)[0]
        merge_punctuations(alignment, PREPEND_PUNCTUATION, APPEND_PUNCTUATION)
        return [Word(str(a["word"]), float(a["start"]), float(a["end"]), float(a["probability"]))
                for a in alignment if a["word"]]


def _runaway_at(words: list[Word]) -> int | None:
    """Where a repetition loop starts: the first of three words in a row squeezed into no time at all."""
    run = 0
    for index, word in enumerate(words):
        run = run + 1 if word.end - word.start < 0.02 else 0
        if run >= 3:
            return index - 2
    return None


def _loop_copies(words: list[Word]) -> int:
    """How many copies of what a repetition loop repeats come right before it (0: no loop)."""
    at = _runaway_at(words)
    if at is None:
        return 0
    texts = [w.text.strip(" .,?!").lower() for w in words]
    tail = texts[at:]
    period = next(p for p in range(1, len(tail) + 1)
                  if all(tail[i] == tail[i + p] for i in range(len(tail) - p)))
    unit = tail[:period]
    copies, end = 0, at
    while end - period >= 0 and texts[end - period:end] == unit:
        copies, end = copies + 1, end - period
    return copies


def _cut_runaway(words: list[Word]) -> list[Word]:
    """Drops a repetition loop: from the first run of three words squeezed into no time at all."""
    at = _runaway_at(words)
    return words if at is None else words[:at]


def _tidy(words: list[Word], duration: float) -> list[Word]:
    """Word times inside the audio; a first word stretched over leading silence is shortened (as faster-whisper
    does for its own segments)."""
    if not words:
        return words
    durations = sorted(w.end - w.start for w in words if w.end > w.start)
    median = min(0.7, durations[len(durations) // 2]) if durations else 0.3
    longest = max(0.4, 2 * median)
    first = words[0]
    if first.end - first.start > longest:
        words[0] = first._replace(start=first.end - longest)
    return [w._replace(start=min(w.start, duration), end=min(w.end, duration)) for w in words]
