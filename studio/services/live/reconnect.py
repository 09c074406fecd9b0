"""Reconnecting a live session without a gap: the replay buffer, the time shift, and when to try again.

**What is kept.** ``ReplayBuffer`` holds, per source, every 20 ms frame that is not yet *settled*: the frames
waiting to be sent and the frames already sent whose words are not final yet. A frame is settled once the
service has sent a final that covers it (the ``AddTranscript`` whose ``metadata.end_time`` reaches past it)
and no partial word of that channel started before it — an acknowledgement (``AudioAdded``) only says that
the service *received* a frame, not that its words came back, so audio that was acknowledged but whose words
were still partial when the connection dropped would be lost if it were not sent again. It also keeps
``CONTEXT_SECONDS`` (2 s) of settled audio before that point. When the connection drops, ``rewind()`` puts
those frames back in front of the queue, and the new session is sent them first: it hears again, from two
seconds before the end of the last final, what the old one had not finished.

**Why two seconds of context.** A final's word times are the recogniser's estimate: Whisper put a word that
ends at 12.3 s at 9.8–11.2 s in one run. Started exactly at the end of the last final, the new session
would hear the tail of that word and write it again ("tomorrow tomorrow morning"), from a fragment that it
often mishears too. Two seconds earlier (usually in the pause before it), it hears the whole word, names it
as the old session did, and the overlap is found by time.

**Times.** The new session counts audio from 0 again. ``rewind()`` gives each source's *offset*: the audio time
of the first frame it will send, which the session adds to every time in the new session's messages
(``shift_times``), so the transcript goes on where it was. What the new session says about audio whose words
were already final is dropped (``drop_settled``), finals and partials alike: a word that ends by the end of
the last final word, or lies mostly before it (its midpoint), and — since word times can be off by more than a
word — a word that begins before it and is the same word as an old final it overlaps (one time slot, one
word: a repeat said twice in a row is two slots and stays). Punctuation goes with the word it follows. A kept
word that begins before the end of the last final word begins at it instead, so times stay in order.

**The bound.** At most ``seconds`` of audio per source (120 s) are kept. Past it the oldest frames go: first
those already sent (the service heard them; only their words are at risk if the connection drops now), then
unsent ones, which are counted in ``dropped_seconds`` (the session says so once). They are still in the
session's recording, which can be transcribed as a batch job afterwards.

**When to try again.** ``retryable(error)``: a dropped or timed-out connection (network cut, server restart,
keepalive timeout), a close that means the service failed (1011 ``internal_error``, 4013 ``job_error``), a
policy close (1008: idle or keepalive limit) and a session that reached its maximum length are retried; an
API key that is refused, a usage quota used up, a configuration or language the service refuses and a
protocol error are not — the session fails and says what to do (``studio.services.advice.explain``); a
handshake cut off while reconnecting is retried (the network is not back yet). A
*concurrent*-session quota is retried a few times (``QUOTA_RETRIES``): the dropped session may still count
against it for a few seconds. ``Backoff`` gives the pauses: 0.5 s, 1, 2, 4, 8, 15, then every 30 s, each
with ±20 % jitter, until the connection is back or the user stops.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from studio.api.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    ProtocolError,
    QuotaExceededError,
    RealtimeError,
    SessionLimitError,
)

BUFFER_SECONDS = 120.0
CONTEXT_SECONDS = 2.0  # settled audio sent again before the first unsettled frame (see "Why two seconds of context")
OVERLAP_SLACK = 0.25  # a re-heard word this close to an old final word of the same text overlaps it
TAIL_WORDS = 12  # final words per source remembered for that comparison
DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
QUOTA_RETRIES = 3
_NEVER_RETRIED = ("not_authorised", "not_allowed", "invalid_model", "invalid_language", "invalid_config",
                  "invalid_audio_type", "invalid_output_format", "invalid_message", "protocol_error",
                  "timelimit_exceeded")


def retryable(error: BaseException, quota_failures: int = 0, *, reconnecting: bool = False) -> bool:
    """Whether reconnecting may fix ``error`` (see the module documentation). ``reconnecting``: the error is
    an attempt to reconnect — a handshake that breaks off (``ProtocolError``: no WebSocket opened) is then a
    network that is not back yet, since the same service opened one before."""
    if reconnecting and isinstance(error, ProtocolError):
        return True
    if isinstance(error, AuthenticationError | ConfigurationError | ProtocolError):
        return False
    if isinstance(error, QuotaExceededError):
        return quota_failures < QUOTA_RETRIES
    if isinstance(error, SessionLimitError):
        return True
    if isinstance(error, RealtimeError):
        return error.type not in _NEVER_RETRIED and (error.retryable or error.code in (1011, 4013, 1008))
    return isinstance(error, NetworkError) or (isinstance(error, ApiError) and error.retryable)


class Backoff:
    def __init__(self, delays: tuple[float, ...] = DELAYS, jitter: float = 0.2, rng: random.Random | None = None):
        self.delays = delays
        self.jitter = jitter
        self.attempt = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        base = self.delays[min(self.attempt, len(self.delays) - 1)]
        self.attempt += 1
        return base * (1.0 + self._rng.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class Frame:
    label: str
    data: bytes
    sample: int  # the audio time of its first sample, in samples of its source


class ReplayBuffer:
    """Frames of every source from capture until settled (see the module documentation). On the loop only."""

    def __init__(self, labels: tuple[str, ...], rate: int, *, seconds: float = BUFFER_SECONDS,
                 frame_samples: int = 320, context: float = CONTEXT_SECONDS) -> None:
        self.rate = rate
        self.limit = max(1, int(seconds * rate / frame_samples))  # frames per source
        self.context = round(context * rate)  # samples of settled audio kept before the settled point
        self._frame_seconds = frame_samples / rate
        self._unsent: deque[Frame] = deque()  # every source, in the order captured
        self._sent: dict[str, deque[Frame]] = {label: deque() for label in labels}
        self._unsent_count = dict.fromkeys(labels, 0)
        self._settled = dict.fromkeys(labels, 0)  # samples before this are settled
        self._next_sample = dict.fromkeys(labels, 0)  # the sample after the last frame appended
        self.dropped_seconds = 0.0  # unsent audio dropped past the bound
        self.trimmed_seconds = 0.0  # sent, unsettled audio dropped past the bound

    def __len__(self) -> int:
        return len(self._unsent)

    def append(self, label: str, data: bytes, sample: int) -> bool:
        """A captured frame; False if the bound made an unsent frame of ``label`` go (the caller warns once)."""
        dropped = False
        if self._unsent_count[label] + len(self._sent[label]) >= self.limit:
            sent = self._sent[label]
            if sent:
                old = sent.popleft()
                self.trimmed_seconds += len(old.data) / 2 / self.rate
            else:
                dropped = self._drop_oldest_unsent(label)
        self._unsent.append(Frame(label, data, sample))
        self._unsent_count[label] += 1
        self._next_sample[label] = sample + len(data) // 2
        return not dropped

    def _drop_oldest_unsent(self, label: str) -> bool:
        for index, frame in enumerate(self._unsent):
            if frame.label == label:
                del self._unsent[index]
                self._unsent_count[label] -= 1
                self.dropped_seconds += len(frame.data) / 2 / self.rate
                return True
        return False

    def pop(self) -> Frame | None:
        """The next frame to send (kept as sent-but-unsettled until ``settle`` covers it)."""
        if not self._unsent:
            return None
        frame = self._unsent.popleft()
        self._unsent_count[frame.label] -= 1
        if frame.sample + len(frame.data) // 2 > self._settled[frame.label] - self.context:
            self._sent[frame.label].append(frame)
        return frame

    def settle(self, label: str, sample: int) -> None:
        """Audio of ``label`` before ``sample`` has its words final: its sent frames are no longer kept."""
        if label not in self._settled or sample <= self._settled[label]:
            return
        self._settled[label] = sample
        sent = self._sent[label]
        while sent and sent[0].sample + len(sent[0].data) // 2 <= sample - self.context:
            sent.popleft()

    def _unsettled_sent(self, label: str) -> int:
        """How many of ``label``'s sent frames are not settled (the rest, at the front, are context)."""
        sent, settled = self._sent[label], self._settled[label]
        context = 0
        for frame in sent:  # at most CONTEXT_SECONDS of frames before the first unsettled one
            if frame.sample + len(frame.data) // 2 > settled:
                break
            context += 1
        return len(sent) - context

    def unsettled_seconds(self) -> float:
        """Audio whose words are not final yet, of the source with most (what a new session must hear)."""
        return max(((self._unsent_count[label] + self._unsettled_sent(label)) * self._frame_seconds
                    for label in self._sent), default=0.0)

    def resend_seconds(self) -> float:
        """Audio already sent that a new connection is sent again (the words not final yet and the context
        before them): the source with most."""
        return max((sum(len(f.data) for f in sent) / 2 / self.rate for sent in self._sent.values()), default=0.0)

    def rewind(self) -> dict[str, int]:
        """For a new connection: the sent frames kept (unsettled, and the context before them) go back in
        front of the queue (in capture order); returns each source's first sample to be sent — the new
        session's time offset, in samples."""
        replay = sorted((f for sent in self._sent.values() for f in sent), key=lambda f: (f.sample, f.label))
        for frame in replay:
            self._unsent_count[frame.label] += 1
        for sent in self._sent.values():
            sent.clear()
        self._unsent.extendleft(reversed(replay))
        offsets = dict(self._next_sample)
        for frame in self._unsent:
            offsets[frame.label] = min(offsets[frame.label], frame.sample)
        return offsets


