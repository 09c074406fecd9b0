"""The live session runner: sources → aligned 20 ms frames → one realtime session → events for the views.

See ``studio.services.live`` for the public API. Inside:

* ``start()`` sets the timeline's origin, opens the devices (``Devices``), then connects (``connect()`` →
  ``Connection.realtime()``) and starts recognition with the config for these sources on this engine
  (``LiveConfig.transcription_config``) — not at all when no device could be opened. Audio captured while
  the session is starting waits in the outbox and is sent first, so the first words are not lost.
* The pump (``FramePump``) turns device blocks into 20 ms ``pcm_s16le`` frames on the loop; the outbox
  holds them (bounded: ``MAX_BUFFER_SECONDS``) until the sender task sends them — ``AddChannelAudio`` per
  channel in a two-channel session, binary ``AddAudio`` otherwise — with the client's back-pressure.
* The reader task turns every server message into a ``Message`` event (warnings also into a ``Problem``);
  a failure of the session becomes a ``Problem`` in plain words (``advice.explain``) and ``FAILED``.
* ``stop()`` stops the devices, flushes the pump, sends what is left, then ``EndOfStream`` (or
  ``EndOfChannel`` per channel), waits for the remaining finals and ``EndOfTranscript``: ``STOPPED``.
* **Reconnecting** (issue 12, ``studio.services.live.reconnect``): the outbox is a ``ReplayBuffer`` that keeps
  every frame until the service's finals cover it. A connection that fails in a way a retry can fix
  (``reconnect.retryable``) puts the session in ``RECONNECTING`` — capture goes on, the pump keeps filling
  the buffer — and a new session is started with backoff (``Reconnecting`` event before each attempt); the
  frames whose words were not final yet are sent to it first, with the two seconds before them (so it hears
  a word the last final cut in two whole), its times are shifted by where it starts, and what it says about
  audio already final is dropped by time (``Timeline``), so the transcript goes on without a gap or a repeat
  (``Reconnected``). A drop while
  stopping reconnects too, so the last words still arrive. Stop while reconnecting ends at once, saying how
  much audio was not transcribed live (it is in the recording).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from studio.api import messages as m
from studio.api.config import AudioFormat
from studio.api.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    QuotaExceededError,
    RealtimeError,
)
from studio.api.realtime import RealtimeOptions, RealtimeSession
from studio.audio.clock import MONOTONIC, Clock
from studio.audio.ring import AudioRing
from studio.services.advice import explain
from studio.services.capabilities import Capabilities, capabilities
from studio.services.connections import Connection
from studio.services.engine import ActiveEngine, EngineKind
from studio.services.live.bookmarks import Bookmarks
from studio.services.live.config import SESSION_RATE, LiveConfig
from studio.services.live.devices import Devices
from studio.services.live.events import (
    Action,
    EventQueue,
    LiveEvent,
    Message,
    Problem,
    Reconnected,
    Reconnecting,
    SessionState,
    Severity,
    StateChanged,
)
from studio.services.live.pump import FramePump, Tap
from studio.services.live.reconnect import BUFFER_SECONDS, Backoff, ReplayBuffer, Timeline, retryable
from studio.services.live.sources import SourceChoice, SourceFactory, open_source

log = logging.getLogger(__name__)

Connect = Callable[[], Coroutine[Any, Any, Connection]]
MAX_BUFFER_SECONDS = BUFFER_SECONDS  # audio kept per source until its words are final (unsent or being heard)
#: A silent network is noticed within about 17 s (a ping every 5 s, 10 s for its pong, 2 s for the close that
#: cannot get out) instead of the SDKs' 85 s, while the audio waits in the replay buffer.
LIVE_OPTIONS = RealtimeOptions(ping_interval=5.0, ping_timeout=10.0, close_timeout=2.0)
END_ATTEMPTS = 3  # Stop: connections tried for the last words when the connection drops while stopping
TICK_SECONDS = 0.25  # how often silent channels are padded and microphones checked for stalls
END_TIMEOUT = 60.0  # Stop: how long the remaining finals may take


def engine_capabilities(connection: Connection) -> Capabilities:
    """What the engine behind ``connection`` can do (the built-in engine has no API key)."""
    kind = EngineKind.LOCAL if connection.api_key is None else EngineKind.SPEECHMATICS
    return capabilities(ActiveEngine(kind, "", connection.endpoints, True))


def _action(error: BaseException) -> Action:
    if isinstance(error, AuthenticationError | ConfigurationError):
        return Action.SETTINGS
    if isinstance(error, RealtimeError) and error.type in ("invalid_language", "invalid_model", "invalid_config"):
        return Action.SETTINGS
    if isinstance(error, QuotaExceededError | NetworkError | RealtimeError):
        return Action.RETRY
    return Action.NONE


class LiveSession:
    def __init__(self, connect: Connect, choice: SourceChoice, config: LiveConfig, *,
                 source_factory: SourceFactory | None = None, clock: Clock | None = None,
                 capabilities: Capabilities | None = None, options: RealtimeOptions | None = None,
                 end_timeout: float = END_TIMEOUT) -> None:
        self._connect = connect
        self.choice = choice
        self.config = config
        self._factory = source_factory or open_source
        self.clock = clock or MONOTONIC
        self._caps = capabilities
        self._options = options or LIVE_OPTIONS
        self._end_timeout = end_timeout
        self.rate = SESSION_RATE
        self.sample_rate = SESSION_RATE  # of the rings and of what is sent
        self.events = EventQueue()
        self.bookmarks = Bookmarks()
        self.rings: dict[str, AudioRing] = {}
        self.local = False  # the built-in engine answers
        self.reconnects = 0  # connections re-established so far
        self._state = SessionState.IDLE
        self._origin: float | None = None
        self._stopped_at: float | None = None
        self._pump: FramePump | None = None
        self._devices: Devices | None = None
        self._rt: RealtimeSession | None = None
        self._labels: tuple[str, ...] = ()
        self._buffer = ReplayBuffer(choice.channels, self.rate, seconds=MAX_BUFFER_SECONDS)
        self._timeline = Timeline(choice.channels, self.rate)
        self._outbox_ready = asyncio.Event()
        self._outbox_empty = asyncio.Event()
        self._outbox_empty.set()
        self._taps: list[Tap] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._reconnecting: asyncio.Task[bool] | None = None
        self._dropped = asyncio.Event()  # the current connection failed
        self._drop_error: ApiError | None = None
        self._wake_stop = asyncio.Event()  # Stop pressed while reconnecting
        self._start_done = asyncio.Event()
        self._stop_requested = False
        self._finishing = False  # Stop is sending the rest (a drop meanwhile reconnects for the last words)
        self._overflow_told = False
        self._failing = False
        self._failing = False

    # -- what the views pull (thread-safe) -------------------------------------------------------------------
    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def dropped_seconds(self) -> float:
        """Audio never sent because the buffer overflowed (a connection down for more than its bound)."""
        return self._buffer.dropped_seconds

    def buffered_seconds(self) -> float:
        """Audio kept to be sent (or sent again after a reconnect): the source with most."""
        return self._buffer.unsettled_seconds()

    def time_offset(self, label: str) -> float:
        """Seconds added to the current connection's times for source ``label`` (0 before a reconnect)."""
        return self._timeline.offsets.get(label, 0.0)

    def drain(self) -> list[LiveEvent]:
        return self.events.drain()

    def audio_time(self) -> float:
        """Seconds of audio captured so far (the transcript's time base); frozen once stopped."""
        if self._origin is None:
            return 0.0
        end = self._stopped_at if self._stopped_at is not None else self.clock.now()
        return max(0.0, end - self._origin)

    @property
    def origin(self) -> float:
        """The clock reading of audio time 0 (set by ``start``)."""
        if self._origin is None:
            raise RuntimeError("The session has not started")
        return self._origin

    def capture_clock(self, audio_time: float) -> float:
        """The ``time.monotonic()`` reading at which the audio at ``audio_time`` was captured."""
        if self._origin is None:
            raise RuntimeError("The session has not started")
        return self.clock.to_monotonic(self._origin + audio_time)

    def levels(self) -> dict[str, float]:
        """Peak level (0..1) of each channel over its last 50 ms of aligned audio."""
        out = {}
        for label, ring in self.rings.items():
            recent = ring.latest(int(self.rate * 0.05))
            out[label] = float(abs(recent).max()) if len(recent) else 0.0
        return out

    @property
    def channels(self) -> tuple[str, ...]:
        return self.choice.channels

    def delivering(self, label: str) -> bool:
        """Whether the channel's current device has delivered audio yet (devices take a moment to start)."""
        pump = self._pump
        if pump is None or label not in pump.channels:
            return False
        channel = pump.channels[label]
        return channel.source is not None and channel.last_block is not None

    def transcript_channel(self, label: str) -> str | None:
        """The ``channel`` the server's messages carry for the source ``label`` ("Me"/"Them"): the label
        itself in a channel-diarized session, None in a one-stream session."""
        kind = self.choice.kind.value
        return label if label in self.config.channel_labels(kind) else None

    def add_tap(self, tap: Tap) -> Callable[[], None]:
        """``tap(label, frames, audio_time)`` on the loop for every piece of aligned float32 audio at the
        session's rate, silence included (issue 12's recorder). Add it before ``start``."""
        self._taps.append(tap)
        if self._pump is not None:
            return self._pump.add_tap(tap)
        return lambda: self._taps.remove(tap) if tap in self._taps else None

    # -- control (coroutines on the loop) --------------------------------------------------------------------
    async def start(self) -> None:
        """Opens the sources, connects and starts recognition. Never raises for what can go wrong in use: a
        failure is a ``Problem`` event and ``FAILED``."""
        if self._state is not SessionState.IDLE:
            raise ConfigurationError("This live session was already started; make a new one")
        self._set_state(SessionState.CONNECTING)
        try:
            await self._start()
        finally:
            self._start_done.set()
        if self._stop_requested and self._in(SessionState.RUNNING):
            await self._finish()

    async def _start(self) -> None:
        try:
            self.config.validate()
        except ConfigurationError as exc:
            await self._failed(exc)
            return
        loop = asyncio.get_running_loop()
        self._origin = self.clock.now()
        pump = self._pump = FramePump(loop, self.rate, self._origin, on_frame=self._queue_frame,
                                      on_lost=self._lost)
        for tap in self._taps:
            pump.add_tap(tap)
        for label in self.choice.channels:
            self.rings[label] = pump.add_channel(label).view
        devices = self._devices = Devices(pump, self._factory, self.events, self.choice, self.clock)
        # The devices first: no session is started on the service (a paid one, on Speechmatics) when nothing
        # can be captured. Opening takes milliseconds; what they capture while the session starts is kept.
        failures = await devices.open_all()
        if len(failures) == len(self.choice.channels):
            reasons = " ".join(dict.fromkeys(_sentence(f) for f in failures))
            await self._failed(None, f"No audio could be captured: {reasons} Check the sources, or choose "
                                     "others.", Action.SOURCES)
            return
        self._tasks.append(asyncio.create_task(self._tick(), name="live-tick"))
        try:
            rt = await self._open_recognition()
        except ApiError as exc:
            await self._failed(exc)
            return
        self._attach(rt)
        self._set_state(SessionState.RUNNING)

    def _attach(self, rt: RealtimeSession) -> None:
        """Makes ``rt`` the session's connection: a reader and a sender of its own."""
        self._rt = rt
        self._timeline.set_channels(self._labels)
        self._dropped.clear()
        self._drop_error = None
        self._reader = asyncio.create_task(self._read(rt), name="live-read")
        self._sender = asyncio.create_task(self._send(rt), name="live-send")

    async def _open_recognition(self) -> RealtimeSession:
        connection = await self._connect()
        self.local = connection.api_key is None
        caps = self._caps or engine_capabilities(connection)
        self._caps = caps
        kind = self.choice.kind.value
        transcription = self.config.transcription_config(kind, caps)
        self._labels = transcription.channel_diarization_labels
        client = connection.realtime(self._options)
        return await client.start(AudioFormat("pcm_s16le", self.rate), transcription,
                                  translation_config=self.config.translation_config(caps))

    async def update_config(self, config: LiveConfig) -> None:
        """Takes ``config``; while running, sends ``SetRecognitionConfig`` for the fields that may change.
        A change to a field that may not (``LiveConfig.changeable_mid_session``) is a ``ConfigurationError``
        saying why, and nothing is sent."""
        changed = LiveConfig.changed_fields(self.config, config)
        fixed = sorted(f for f in changed if not LiveConfig.changeable_mid_session(f))
        if fixed and self._state.active:
            raise ConfigurationError(LiveConfig.why_fixed(fixed[0]) or "This cannot change during a session")
        config.validate()
        if self._in(SessionState.CONNECTING):  # sent once the session has started, not lost on the way
            await self._start_done.wait()
        rt = self._rt
        if changed and rt is not None and self._state is SessionState.RUNNING and self._caps is not None:
            await rt.set_recognition_config(config.transcription_config(self.choice.kind.value, self._caps))
        self.config = config

    async def bookmark(self, label: str = "") -> float:
        """Marks the audio being captured now; returns its audio time (for ``Transcript.add_bookmark``)."""
        return self.bookmarks.add(self.audio_time(), label).time

    async def stop(self) -> None:
        """Stops capture, sends the rest, ``EndOfStream``, waits for the last finals and ``EndOfTranscript``."""
        if self._state is SessionState.CONNECTING:
            self._stop_requested = True
            await self._start_done.wait()
            if self._in(SessionState.RUNNING):
                await self._finish()
            return
        if self._state is SessionState.RECONNECTING and not self._finishing:
            self._stop_requested = True
            self._wake_stop.set()
            task = self._reconnecting
            if task is not None:
                await asyncio.wait([task])
            if self._in(SessionState.RUNNING):
                await self._finish()
            elif self._in(SessionState.RECONNECTING):
                await self._end_offline()
            return
        if self._state is SessionState.RUNNING:
            await self._finish()

    # -- inside ----------------------------------------------------------------------------------------------
    def _in(self, *states: SessionState) -> bool:
        return self._state in states

    def _set_state(self, state: SessionState) -> None:
        if state is not self._state:
            self._state = state
            self.events.put(StateChanged(state))
            log.info("live session: %s", state.value)

    def _queue_frame(self, label: str, data: bytes, audio_time: float) -> None:
        if not self._buffer.append(label, data, round(audio_time * self.rate)) and not self._overflow_told:
            self._overflow_told = True
            if self._state is SessionState.RECONNECTING:
                text = (f"The connection has been down for more than {MAX_BUFFER_SECONDS:.0f} s: the oldest audio "
                        "is no longer kept for the captions. It is still in the session's recording, which can be "
                        "transcribed afterwards.")
            else:
                text = "The service is not keeping up with the audio; some of it could not be transcribed."
            self.events.put(Problem(text, Severity.WARNING))
        self._outbox_empty.clear()
        self._outbox_ready.set()

    def _lost(self, label: str, reason: str) -> None:
        if self._devices is not None and self._state in (SessionState.CONNECTING, SessionState.RUNNING,
                                                          SessionState.RECONNECTING):
            self._devices.lost(label, reason)

    async def _tick(self) -> None:
        pump, devices = self._pump, self._devices
        assert pump is not None and devices is not None
        while True:
            await asyncio.sleep(TICK_SECONDS)
            pump.fill(self.clock.now())
            devices.check_stalls()

    async def _send(self, rt: RealtimeSession) -> None:
        buffer = self._buffer
        multichannel = bool(self._labels)
        only = self._labels[0] if len(self._labels) == 1 else None
        try:
            while True:
                frame = buffer.pop()
                if frame is None:
                    self._outbox_empty.set()
                    self._outbox_ready.clear()
                    await self._outbox_ready.wait()
                    continue
                if multichannel:
                    await rt.send_channel_audio(only or frame.label, frame.data)
                else:
                    await rt.send_audio(frame.data)
        except ApiError as exc:  # the reader reports the connection's failure; the frame stays unsettled
            log.info("live: sending stopped: %s", exc)

    async def _read(self, rt: RealtimeSession) -> None:
        timeline, buffer = self._timeline, self._buffer
        try:
            async for message in rt:
                message, settled = timeline.adjust(message)
                if settled is not None:
                    buffer.settle(settled, timeline.keep_from(settled))
                self.events.put(Message(message, getattr(message, "channel", None)))
                if isinstance(message, m.ServerWarning):
                    self.events.put(Problem(_warning_text(message), Severity.WARNING))
        except ApiError as exc:
            if rt is not self._rt:
                return
            self._drop_error = exc
            self._dropped.set()
            if self._state is SessionState.RUNNING:
                if retryable(exc) and not self._stop_requested:
                    self._reconnecting = asyncio.create_task(self._reconnect(exc), name="live-reconnect")
                else:
                    await self._failed(exc)
            # STOPPING: _finish sees the drop and reconnects for the last words (or fails)

    async def _reconnect(self, error: ApiError) -> bool:
        """Starts a new session after ``error`` (retryable), with backoff, until it works (True), the user
        stops (False, still RECONNECTING) or an error a retry cannot fix (False, FAILED)."""
        finishing = self._state is SessionState.STOPPING
        self._set_state(SessionState.RECONNECTING)
        lost_at = time.monotonic()
        await self._close_connection()
        backoff = Backoff()
        quota_failures = 0
        reason = explain(error, local=self.local)
        log.info("live: reconnecting after %s", error)
        while True:
            if finishing and backoff.attempt >= END_ATTEMPTS:  # stopping: the user is not kept waiting for ever
                return False
            delay = backoff.next()
            self.events.put(Reconnecting(backoff.attempt, round(delay, 2), self._buffer.unsettled_seconds(), reason))
            if self._stop_requested and not finishing:
                return False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake_stop.wait()
            if self._stop_requested and not finishing:
                return False
            try:
                rt = await self._open_recognition()
            except ApiError as exc:
                quota_failures += isinstance(exc, QuotaExceededError)
                if not retryable(exc, quota_failures, reconnecting=True):
                    await self._failed(exc)
                    return False
                reason = explain(exc, local=self.local)
                log.info("live: reconnect attempt %d failed: %s", backoff.attempt, exc)
                continue
            if self._stop_requested and not finishing:
                await rt.close()
                return False
            replayed = self._buffer.resend_seconds()
            self._timeline.rewound(self._buffer.rewind())
            self._attach(rt)
            self.reconnects += 1
            self._outbox_empty.clear()
            self._outbox_ready.set()
            self._set_state(SessionState.STOPPING if finishing else SessionState.RUNNING)
            self.events.put(Reconnected(backoff.attempt, round(time.monotonic() - lost_at, 3), round(replayed, 3)))
            log.info("live: reconnected after %d attempt(s)", backoff.attempt)
            return True

    async def _close_connection(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
        rt = self._rt
        if rt is not None:
            await rt.close()

    async def _end_offline(self) -> None:
        """Stop pressed while the connection was down: end now, saying what was not transcribed live."""
        self._set_state(SessionState.STOPPING)
        await self._stop_capture()
        if self._pump is not None:
            self._pump.finish(self._stopped_at if self._stopped_at is not None else self.clock.now())
        missing = self._buffer.unsettled_seconds()
        await self._cancel_tasks()
        if missing >= 0.05:
            self.events.put(Problem(f"Stopped while the connection was down: the last {missing:.0f} s of audio "
                                    "were not transcribed live. They are in the session's recording, which can be "
                                    "transcribed afterwards.", Severity.WARNING))
        self._set_state(SessionState.STOPPED)

    async def _finish(self) -> None:
        self._finishing = True
        self._set_state(SessionState.STOPPING)
        await self._stop_capture()
        assert self._rt is not None and self._pump is not None
        self._pump.finish(self._stopped_at if self._stopped_at is not None else self.clock.now())
        for attempt in range(END_ATTEMPTS + 1):
            rt = self._rt
            assert rt is not None
            ending = asyncio.create_task(self._send_rest_and_end(rt), name="live-end")
            dropped = asyncio.create_task(self._dropped.wait(), name="live-end-drop")
            await asyncio.wait([ending, dropped], return_when=asyncio.FIRST_COMPLETED)
            dropped.cancel()
            error: BaseException | None = None
            if ending.done():
                error = ending.exception()
            else:
                ending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await ending
                error = self._drop_error or NetworkError("The connection to the realtime service was lost")
            if error is None:
                break
            if isinstance(error, TimeoutError) or not isinstance(error, ApiError) or not retryable(error) \
                    or attempt == END_ATTEMPTS:
                if self._state in (SessionState.STOPPING, SessionState.RECONNECTING):
                    await self._failed(error if isinstance(error, ApiError) else NetworkError(
                        "The last words did not arrive in time"))
                return
            if not await self._reconnect(error):
                if self._state is SessionState.RECONNECTING:  # not back in time: end without the last words
                    await self._end_offline()
                return
        await self._cancel_tasks()
        self._set_state(SessionState.STOPPED)

    async def _send_rest_and_end(self, rt: RealtimeSession) -> None:
        async with asyncio.timeout(self._end_timeout):
            await self._outbox_empty.wait()
        await rt.end(timeout=self._end_timeout)
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=self._end_timeout)

    async def _stop_capture(self) -> None:
        if self._stopped_at is None and self._origin is not None:
            self._stopped_at = self.clock.now()
        if self._devices is not None:
            await self._devices.close()

    async def _cancel_tasks(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in (*self._tasks, self._sender) if t is not None and t is not current]
        self._tasks, self._sender = [], None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _failed(self, error: BaseException | None, text: str = "", action: Action | None = None) -> None:
        """Ends the session on a failure, telling the user what happened and what to do."""
        if self._failing or self._state in (SessionState.FAILED, SessionState.STOPPED):
            return
        self._failing = True
        said = text or (explain(error, local=self.local) if error is not None else "The session ended.")
        self.events.put(Problem(said, Severity.ERROR, action or (_action(error) if error else Action.NONE)))
        await self._stop_capture()  # FAILED is said once the devices are released
        await self._cancel_tasks()
        if self._rt is not None:
            await self._rt.close()
        self._set_state(SessionState.FAILED)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _warning_text(warning: m.ServerWarning) -> str:
    reason = warning.reason.strip() or warning.type.replace("_", " ")
    reason = reason[0].upper() + reason[1:]
    return reason if reason[-1] in ".!?" else reason + "."
