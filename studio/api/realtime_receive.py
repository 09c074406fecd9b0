"""The receiving half of a realtime session (``studio.api.realtime.RealtimeSession`` is built on it): the
session's state, and the reader task — every frame parsed into a typed message, ``AudioAdded`` acknowledgements
counted (the send window reopened), errors, warnings and the close turned into the session's outcome, messages
handed to listeners and to ``async for`` in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from studio.api import messages as m
from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.errors import (
    ApiError,
    ApiTimeoutError,
    NetworkError,
    ProtocolError,
    close_code_error,
    realtime_error,
)
from studio.api.realtime_options import (
    ACK_DIGITS,
    ACK_PREFIX,
    Listener,
    RealtimeOptions,
)

log = logging.getLogger("studio.api.realtime")  # one logger for the realtime client, whichever module speaks


class SessionCore:
    """A realtime session's state and its reader (see the module's docstring)."""

    def __init__(self, ws: ClientConnection, options: RealtimeOptions, audio_format: AudioFormat,
                 config: TranscriptionConfig, channels: tuple[str, ...]) -> None:
        self._ws = ws
        self._options = options
        self._config = config
        self.channels = channels
        self._multichannel = bool(channels)
        self._bytes_per_second = audio_format.bytes_per_second if audio_format.encoding is not None else None
        # audio accounting; a single-channel session counts under the key None
        self._sent: dict[str | None, int] = dict.fromkeys(channels, 0) if channels else {None: 0}
        self._acked: dict[str | None, int] = dict(self._sent)
        self._bytes: dict[str | None, int] = dict(self._sent)
        self._ended: set[str | None] = set()
        self._in_flight = 0
        self._window = options.max_in_flight
        self._resume_at = options.max_in_flight - max(1, options.max_in_flight // 8)
        self._window_open = asyncio.Event()
        self._sender_waiting = False
        # receiving
        self.started: m.RecognitionStarted | None = None
        self.final_speakers: m.SpeakersResult | None = None
        self._started = asyncio.Event()
        self._transcript_done = asyncio.Event()
        self._eot = False  # EndOfTranscript received and delivered: the session's work is complete
        self._eot_seen = False
        self._server_error: m.ServerErrorMessage | None = None
        self._failure: ApiError | None = None
        self._closing = False  # we asked for the close (close(), end(), or after a failure)
        self._terminal = False  # the connection is gone
        self._end_sent = False
        self._speaker_waiters: deque[asyncio.Future[m.SpeakersResult]] = deque()
        self._listeners: list[Listener] = []
        self._inbox: deque[m.ServerMessage] = deque()
        self._readable = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._reader: asyncio.Task[None] | None = None
        self._error_timer: asyncio.TimerHandle | None = None
        self._closer: asyncio.Future[None] | None = None


    async def _begin(self, start: Mapping[str, Any]) -> None:
        self._reader = asyncio.create_task(self._receive(), name="realtime-receive")
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(json.dumps(start))
        try:
            async with asyncio.timeout(self._options.start_timeout):
                await self._started.wait()
        except TimeoutError:
            self._fail(ApiTimeoutError(f"The realtime service did not start the session within "
                                       f"{self._options.start_timeout:g} s"))
        if self._failure is not None:
            await self.close()
            raise self._failure

    async def _receive(self) -> None:
        ws = self._ws
        fast_acks = not self._options.deliver_acks and not self._multichannel
        try:
            while True:
                frame = await ws.recv()
                if not isinstance(frame, str):
                    raise ProtocolError("The realtime service sent a binary frame; only the client sends audio")
                if fast_acks and frame.startswith(ACK_PREFIX) and frame.endswith("}"):
                    digits = frame[ACK_DIGITS:-1]
                    if digits.isascii() and digits.isdigit():
                        self._ack(None, int(digits))
                        continue
                try:
                    data = json.loads(frame)
                except (ValueError, RecursionError):
                    raise ProtocolError("The realtime service sent a frame that is not JSON") from None
                if fast_acks and type(data) is dict and data.get("message") == "AudioAdded" and len(data) == 2:
                    seq_no = data.get("seq_no")
                    if type(seq_no) is int:
                        self._ack(None, seq_no)
                        continue
                await self._handle(self._parse(data))
        except ConnectionClosed as exc:
            self._connection_closed(exc)
        except ApiError as exc:
            self._fail(exc)
        except asyncio.CancelledError:
            self._fail(NetworkError("The realtime session was cancelled"))
            self._terminal = True
            raise
        except Exception as exc:  # a defect here must still end the session with an ApiError
            log.debug("realtime: receive loop failed", exc_info=True)
            self._fail(ProtocolError(f"The realtime service sent something the studio cannot handle "
                                     f"({type(exc).__name__})"))
        finally:
            if self._error_timer is not None:
                self._error_timer.cancel()
            if not self._terminal and ws.state is not State.CLOSED:
                self._closing = True
                with contextlib.suppress(Exception):
                    await ws.close(code=1002 if isinstance(self._failure, ProtocolError) else 1000)
            self._terminal = True
            self._wake()

    @staticmethod
    def _parse(data: Any) -> m.ServerMessage:
        try:
            return m.parse_server_message(data)
        except ApiError:
            raise
        except Exception as exc:  # e.g. RecursionError from absurdly nested results
            raise ProtocolError(f"The realtime service sent a malformed message ({type(exc).__name__})") from None

    async def _handle(self, message: m.ServerMessage) -> None:
        if message.unknown_fields:
            log.debug("realtime: %s has fields the studio does not know: %s", type(message).__name__,
                      ", ".join(message.unknown_fields))
        if isinstance(message, m.AudioAdded):
            self._ack(None, message.seq_no)
            if self._options.deliver_acks:
                await self._deliver(message)
            return
        if isinstance(message, m.ChannelAudioAdded):
            self._ack(message.channel, message.seq_no)
            if self._options.deliver_acks:
                await self._deliver(message)
            return
        if isinstance(message, m.ServerErrorMessage):
            self._on_error(message)
            return
        if isinstance(message, m.RecognitionStarted):
            if self.started is not None:
                log.debug("realtime: a second RecognitionStarted was ignored")
                return
            self.started = message
            log.info("realtime: session %s started", message.id)
        elif isinstance(message, m.EndOfTranscript):
            if self._eot_seen:
                return
            self._eot_seen = True
        elif isinstance(message, m.SpeakersResult):
            waiter = None
            while self._speaker_waiters and waiter is None:
                candidate = self._speaker_waiters.popleft()
                waiter = None if candidate.done() else candidate
            if waiter is not None:
                waiter.set_result(message)
            elif self._end_sent:
                self.final_speakers = message
        elif isinstance(message, m.ServerWarning | m.Info):
            log.info("realtime: %s %s: %s", type(message).__name__, message.type, message.reason)
        elif isinstance(message, m.UnknownMessage):
            log.debug("realtime: ignoring a message of unknown type %r", message.message)
        await self._deliver(message)
        if isinstance(message, m.RecognitionStarted):
            self._started.set()
        elif isinstance(message, m.EndOfTranscript):
            self._eot = True  # only now: the iterator stops once it has yielded this message
            self._transcript_done.set()
            self._fail_speaker_waiters(ProtocolError("The session ended without the speakers that were asked for"))

    async def _deliver(self, message: m.ServerMessage) -> None:
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                log.exception("realtime: a message listener failed")
        limit = self._options.message_buffer
        if limit == 0:
            return
        while len(self._inbox) >= limit and not self._closing:
            self._room.clear()
            await self._room.wait()
        self._inbox.append(message)
        self._readable.set()

    def _ack(self, channel: str | None, seq_no: int) -> None:
        acked = self._acked.get(channel)
        if acked is None:
            raise ProtocolError(f"The realtime service acknowledged audio on an unknown channel {channel!r}")
        if seq_no <= acked:
            log.debug("realtime: stale acknowledgement %d (already %d)", seq_no, acked)
            return
        if seq_no > self._sent[channel]:
            raise ProtocolError(f"The realtime service acknowledged frame {seq_no}, but only "
                                f"{self._sent[channel]} were sent")
        self._in_flight -= seq_no - acked
        self._acked[channel] = seq_no
        if self._sender_waiting and self._in_flight <= self._resume_at:
            self._window_open.set()

    def _on_error(self, message: m.ServerErrorMessage) -> None:
        """An in-band Error: the close that follows supplies the code; if none comes, close anyway."""
        log.info("realtime: Error %s: %s", message.type, message.reason)
        if self._server_error is None:
            self._server_error = message
            loop = asyncio.get_running_loop()
            self._error_timer = loop.call_later(self._options.close_timeout, self._error_without_close)

    def _error_without_close(self) -> None:
        if self._server_error is not None and not self._terminal:
            self._fail(realtime_error(self._server_error.type, self._server_error.reason))
            self._closer = asyncio.ensure_future(self._close_socket())

    def _connection_closed(self, exc: ConnectionClosed) -> None:
        received, sent = exc.rcvd, exc.sent
        code = received.code if received is not None else None
        if self._server_error is not None:
            self._fail(realtime_error(self._server_error.type, self._server_error.reason, code))
            return
        if self._closing or self._eot:
            return
        if received is None:
            if sent is not None and sent.code == 1011:
                self._fail(ApiTimeoutError("The realtime service stopped answering keepalive pings"))
            elif sent is not None and sent.code == 1009:
                self._fail(ProtocolError(f"The realtime service sent a message over "
                                         f"{self._options.max_message_size} bytes"))
            elif sent is not None and sent.code in (1002, 1007):
                self._fail(ProtocolError("The realtime service sent an invalid WebSocket frame"))
            else:
                self._fail(NetworkError("The connection to the realtime service was lost"))
            return
        if received.code in (1000, 1001):
            self._fail(NetworkError("The realtime service closed the session before the transcript was complete"))
            return
        self._fail(close_code_error(received.code, received.reason))

    def _fail(self, error: ApiError) -> None:
        """Records the session's failure (the first one counts) and wakes everyone waiting."""
        if self._failure is None and not self._eot and not (self._closing and isinstance(error, NetworkError)
                                                             and self._server_error is None):
            self._failure = error
            log.info("realtime: session failed: %s", error)
        self._fail_speaker_waiters(error)
        self._wake()

    def _fail_speaker_waiters(self, error: ApiError) -> None:
        while self._speaker_waiters:
            waiter = self._speaker_waiters.popleft()
            if not waiter.done():
                waiter.set_exception(self._failure or error)

    def _wake(self) -> None:
        self._started.set()
        self._window_open.set()
        self._readable.set()
        if self._terminal or self._failure is not None:
            self._transcript_done.set()

    async def _close_socket(self) -> None:
        self._closing = True
        self._room.set()
        with contextlib.suppress(Exception):
            await self._ws.close()

    async def close(self) -> None:
        """Closes the connection (normal closure) and stops the receive loop; safe to call more than once."""
        await self._close_socket()
        reader = self._reader
        if reader is not None and not reader.done():
            await asyncio.wait([reader], timeout=self._options.close_timeout)
            if not reader.done():
                reader.cancel()
                await asyncio.wait([reader])
        self._terminal = True
        self._wake()
