"""The devices of a running session: opened per channel, watched, and replaced when one is lost.

``Devices(pump, factory, events, choice)`` opens the chosen device of each channel (``open_all``): one that
cannot be opened is reported and replaced by the default device of its kind where there is one. While the
session runs:

* a device that reports itself lost (``sink.lost``: unplugged, the sound server dropped it, a file that
  ended) or a microphone that has sent nothing for ``STALL_SECONDS`` is stopped, and the user is told — the
  other channel keeps going, and the lost channel is padded with silence so both stay in step
  (``FramePump.fill``);
* capture then resumes on the **default** device of that kind, tried again with a growing pause until it
  works or the session stops; the user is told where it resumed (``Problem`` at ``INFO``, ``SourceChanged``).

Everything here runs on the event loop; opening and closing devices happens in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from studio.audio.clock import Clock
from studio.audio.frames import AudioSource, AudioUnavailableError
from studio.services.live.config import ME
from studio.services.live.events import Action, EventQueue, Problem, Severity, SourceChanged
from studio.services.live.pump import FramePump
from studio.services.live.sources import SourceChoice, SourceFactory

log = logging.getLogger(__name__)

STALL_SECONDS = 6.0  # a microphone silent this long (no blocks at all) is taken as lost
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0)  # between attempts to resume on the default device (the last repeats)


def what(channel: str) -> str:
    return "microphone" if channel == ME else "system audio"


class Devices:
    def __init__(self, pump: FramePump, factory: SourceFactory, events: EventQueue, choice: SourceChoice,
                 clock: Clock) -> None:
        self.pump = pump
        self.factory = factory
        self.events = events
        self.choice = choice
        self.clock = clock
        self.sources: dict[str, AudioSource] = {}
        self._attached_at: dict[str, float] = {}
        self._resuming: dict[str, asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()  # lost devices being closed
        self._closed = False

    async def _open(self, channel: str, source_id: str | None) -> AudioSource:
        source = await asyncio.to_thread(self.factory, channel, source_id)
        ring = self.pump.ring_for(channel, source)
        try:
            await asyncio.to_thread(source.start, ring)
        except BaseException:
            self.pump.detach(channel)
            raise
        self.sources[channel] = source
        self._attached_at[channel] = self.clock.now()
        self.events.put(SourceChanged(channel, source.source_id, source.label))
        return source

    async def open_all(self) -> list[str]:
        """Opens each channel's device (the default one if the chosen one fails); returns the reasons of the
        channels that could not be opened at all (those are retried in the background)."""
        failures: list[str] = []
        for channel in self.choice.channels:
            chosen = self.choice.source_id(channel)
            try:
                await self._open(channel, chosen)
                continue
            except AudioUnavailableError as exc:
                reason = str(exc)
            if chosen is not None:
                try:
                    source = await self._open(channel, None)
                    self.events.put(Problem(f"{_sentence(reason)} Using the default {what(channel)}, "
                                            f"“{source.label}”, instead.", Severity.WARNING, Action.SOURCES))
                    continue
                except AudioUnavailableError as exc:
                    if _sentence(str(exc)) != _sentence(reason):
                        reason = f"{_sentence(reason)} {_sentence(str(exc))}"
            failures.append(reason)
        if len(failures) < len(self.choice.channels):
            for channel in self.choice.channels:
                if channel not in self.sources:
                    self.events.put(Problem(f"{_sentence(failures[0])} Captions go on without the "
                                            f"{what(channel)}; the studio keeps trying the default one.",
                                            Severity.WARNING, Action.SOURCES))
                    self._resume_later(channel)
        return failures

    def closed(self) -> bool:
        return self._closed

    def lost(self, channel: str, reason: str) -> None:
        """Called by the pump (on the loop) when a channel's device reported itself lost."""
        source = self.sources.pop(channel, None)
        if self._closed or source is None:
            return
        others = [c for c in self.sources if c != channel]
        goes_on = f" Captions go on from the {what(others[0])}." if others else ""
        self.events.put(Problem(f"The {what(channel)} “{source.label}” stopped delivering audio ({reason}).{goes_on} "
                                f"The studio will switch to the default {what(channel)} as soon as it can.",
                                Severity.WARNING, Action.SOURCES))
        self.events.put(SourceChanged(channel, None, ""))
        self.pump.detach(channel)
        closing = asyncio.create_task(asyncio.to_thread(source.stop), name=f"live-close-{channel}")
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        self._resume_later(channel)

    def _resume_later(self, channel: str) -> None:
        if channel not in self._resuming and not self._closed:
            self._resuming[channel] = asyncio.create_task(self._resume(channel), name=f"live-resume-{channel}")

    async def _resume(self, channel: str) -> None:
        try:
            attempt = 0
            while not self.closed():
                await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
                attempt += 1
                if self.closed():
                    return
                try:
                    source = await self._open(channel, None)
                except AudioUnavailableError as exc:
                    log.info("live: %s not resumed yet: %s", channel, exc)
                    continue
                if self.closed():  # stopped while it was opening
                    await asyncio.to_thread(source.stop)
                    return
                self.events.put(Problem(f"Capture of the {what(channel)} resumed on the default device, "
                                        f"“{source.label}”.", Severity.INFO))
                return
        finally:
            self._resuming.pop(channel, None)

    def check_stalls(self) -> None:
        """A microphone that has sent nothing for ``STALL_SECONDS`` is lost (loopbacks may be silent)."""
        now = self.clock.now()
        for channel, source in list(self.sources.items()):
            if channel != ME:
                continue
            state = self.pump.channels[channel]
            since = state.last_block if state.last_block is not None else self._attached_at.get(channel, now)
            if now - since > STALL_SECONDS and state.ring is not None and state.ring.lost_reason is None:
                state.ring.lost(f"no audio for {STALL_SECONDS:.0f} s")
                log.info("live: %s (%s) stalled", channel, source.label)

    async def close(self) -> None:
        """Stops every device (and any attempt to resume one)."""
        self._closed = True
        for task in list(self._resuming.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sources, self.sources = self.sources, {}
        await asyncio.gather(*(asyncio.to_thread(s.stop) for s in sources.values()), *self._closing,
                             return_exceptions=True)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."
