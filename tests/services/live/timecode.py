"""The scripted recogniser, made to *listen*: it finds where in a known recording the audio it is sent comes
from, and replays the synthetic script by that position. A fresh session that is sent the middle of the
recording (a reconnect) carries on the script from there, exactly as a real recogniser transcribes what it
hears — so a reconnected run can be compared with an uninterrupted one word for word.

The recording is seeded white noise (``noise``): its autocorrelation is one sharp peak, so the first second
a session receives locates it to the sample (``locate``). Results are timed on the session's own clock
(seconds of audio it received), as the service does; ``TimecodeRecognizer.sent`` keeps every payload the
sessions produced (what the server sent, for the kill-and-recover test).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from studio.local.scripted import ScriptedRecognizer, ScriptedSession, ScriptEntry, synthetic_script

RATE = 16000
LISTEN_SECONDS = 1.0  # audio a session takes to find its place


def noise(seconds: float, *, seed: int = 12, level: float = 0.25, rate: int = RATE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.clip(rng.normal(0.0, level / 2, round(seconds * rate)), -1, 1) * 32767).astype(np.int16)


def locate(heard: np.ndarray, reference: np.ndarray) -> int:
    """The position in ``reference`` of ``heard[0]`` (negative if ``heard`` starts with silence before it)."""
    n = len(reference) + len(heard)
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(reference.astype(np.float64), size) * np.conj(np.fft.rfft(heard.astype(np.float64), size))
    correlation = np.fft.irfft(spectrum, size)
    lag = int(np.argmax(correlation))
    return lag if lag <= len(reference) else lag - size


def _shift(payload: Mapping[str, Any], by: float) -> dict[str, Any]:
    out = dict(payload)
    if isinstance(out.get("results"), list):
        out["results"] = [_shift(r, by) for r in out["results"]]
    if isinstance(out.get("metadata"), Mapping):
        out["metadata"] = _shift(out["metadata"], by)
    for key in ("start_time", "end_time"):
        if isinstance(out.get(key), int | float):
            out[key] = round(float(out[key]) + by, 3)
    return out


class TimecodeSession:
    def __init__(self, owner: TimecodeRecognizer, config: Mapping[str, Any]) -> None:
        self.owner = owner
        self.config = dict(config)
        self.warnings: Sequence[dict[str, Any]] = ()
        self.heard = bytearray()
        self.audio = bytearray()  # everything it was fed
        self.start: float | None = None  # the recording's time of this session's first sample
        self._inner: ScriptedSession | None = None
        self.audio_seconds = 0.0

    def _entries(self, after: float) -> Iterator[ScriptEntry]:
        for entry in synthetic_script(diarization=False):
            if entry.audio_ts > self.owner.script_seconds:
                return
            if entry.audio_ts > after:
                yield entry

    def _out(self, payloads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.start is not None
        out = [_shift(p, -self.start) for p in payloads]
        self.owner.sent.extend(out)
        return out

    async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[dict[str, Any]]:
        self.audio_seconds = audio_seconds
        self.audio += audio
        if self._inner is None:
            self.heard += audio
            samples = np.frombuffer(bytes(self.heard), dtype="<i2")
            sound = np.flatnonzero(samples)  # a device that opened late (a loaded machine) is silence first
            listen = int(LISTEN_SECONDS * RATE)
            if not len(sound) or len(samples) - sound[0] < listen:
                return []
            first = int(sound[0])
            self.start = (locate(samples[first:first + listen], self.owner.reference) - first) / RATE
            self.owner.starts.append(self.start)
            self._inner = ScriptedSession(self._entries(self.start), self.config)
            self._inner._committed = self.start  # what ended before it was heard is not this session's
        return self._out(await self._inner.feed(audio, self.start + audio_seconds))  # type: ignore[operator]

    async def force_end_of_utterance(self, timestamp: float | None) -> Sequence[dict[str, Any]]:
        return []

    def update_config(self, transcription_config: Mapping[str, Any]) -> None:
        self.config.update(transcription_config)

    def speakers(self) -> Sequence[dict[str, Any]]:
        return []

    async def finish(self) -> Sequence[dict[str, Any]]:
        hook = self.owner.on_finish
        if hook is not None:
            await hook(self)
        if self._inner is None:
            return []
        return self._out(await self._inner.finish())


class TimecodeRecognizer(ScriptedRecognizer):
    """``reference``: the recording the sessions are sent; the script runs until ``script_seconds`` of it.
    ``on_open(n)`` is called as the n-th session opens (1-based), before it receives any audio."""

    def __init__(self, reference: np.ndarray, script_seconds: float,
                 on_open: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.reference = reference
        self.script_seconds = script_seconds
        self.on_open = on_open
        self.on_finish: Callable[[TimecodeSession], Awaitable[None]] | None = None  # awaited as a session ends
        self.sessions: list[TimecodeSession] = []
        self.starts: list[float] = []
        self.sent: list[dict[str, Any]] = []

    def open(self, transcription_config: Mapping[str, Any],  # type: ignore[override]
             audio_format: Mapping[str, Any], translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> TimecodeSession:
        session = TimecodeSession(self, transcription_config)
        self.sessions.append(session)
        if self.on_open is not None:
            self.on_open(len(self.sessions))
        return session


def expected_words(script_seconds: float) -> list[str]:
    """Every word the script finalises up to ``script_seconds`` of the recording."""
    words: list[str] = []
    for entry in synthetic_script(diarization=False):
        if entry.audio_ts > script_seconds:
            break
        if entry.payload["message"] == "AddTranscript":
            words += [r["alternatives"][0]["content"] for r in entry.payload["results"] if r["type"] == "word"]
    return words