# -- times ---------------------------------------------------------------------------------------------------

def _shift_result(result: Mapping[str, Any], offset: float) -> dict[str, Any]:
    out = dict(result)
    for key in ("start_time", "end_time"):
        value = out.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = round(value + offset, 3)
    for key in ("spoken_form", "written_form"):  # an entity's parts have their own times
        if isinstance(out.get(key), list):
            out[key] = [_shift_result(part, offset) if isinstance(part, Mapping) else part for part in out[key]]
    return out


def shift_times(raw: Mapping[str, Any], offset: float) -> dict[str, Any]:
    """A server message's JSON with every audio time moved by ``offset`` seconds (results, metadata,
    translations, audio events)."""
    out = dict(raw)
    if isinstance(out.get("results"), list):
        out["results"] = [_shift_result(r, offset) if isinstance(r, Mapping) else r for r in out["results"]]
    if isinstance(out.get("metadata"), Mapping):
        out["metadata"] = _shift_result(out["metadata"], offset)
    if isinstance(out.get("event"), Mapping):
        out["event"] = _shift_result(out["event"], offset)
    return out


@dataclass(frozen=True)
class HeardWord:
    """A final word as the session shows it: where it is (session time) and what it says, compared loosely."""
    start: float
    end: float
    text: str


def _loose(text: str) -> str:
    """A word as compared across connections: letters and digits only, in one case ("Tomorrow," = "tomorrow")."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _content(part: Any) -> str:
    alternatives = part.get("alternatives") if isinstance(part, Mapping) else None
    if isinstance(alternatives, list) and alternatives and isinstance(alternatives[0], Mapping):
        return str(alternatives[0].get("content", ""))
    return ""


def _words_of(result: Mapping[str, Any]) -> str:
    forms = result.get("written_form")
    text = _content(result) or (" ".join(_content(f) for f in forms) if isinstance(forms, list) else "")
    return _loose(text)


def _times(result: Mapping[str, Any]) -> tuple[float, float] | None:
    start, end = result.get("start_time"), result.get("end_time")
    if not isinstance(start, int | float) or not isinstance(end, int | float):
        return None
    return float(start), float(end)


def _heard_before(result: Mapping[str, Any], settled: float, tail: tuple[HeardWord, ...]) -> bool:
    """Whether a word (or entity) of a new connection is about audio whose words were already final."""
    times = _times(result)
    if times is None:
        return False
    start, end = times
    if end <= settled + 0.0005 or (start + end) / 2 <= settled:
        return True
    if start >= settled:
        return False
    text = _words_of(result)
    return bool(text) and any(w.text == text and w.end >= start - OVERLAP_SLACK and w.start <= end for w in tail)


def drop_settled(raw: Mapping[str, Any], settled: float, tail: tuple[HeardWord, ...] = ()) -> dict[str, Any]:
    """A transcript's JSON without what was already final (see "Times" in the module documentation):
    ``settled`` is the end of the last final word, ``tail`` the last final words."""
    results = raw.get("results")
    if not isinstance(results, list):
        return dict(raw)
    kept: list[Any] = []
    changed = False
    dropping = False  # the last word was dropped: so is the punctuation after it
    for result in results:
        if not isinstance(result, Mapping):
            kept.append(result)
            continue
        if result.get("type") == "punctuation":
            times = _times(result)
            if dropping or (not kept and times is not None and times[1] <= settled + 0.0005):
                changed = True
                continue
            kept.append(result)
            continue
        dropping = _heard_before(result, settled, tail)
        if dropping:
            changed = True
            continue
        times = _times(result)
        if times is not None and times[0] < settled:  # begins in final time: begins where it ended
            result = {**result, "start_time": round(settled, 3)}
            changed = True
        kept.append(result)
    if not changed:
        return dict(raw)
    out = dict(raw)
    out["results"] = kept
    if isinstance(out.get("metadata"), Mapping):
        metadata = dict(out["metadata"])
        metadata["transcript"] = _text(kept)
        out["metadata"] = metadata
    return out


def _text(results: list[Any]) -> str:
    text = ""
    for result in results:
        if not isinstance(result, Mapping):
            continue
        content = _content(result)
        if result.get("type") == "punctuation":
            text = text.rstrip(" ") + content + " "
        elif content:
            text += content + " "
    return text


class Timeline:
    """The session's times across connections: each source's offset in the current connection, how far its
    words are final, and the shifting and de-duplicating of what the current connection sends."""

    def __init__(self, labels: tuple[str, ...], rate: int) -> None:
        self.labels = labels
        self.rate = rate
        self.offsets = dict.fromkeys(labels, 0.0)  # seconds added to the current connection's times
        self.final_end = dict.fromkeys(labels, 0.0)  # session time up to which each source's words are final
        self.word_end = dict.fromkeys(labels, 0.0)  # the end of each source's last final word
        self._partial_start: dict[str, float | None] = dict.fromkeys(labels, None)
        self._done_until = dict.fromkeys(labels, -1.0)  # results ending before this are already final
        self._tail: dict[str, deque[HeardWord]] = {label: deque(maxlen=TAIL_WORDS) for label in labels}
        self._seam: dict[str, tuple[HeardWord, ...]] = dict.fromkeys(labels, ())
        self._message_labels: dict[str | None, str] = {}

    def set_channels(self, channels: tuple[str, ...]) -> None:
        """The ``channel`` labels of the connection's messages (empty: one unlabelled stream)."""
        self._message_labels = {label: label for label in channels if label in self.labels}
        if not channels and len(self.labels) == 1:
            self._message_labels[None] = self.labels[0]

    def keep_from(self, label: str) -> int:
        """The first sample of ``label`` whose words are not final (for ``ReplayBuffer.settle``)."""
        start = self._partial_start[label]
        at = self.final_end[label] if start is None else min(self.final_end[label], start)
        return max(0, int(at * self.rate))

    def rewound(self, first_samples: Mapping[str, int]) -> None:
        """A new connection starts at these samples (``ReplayBuffer.rewind``)."""
        for label in self.labels:
            self.offsets[label] = first_samples[label] / self.rate
            self._done_until[label] = self.word_end[label]
            self._seam[label] = tuple(self._tail[label])
            self._partial_start[label] = None

    def adjust(self, message: Any) -> tuple[Any, str | None]:
        """The message as the session shows it (times on the session's clock, results already final
        dropped; ``parse`` re-types a changed one) and the source whose words it settles (or None)."""
        from studio.api import messages as m

        channel = getattr(message, "channel", None)
        label = self._message_labels.get(channel)
        offset = self.offsets[label] if label is not None else min(self.offsets.values(), default=0.0)
        raw: Mapping[str, Any] = message.raw
        changed = False
        if offset and isinstance(message, m.Transcript | m.EndOfUtterance | m.Translation | m.AudioEvent):
            raw, changed = shift_times(raw, offset), True
        if isinstance(message, m.Transcript) and label is not None:
            done = self._done_until[label]
            if done >= 0.0:
                trimmed = drop_settled(raw, done, self._seam[label])
                if trimmed.get("results") != raw.get("results"):
                    raw, changed = trimmed, True
            if changed:
                message = m.parse_server_message(raw)
            results = message.results
            if message.partial:
                self._partial_start[label] = results[0].start_time if results else None
            else:
                end = max([message.metadata.end_time, *(r.end_time for r in results)])
                self.final_end[label] = max(self.final_end[label], end)
                self._partial_start[label] = None
                for result in results:
                    if result.type != "punctuation":
                        self.word_end[label] = max(self.word_end[label], result.end_time)
                        text = result.content or " ".join(w.content for w in result.written_form)
                        self._tail[label].append(HeardWord(result.start_time, result.end_time, _loose(text)))
            return message, label
        if changed:
            message = m.parse_server_message(raw)
        return message, None
