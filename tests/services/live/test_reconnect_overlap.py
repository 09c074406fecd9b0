"""Reconnected without a repeat when the recogniser's word times are off: a recogniser behind the real local
server that, like Whisper, ends its words a little early (so the last final ends mid-word) and, on a new
connection, names every word it hears any real part of — the tail of a word included, timed from where it
heard it. The server drops the connection mid-word (its fault injection). The new connection therefore
returns finals that overlap what was already final; the session must show each word once, in its place
in the audio, none missing, punctuation once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.api import messages as m
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.local.faults import RealtimeFaults
from studio.local.scripted import ScriptedRecognizer
from studio.local.server import LocalServer, ServerConfig
from studio.services.live import LiveConfig, LiveSession, SessionState, SourceChoice, SourceKind
from studio.services.live.events import Reconnected
from tests.fakes.server import SERVER_KEY
from tests.helpers.wav import write_wav
from tests.services.live.conftest import EventLog, connect_to, file_factory
from tests.services.live.timecode import RATE, locate, noise

SECONDS = 13.0
SPEED = 2.0  # at 4x a loaded machine can stall the file source long enough for silence to be padded in
SENTENCE = "so the plan is that we meet at the station then take the early train north and we will be there by ten"
TEXT = SENTENCE.split()
WORD_SECONDS = 0.45  # every word, back to back from FIRST: a drop always falls inside one
FIRST = 1.0
SENTENCE_ENDS = {5, 11, 17}  # a full stop after these words
LAG = 0.3  # a word is final this long after its end has been heard
HEARD = 0.1  # a word of which this much was heard is named
DROP_AFTER_FRAMES = 400  # 8 s into the recording

Word = tuple[str, float, float]  # text, start, end (seconds of the recording)
TRUTH: list[Word] = [(w, round(FIRST + i * WORD_SECONDS, 3), round(FIRST + (i + 1) * WORD_SECONDS, 3))
                     for i, w in enumerate(TEXT)]


def _result(kind: str, content: str, start: float, end: float) -> dict[str, Any]:
    result: dict[str, Any] = {"type": kind, "start_time": round(start, 3), "end_time": round(end, 3),
                              "alternatives": [{"content": content, "confidence": 0.9, "language": "en"}]}
    if kind == "punctuation":
        result.update(attaches_to="previous", is_eos=True)
    return result


def _message(kind: str, results: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    text = " ".join(str(r["alternatives"][0]["content"]) for r in results)
    return {"message": kind, "results": results,
            "metadata": {"start_time": round(start, 3), "end_time": round(end, 3), "transcript": text}}


class EarlySession:
    """Finds where in the recording its audio starts (the noise locates it), then names words as heard:
    ``early`` seconds off the end of every word (as Whisper's timings often are), a word's tail that it hears
    at the start of its audio named too, from where it heard it."""

    def __init__(self, owner: EarlyRecognizer, early: float) -> None:
        self.owner = owner
        self.early = early
        self.warnings: Sequence[dict[str, Any]] = ()
        self.heard = bytearray()
        self.start: float | None = None  # the recording's time of the first sample it was sent (< 0: silence)
        self.next = 0  # the index in TRUTH of the next word to make final
        self.heard_to = 0.0  # recording time heard up to
        self.named: list[str] = []  # the words it made final

    def _words(self, *, final_all: bool) -> list[dict[str, Any]]:
        assert self.start is not None
        out: list[dict[str, Any]] = []
        start = self.start
        while self.next < len(TRUTH):
            text, word_start, word_end = TRUTH[self.next]
            if word_end <= start + HEARD:  # before its audio began: not this session's
                self.next += 1
                continue
            if not final_all and word_end + LAG > self.heard_to:
                break
            if final_all and min(word_end, self.heard_to) - max(word_start, start) < HEARD:
                break
            begin = max(word_start, start)
            end = max(begin + 0.02, word_end - self.early)
            results = [_result("word", text, begin - start, end - start)]
            if self.next in SENTENCE_ENDS:
                results.append(_result("punctuation", ".", end - start, end - start))
            out.append(_message("AddTranscript", results, begin - start, end - start))
            self.named.append(text)
            self.next += 1
        if not final_all and self.next < len(TRUTH):
            text, word_start, _end = TRUTH[self.next]
            begin = max(word_start, start)
            if self.heard_to - begin >= HEARD:
                out.append(_message("AddPartialTranscript", [_result("word", text, begin - start,
                                                                     self.heard_to - start)],
                                    begin - start, self.heard_to - start))
        return out

    async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[dict[str, Any]]:
        if self.start is None:
            self.heard += audio
            samples = np.frombuffer(bytes(self.heard), dtype="<i2")
            sound = np.flatnonzero(samples)  # a source that opened late is padded with silence first
            if not len(sound) or len(samples) - sound[0] < RATE:  # a second of it to find its place
                return []
            first = int(sound[0])
            self.start = (locate(samples[first:first + RATE], self.owner.reference) - first) / RATE
            self.owner.starts.append(self.start)
        self.heard_to = self.start + audio_seconds
        return self._words(final_all=False)

    async def force_end_of_utterance(self, timestamp: float | None) -> Sequence[dict[str, Any]]:
        return []

    def update_config(self, transcription_config: Mapping[str, Any]) -> None:
        pass

    def speakers(self) -> Sequence[dict[str, Any]]:
        return []

    async def finish(self) -> Sequence[dict[str, Any]]:
        return self._words(final_all=True) if self.start is not None else []


class EarlyRecognizer:
    """The first session of a run ends its words ``early`` s early; a reconnected one times them exactly."""

    def __init__(self, reference: np.ndarray, early: float) -> None:
        self.reference = reference
        self.early = early
        self.sessions: list[EarlySession] = []
        self.starts: list[float] = []
        self.on_open: Any = None
        self._languages = ScriptedRecognizer()

    def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
             translation_config: Mapping[str, Any] | None,
             audio_events_config: Mapping[str, Any] | None) -> EarlySession:
        session = EarlySession(self, self.early if not self.sessions else 0.0)
        self.sessions.append(session)
        if self.on_open is not None:
            self.on_open(len(self.sessions))
        return session

    def language_pack_info(self, language: str) -> dict[str, Any]:
        return self._languages.language_pack_info(language)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "noise.wav", noise(SECONDS), RATE)


@pytest.fixture(params=[0.15, 0.3], ids=["ends-0.15s-early", "ends-0.3s-early"])
def recognizer(request: pytest.FixtureRequest) -> EarlyRecognizer:
    # 0.15 s: the re-heard word lies mostly in final time; 0.3 s (two thirds of a word): mostly after it, so
    # only its overlap with the same old word gives it away.
    return EarlyRecognizer(noise(SECONDS).astype("float64"), float(request.param))


@pytest.fixture
async def server(recognizer: EarlyRecognizer) -> AsyncIterator[LocalServer]:
    async with LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY})), recognizer=recognizer) as running:
        yield running


async def test_finals_of_a_new_connection_that_overlap_what_was_final_are_not_repeated(
        server: LocalServer, recognizer: EarlyRecognizer, recording: Path) -> None:
    def heal(n: int) -> None:
        if n == 2:  # the reconnected session: the network is fine again
            server.faults.realtime = RealtimeFaults()

    recognizer.on_open = heal
    server.faults.realtime.drop_after_frames = DROP_AFTER_FRAMES
    clock = ScaledClock(SPEED)
    made: list[FileSource] = []
    session = LiveSession(connect_to(server.urls), SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=file_factory({"Me": recording}, clock, made=made), clock=clock)
    log = EventLog(session)
    await session.start()
    await asyncio.wait_for(asyncio.to_thread(made[0].finished.wait, 120), 130)
    await session.stop()
    assert log.states[-1] is SessionState.STOPPED
    assert session.reconnects == 1 and len(recognizer.sessions) == 2
    assert [e for e in log.pull() if isinstance(e, Reconnected)]

    lead = recognizer.starts[0]  # the recording's time of the session's audio time 0
    finals = [x for x in log.messages if isinstance(x, m.Transcript) and not x.partial]
    tokens = [(r.content, round(r.start_time + lead, 3), round(r.end_time + lead, 3)) for x in finals
              for r in x.results]
    words = [t for t in tokens if t[0] != "."]
    # Every word once, in order; each full stop once, after its word.
    assert [w for w, _s, _e in words] == TEXT
    assert [w for w, _s, _e in tokens] == [t for i, w in enumerate(TEXT)
                                           for t in ([w, "."] if i in SENTENCE_ENDS else [w])]
    # In its place in the audio (the first connection's ends are early by design), times in order.
    for (word, start, end), (_w, want_start, want_end) in zip(words, TRUTH, strict=True):
        assert start == pytest.approx(want_start, abs=0.03), word
        assert want_end - recognizer.early - 0.03 <= end <= want_end + 0.03, word
    starts = [s for _w, s, _e in tokens]
    assert starts == sorted(starts)
    # The overlap really happened: the new connection heard audio from before the drop's last final and made
    # final again words the first one had (its tail of the word cut in two among them); they were dropped.
    old, new = recognizer.sessions
    assert recognizer.starts[1] < lead + DROP_AFTER_FRAMES * 0.02 - 1.0  # the drop's time in the recording
    assert new.named[0] in old.named and len(old.named) + len(new.named) > len(TEXT)
