"""The timers of a realtime connection (``Limits``): idle and session-length warnings, then their ``Error``s; the
keepalive limit; the close after ``EndOfTranscript``; the drop-after-seconds fault.
"""

from __future__ import annotations

import asyncio
import logging
import math

from studio.api.errors import CLOSE_CODES
from studio.local.realtime_state import (
    AFTER_TRANSCRIPT_GRACE,
    SessionState,
)

log = logging.getLogger("studio.local.realtime")  # one logger for the realtime API, whichever module speaks


def minutes(seconds: float) -> str:
    """Minutes for a warning's reason: ``15`` for 900 s, ``0.005`` for the shrunk limits of tests."""
    value = seconds / 60.0
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


class SessionTimers(SessionState):
    """The watchdog of ``studio.local.realtime.RealtimeConnection``."""

    async def _countdown(self, kind: str, elapsed: float, since: float, limit: float, warnings: tuple[float, ...],
                         warned: set[float], reason: str) -> float:
        """Sends the ``kind`` warnings now due (``reason`` is formatted with ``left`` and ``elapsed`` minutes)
        and returns the loop time at which the next one falls due."""
        wake = math.inf
        for before in sorted(warnings, reverse=True):
            at = limit - before
            if before in warned or at < 0:
                continue
            if elapsed >= at:
                warned.add(before)
                await self.send({"message": "Warning", "type": kind,
                                 "reason": reason.format(left=minutes(before), elapsed=minutes(at))})
            else:
                wake = min(wake, since + at)
        return wake

    async def _watchdog(self) -> None:
        """Idle and session warnings and limits, the keepalive limit and the drop-after-seconds fault."""
        limits = self.server.config.limits
        while not self.closed:
            now = self.loop.time()
            wake = math.inf
            drop_after = self.server.faults.realtime.drop_after_seconds
            if drop_after is not None:
                if now - self.opened_at >= drop_after:
                    self.drop_connection()
                    return
                wake = min(wake, self.opened_at + drop_after)
            active = now - self.opened_at
            wake = min(wake, await self._countdown(
                "session_timeout", active, self.opened_at, limits.session_timeout, limits.session_warnings,
                self.session_warned, "Session will timeout in {left}m due to max duration, "
                                     "session has been active for {elapsed}m"))
            if active >= limits.session_timeout:
                await self.fail("session_timeout", f"Session reached the maximum duration of "
                                                   f"{minutes(limits.session_timeout)}m")
                return
            wake = min(wake, self.opened_at + limits.session_timeout)
            if self.transcript_sent:
                if now - self.last_activity >= AFTER_TRANSCRIPT_GRACE:
                    await self.close(1000)
                    return
                wake = min(wake, self.last_activity + AFTER_TRANSCRIPT_GRACE)
            elif not self.end_of_stream:
                idle = now - self.last_audio
                wake = min(wake, await self._countdown(
                    "idle_timeout", idle, self.last_audio, limits.idle_timeout, limits.idle_warnings,
                    self.idle_warned, "Session will timeout in {left}m due to inactivity, "
                                      "no audio sent within the last {elapsed}m"))
                if idle >= limits.idle_timeout:
                    await self.fail("idle_timeout", f"Session timed out due to inactivity, no audio sent within "
                                                    f"the last {minutes(limits.idle_timeout)}m")
                    return
                wake = min(wake, self.last_audio + limits.idle_timeout)
            quiet = now - self.last_activity
            if quiet >= limits.keepalive_timeout:
                log.info("realtime session %s: no audio or ping for %.1f s", self.id, quiet)
                await self.close(1008, CLOSE_CODES[1008])
                return
            wake = min(wake, self.last_activity + limits.keepalive_timeout)
            await asyncio.sleep(max(0.0, wake - self.loop.time()) + 0.001)
