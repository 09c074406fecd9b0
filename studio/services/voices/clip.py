"""A voice preview: what was asked for, and its audio as it arrives.

Public API::

    request = PreviewRequest("Hello there", "sarah", engine="builtin")   # request.key: the cache key
    check_request(request, voices)           # TextTooLongError / VoiceUnavailableError / ConfigurationError
    clip = Clip(request)                     # clip.pcm: a studio.audio.playback.PcmBuffer, playable at once
    clip.feed(body_chunk); clip.finish()     # the service's body (a WAV header first, for wav_16000)
    clip.state, clip.error, clip.duration, peaks(samples, bucket)

``engine`` names who speaks, since "sarah" on the built-in engine is not Speechmatics' Sarah: ``"builtin"``,
or the text-to-speech URL of a Speechmatics service. A clip is fed on one thread (the event loop) and read
anywhere (the player's callback, the waveform at display rate).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from studio.api.errors import ConfigurationError, ProtocolError
from studio.api.tts import SAMPLE_RATE, WAV_HEADER_SIZE, OutputFormat, parse_wav_header
from studio.audio.playback import PcmBuffer
from studio.services.voices.catalogue import VoiceInfo, find

BUILTIN = "builtin"

#: Characters one request may carry. The built-in engine's server takes 100 000; Speechmatics documents no
#: limit (the service splits long text itself, and shorter requests start sooner), so the studio keeps a
#: preview to a few minutes of speech.
BUILTIN_TEXT_LIMIT = 100_000
SPEECHMATICS_TEXT_LIMIT = 5_000


def text_limit(engine: str) -> int:
    return BUILTIN_TEXT_LIMIT if engine == BUILTIN else SPEECHMATICS_TEXT_LIMIT


def engine_label(engine: str) -> str:
    return "the built-in engine" if engine == BUILTIN else "Speechmatics"


class TextTooLongError(ConfigurationError):
    def __init__(self, length: int, limit: int, engine: str) -> None:
        super().__init__(f"The text is {length:,} characters long, and {engine_label(engine)} takes at most "
                         f"{limit:,} at a time — shorten it, or speak it in parts")
        self.length = length
        self.limit = limit


class VoiceUnavailableError(ConfigurationError):
    def __init__(self, voice: str, engine: str, available: Sequence[str] = ()) -> None:
        names = ", ".join(available[:6]) + ("…" if len(available) > 6 else "")
        choose = f"; choose another ({names})" if names else "; choose another"
        super().__init__(f"{engine_label(engine).capitalize()} has no voice called “{voice}”{choose}")
        self.voice = voice


#: What previews ask for: the bare samples, which every engine streams as they are made (the built-in engine
#: sends a WAV only once it is whole, so that its header has the real sizes). Saving as WAV adds the header.
PREVIEW_FORMAT: OutputFormat = "pcm_16000"


@dataclass(frozen=True)
class PreviewRequest:
    text: str
    voice: str
    engine: str = BUILTIN
    output_format: OutputFormat = PREVIEW_FORMAT

    @property
    def key(self) -> str:
        """The cache key: text, voice, format and who speaks."""
        document = json.dumps([self.engine, self.voice, self.output_format, self.text], ensure_ascii=False)
        return hashlib.sha256(document.encode()).hexdigest()[:40]


def check_request(request: PreviewRequest, voices: Sequence[VoiceInfo] | None = None) -> None:
    """What can be known to fail before anything is sent."""
    if not request.text.strip():
        raise ConfigurationError("Type some text to speak first")
    limit = text_limit(request.engine)
    if len(request.text) > limit:
        raise TextTooLongError(len(request.text), limit, request.engine)
    if voices is not None and find(voices, request.voice) is None:
        raise VoiceUnavailableError(request.voice, request.engine, [voice.id for voice in voices])


class ClipState(StrEnum):
    PENDING = "pending"  # asked for, nothing yet
    STREAMING = "streaming"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Clip:
    request: PreviewRequest
    pcm: PcmBuffer = field(default_factory=lambda: PcmBuffer(SAMPLE_RATE))
    state: ClipState = ClipState.PENDING
    error: BaseException | None = None
    from_cache: bool = False
    created_at: float = field(default_factory=time.perf_counter)
    first_audio_at: float | None = None  # perf_counter when the first samples arrived
    _header: bytes = b""

    @property
    def done(self) -> bool:
        return self.state in (ClipState.COMPLETE, ClipState.FAILED, ClipState.CANCELLED)

    @property
    def duration(self) -> float:
        return self.pcm.duration

    def feed(self, chunk: bytes) -> None:
        """A piece of the response body as it arrived."""
        if self.request.output_format == "wav_16000" and len(self._header) < WAV_HEADER_SIZE:
            self._header += chunk
            if len(self._header) < WAV_HEADER_SIZE:
                return
            header, chunk = self._header[:WAV_HEADER_SIZE], self._header[WAV_HEADER_SIZE:]
            self._header = header
            info = parse_wav_header(header)
            if (info.channels, info.sample_rate, info.bits) != (1, SAMPLE_RATE, 16):
                raise ProtocolError(f"The text-to-speech service sent {info.channels}-channel {info.bits}-bit audio "
                                    f"at {info.sample_rate} Hz; the studio expects 16 kHz mono 16-bit")
        if chunk:
            if self.first_audio_at is None:
                self.first_audio_at = time.perf_counter()
            self.state = ClipState.STREAMING
            self.pcm.append(chunk)

    def load(self, samples: npt.ArrayLike) -> None:
        """The whole clip at once (from the cache)."""
        self.first_audio_at = time.perf_counter()
        self.pcm.extend(samples)
        self.from_cache = True
        self.finish()

    def finish(self) -> None:
        if self.request.output_format == "wav_16000" and len(self._header) < WAV_HEADER_SIZE and not self.from_cache:
            self.fail(ProtocolError("The text-to-speech service ended the answer before any audio"))
            return
        self.state = ClipState.COMPLETE
        self.pcm.finish()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.state = ClipState.CANCELLED if isinstance(error, CancelledPreview) else ClipState.FAILED
        if not self.pcm.complete:
            self.pcm.finish()


class CancelledPreview(Exception):  # noqa: N818 - a state, not a fault
    """The preview was cancelled (Stop, or another preview replaced it)."""

    def __init__(self) -> None:
        super().__init__("Cancelled")


def peaks(samples: npt.NDArray[np.int16], bucket: int) -> npt.NDArray[np.float32]:
    """The loudest sample of each whole ``bucket`` of ``samples``, from 0 to 1 (for drawing a waveform)."""
    whole = len(samples) - len(samples) % bucket
    if whole <= 0:
        return np.zeros(0, dtype=np.float32)
    blocks = np.abs(samples[:whole].astype(np.int32)).reshape(-1, bucket)
    loudest: npt.NDArray[np.float32] = (blocks.max(axis=1) / 32768.0).astype(np.float32)
    return loudest
