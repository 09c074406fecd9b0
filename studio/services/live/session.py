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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
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
    SessionState,
    Severity,
    StateChanged,
)
from studio.services.live.pump import FramePump, Tap
from studio.services.live.sources import SourceChoice, SourceFactory, open_source

log = logging.getLogger(__name__)

Connect = Callable[[], Coroutine[Any, Any, Connection]]
MAX_BUFFER_SECONDS = 120.0  # audio waiting to be sent (while connecting, or a slow service) before the oldest goes
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
        self._options = options or RealtimeOptions()
        self._end_timeout = end_timeout
        self.rate = SESSION_RATE
        self.sample_rate = SESSION_RATE  # of the rings and of what is sent
        self.events = EventQueue()
        self.bookmarks = Bookmarks()
        self.rings: dict[str, AudioRing] = {}
        self.local = False  # the built-in engine answers
        self.dropped_seconds = 0.0  # audio dropped because the outbox overflowed
        self._state = SessionState.IDLE
        self._origin: float | None = None
        self._stopped_at: float | None = None
        self._pump: FramePump | None = None
        self._devices: Devices | None = None
        self._rt: RealtimeSession | None = None
        self._labels: tuple[str, ...] = ()
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._outbox_limit = int(MAX_BUFFER_SECONDS / 0.02) * len(choice.channels)
        self._outbox_ready = asyncio.Event()
        self._outbox_empty = asyncio.Event()
        self._outbox_empty.set()
        self._taps: list[Tap] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._start_done = asyncio.Event()
        self._stop_requested = False
        self._overflow_told = False
        self._failing = False

    # -- what the views pull (thread-safe) -------------------------------------------------------------------
    @property
    def state(self) -> SessionState:
        return self._state

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
        self._rt = rt
        self._reader = asyncio.create_task(self._read(rt), name="live-read")
        self._tasks.append(asyncio.create_task(self._send(rt), name="live-send"))
        self._set_state(SessionState.RUNNING)

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

    def _queue_frame(self, label: str, data: bytes, _audio_time: float) -> None:
        outbox = self._outbox
        if len(outbox) >= self._outbox_limit:
            outbox.popleft()
            self.dropped_seconds += 0.02
            if not self._overflow_told:
                self._overflow_told = True
                self.events.put(Problem("The service is not keeping up with the audio; some of it could not be "
                                        "transcribed.", Severity.WARNING))
        outbox.append((label, data))
        self._outbox_empty.clear()
        self._outbox_ready.set()

    def _lost(self, label: str, reason: str) -> None:
        if self._devices is not None and self._state in (SessionState.CONNECTING, SessionState.RUNNING):
            self._devices.lost(label, reason)

    async def _tick(self) -> None:
        pump, devices = self._pump, self._devices
        assert pump is not None and devices is not None
        while True:
            await asyncio.sleep(TICK_SECONDS)
            pump.fill(self.clock.now())
            devices.check_stalls()

    async def _send(self, rt: RealtimeSession) -> None:
        outbox = self._outbox
        multichannel = bool(self._labels)
        only = self._labels[0] if len(self._labels) == 1 else None
        try:
            while True:
                if not outbox:
                    self._outbox_empty.set()
                    self._outbox_ready.clear()
                    await self._outbox_ready.wait()
                    continue
                label, data = outbox.popleft()
                if multichannel:
                    await rt.send_channel_audio(only or label, data)
                else:
                    await rt.send_audio(data)
        except ApiError as exc:  # the reader reports the session's failure
            log.info("live: sending stopped: %s", exc)

    async def _read(self, rt: RealtimeSession) -> None:
        try:
            async for message in rt:
                self.events.put(Message(message, getattr(message, "channel", None)))
                if isinstance(message, m.ServerWarning):
                    self.events.put(Problem(_warning_text(message), Severity.WARNING))
        except ApiError as exc:
            if self._state in (SessionState.RUNNING, SessionState.STOPPING):
                await self._failed(exc)

    async def _finish(self) -> None:
        self._set_state(SessionState.STOPPING)
        await self._stop_capture()
        rt = self._rt
        assert rt is not None and self._pump is not None
        self._pump.finish(self._stopped_at if self._stopped_at is not None else self.clock.now())
        try:
            async with asyncio.timeout(self._end_timeout):
                await self._outbox_empty.wait()
            await rt.end(timeout=self._end_timeout)
            if self._reader is not None:
                await asyncio.wait([self._reader], timeout=self._end_timeout)
        except (ApiError, TimeoutError) as exc:
            if self._state is SessionState.STOPPING:
                await self._failed(exc if isinstance(exc, ApiError) else NetworkError(
                    "The last words did not arrive in time"))
            return
        await self._cancel_tasks()
        self._set_state(SessionState.STOPPED)

    async def _stop_capture(self) -> None:
        if self._stopped_at is None and self._origin is not None:
            self._stopped_at = self.clock.now()
        if self._devices is not None:
            await self._devices.close()

    async def _cancel_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
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
