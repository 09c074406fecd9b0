"""The frame pump: from each capture's ring to aligned 20 ms frames on the event loop.

One ``Channel`` per source label ("Me", "Them"). Its device writes into a ``FrameRing``
(``studio.audio.frames``) on the capture thread; the ring wakes the pump with ``loop.call_soon_threadsafe``
(batched: one wake-up until the pump has drained). On the loop, the pump takes every block and, in this
order, once per block:

1. **resamples** it to the session's rate (``StreamResampler`` — the only place the studio resamples);
2. **aligns** it on the session's timeline (``ChannelAligner``: silence for gaps, overlaps dropped);
3. hands the aligned audio to every **tap** — ``add_tap(callback(label, frames, audio_time))``, float32 at
   the session's rate, the hook for the recorder of issue 12 — and to the channel's ``view`` ring (recent
   audio for the waveform and meters, read at display rate);
4. cuts it into 20 ms ``pcm_s16le`` frames for ``on_frame(label, data, audio_time)`` (the session's outbox).

A ring whose device reported itself lost is drained and then ``on_lost(label, reason)`` is called once;
``replace(label, source)`` puts a new device on the same channel (its timeline continues). ``fill(now)`` pads
channels that have been silent for ``hold`` seconds; ``finish(stopped_at)`` drains and flushes everything at
Stop and pads every channel to that moment.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from studio.audio.frames import AudioSource, FrameRing, Frames
from studio.audio.resample import StreamResampler
from studio.audio.ring import AudioRing
from studio.services.live.align import ChannelAligner

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.02
RING_SECONDS = 5.0  # capture → loop: how far the loop may fall behind before blocks are dropped (and padded)
VIEW_SECONDS = 60.0  # recent audio kept per channel for the waveform
HOLD_SECONDS = 2.0  # a channel silent this long is padded with silence up to that far behind now

Tap = Callable[[str, Frames, float], None]


@dataclass
class Channel:
    label: str
    aligner: ChannelAligner
    view: AudioRing
    source: AudioSource | None = None
    ring: FrameRing | None = None
    resampler: StreamResampler | None = None
    last_block: float | None = None  # clock reading of the last block's capture
    pending: list[Frames] = field(default_factory=list)  # audio not yet cut into a whole frame
    pending_frames: int = 0
    sent_frames: int = 0  # samples handed to on_frame so far
    lost: bool = False


class FramePump:
    def __init__(self, loop: asyncio.AbstractEventLoop, rate: int, origin: float, *,
                 on_frame: Callable[[str, bytes, float], None], on_lost: Callable[[str, str], None],
                 hold: float = HOLD_SECONDS) -> None:
        self.loop = loop
        self.rate = rate
        self.origin = origin
        self.hold = hold
        self.frame_samples = round(rate * FRAME_SECONDS)
        self._on_frame = on_frame
        self._on_lost = on_lost
        self._taps: list[Tap] = []
        self.channels: dict[str, Channel] = {}

    def add_channel(self, label: str) -> Channel:
        channel = Channel(label, ChannelAligner(self.rate, self.origin),
                          AudioRing(int(self.rate * VIEW_SECONDS), samplerate=self.rate))
        self.channels[label] = channel
        return channel

    def add_tap(self, tap: Tap) -> Callable[[], None]:
        """``tap(label, frames, audio_time)`` for every piece of aligned audio, on the loop; returns the
        function that removes it."""
        self._taps.append(tap)
        return lambda: self._taps.remove(tap) if tap in self._taps else None

    # -- sources ---------------------------------------------------------------------------------------------
    def ring_for(self, label: str, source: AudioSource) -> FrameRing:
        """A fresh ring for ``source`` on channel ``label`` (the device is started by the caller)."""
        channel = self.channels[label]
        if channel.ring is not None:
            self._drain(channel)
            channel.ring.waker = None
        if channel.resampler is not None and channel.source is not None:
            self._place(channel, channel.resampler.flush(), channel.last_block)
        ring = FrameRing(int(source.samplerate * RING_SECONDS))
        channel.source = source
        channel.ring = ring
        channel.resampler = StreamResampler(source.samplerate, self.rate)
        channel.aligner.restart()
        channel.last_block = None
        channel.lost = False
        ring.waker = functools.partial(self.loop.call_soon_threadsafe, self._wake, label, ring)
        return ring

    def detach(self, label: str) -> None:
        """Forget the channel's device (after it was stopped); its timeline stays."""
        channel = self.channels[label]
        if channel.ring is not None:
            self._drain(channel)
            channel.ring.waker = None
        channel.ring = None
        channel.source = None

    # -- the loop side ---------------------------------------------------------------------------------------
    def _wake(self, label: str, ring: FrameRing) -> None:
        channel = self.channels.get(label)
        if channel is None or channel.ring is not ring:
            return  # a ring replaced since: its last blocks were drained when it was
        try:
            self._drain(channel)
        except Exception:
            log.exception("live: the frame pump failed on %s", label)

    def _drain(self, channel: Channel) -> None:
        ring = channel.ring
        if ring is None:
            return
        resampler = channel.resampler
        assert resampler is not None
        for frames, end_time, dropped in ring.read():
            channel.last_block = end_time
            if dropped:  # the loop fell behind and the ring dropped audio: keep the device's frame count true
                channel.aligner.skip(round(dropped * self.rate / resampler.in_rate))
            self._place(channel, resampler.feed(frames), end_time - resampler.held_seconds)
        if ring.lost_reason is not None and not channel.lost:
            channel.lost = True
            self._on_lost(channel.label, ring.lost_reason)

    def _place(self, channel: Channel, frames: Frames, end_time: float | None) -> None:
        if len(frames) == 0 or end_time is None:
            return
        start = channel.aligner.position
        for piece in channel.aligner.place(frames, end_time):  # silence before a late block, then the block
            self._emit(channel, piece, start)
            start += len(piece)

    def _emit(self, channel: Channel, piece: Frames, start: int | None = None) -> None:
        """``start``: the piece's first frame on the timeline (default: it ends where the channel is now)."""
        start_time = (channel.aligner.position - len(piece) if start is None else start) / self.rate
        channel.view.write(piece)
        for tap in list(self._taps):
            try:
                tap(channel.label, piece, start_time)
            except Exception:
                log.exception("live: an audio tap failed")
        channel.pending.append(piece)
        channel.pending_frames += len(piece)
        if channel.pending_frames >= self.frame_samples:
            self._cut(channel, final=False)

    def _cut(self, channel: Channel, *, final: bool) -> None:
        audio = np.concatenate(channel.pending) if len(channel.pending) > 1 else channel.pending[0]
        size = self.frame_samples
        whole = len(audio) if final else len(audio) - len(audio) % size
        pcm = (np.clip(audio[:whole], -1.0, 1.0) * 32767.0).astype("<i2")
        for start in range(0, whole, size):
            self._on_frame(channel.label, pcm[start:start + size].tobytes(), channel.sent_frames / self.rate)
            channel.sent_frames += min(size, whole - start)
        rest = audio[whole:]
        channel.pending = [rest] if len(rest) else []
        channel.pending_frames = len(rest)

    def fill(self, now: float) -> None:
        """Pads every channel that has fallen ``hold`` seconds behind ``now`` (a lost or stalled device)."""
        for channel in self.channels.values():
            silence = channel.aligner.fill_to(now, self.hold)
            if silence is not None:
                self._emit(channel, silence)

    def finish(self, stopped_at: float) -> None:
        """At Stop, after the devices were stopped: everything still in rings and resamplers goes out, and
        every channel is padded to the moment of Stop, so all end together."""
        for channel in self.channels.values():
            if channel.ring is not None:
                self._drain(channel)
                channel.ring.waker = None
            if channel.resampler is not None:
                self._place(channel, channel.resampler.flush(), channel.last_block)
                channel.resampler = None
            silence = channel.aligner.fill_to(stopped_at, 0.0)
            if silence is not None:
                self._emit(channel, silence)
            if channel.pending_frames:
                self._cut(channel, final=True)
