"""The realtime (WebSocket) client of the Speechmatics API: asyncio on ``websockets``, no Qt.

Public API
==========

``RealtimeClient(url, auth=None, options=RealtimeOptions())``
    ``url`` is the realtime endpoint (``wss://eu.rt.speechmatics.com/v2``, ``…/v2/<lang>``, or the local server's);
    its query parameters are kept and ``sm-sdk`` is added. ``auth`` is any ``studio.api.auth.Auth`` (``StaticKey``,
    ``TemporaryKeys``), asked for a token of kind ``"rt"`` per session; None sends no credentials.

    ``await client.start(audio_format, transcription_config, *, translation_config=None, audio_events_config=None)``
        validates the configuration (``ConfigurationError`` before anything is sent), connects, sends
        ``StartRecognition`` and waits for ``RecognitionStarted`` (``Info``/``Warning`` before it are fine), and
        returns a ``RealtimeSession``. ``client.session(...)`` takes the same arguments as an ``async with``
        context manager that closes the session on exit.

``RealtimeOptions`` (frozen): ``ping_interval`` 20 s / ``ping_timeout`` 60 s (library keepalive; None disables),
    ``open_timeout``, ``start_timeout`` (RecognitionStarted), ``end_timeout`` (EndOfTranscript), ``ack_timeout``
    (no ack while the window is full), ``max_in_flight`` (the window of un-acknowledged audio frames),
    ``token_in_query`` (``?jwt=`` instead of the ``Authorization: Bearer`` header), ``app_id`` (``sm-app``),
    ``compression`` (permessage-deflate, off: audio does not compress), ``max_message_size``, ``close_timeout``,
    ``message_buffer`` (messages held for the iterator before reading pauses; 0: listeners only),
    ``deliver_acks`` (also hand ``AudioAdded``/``ChannelAudioAdded`` to the consumer), ``headers``.

``RealtimeSession``
    Receiving — every server message arrives as a typed ``studio.api.messages`` object, in order:
        ``async for message in session`` yields ``Info``/``ServerWarning`` sent before the start, then
        ``RecognitionStarted``, ``Transcript`` (partial or final), ``EndOfUtterance``, ``Translation``,
        ``AudioEvent``, ``SpeakersResult``, ``UnknownMessage`` (types newer than the studio; logged at debug) …
        and finally ``EndOfTranscript``, after which the iteration stops. If the session fails, the iteration
        first yields what arrived before the failure, then raises the failure (an ``ApiError``).
        ``session.add_listener(callback)`` calls ``callback(message)`` synchronously on the event loop for the
        same messages (exceptions are logged, not raised) and returns a function that removes it — the Qt
        bridge forwards from there. Acks are not delivered unless ``deliver_acks``.
        ``await session.wait_closed()`` returns when the connection is gone and raises the failure, if any.
    Sending:
        ``await session.send_audio(data)`` — one binary frame (one ``seq_no``); waits while ``max_in_flight``
        frames are un-acknowledged (back-pressure instead of an unbounded buffer).
        ``await session.send_channel_audio(channel, data)`` / ``await session.end_channel(channel)`` —
        multichannel (``diarization`` ``channel``/``channel_and_speaker``): ``AddChannelAudio`` (base64), acked
        per channel; ``EndOfChannel`` with that channel's ``last_seq_no``.
        ``await session.set_recognition_config(config)`` — the mid-session subset; the language must not change.
        ``await session.force_end_of_utterance(timestamp=AUTO, channel=None)`` — ``AUTO``: seconds of audio sent
        (from bytes; omitted for file streams); ``None`` omits the timestamp (transcribers before 15.2.0).
        ``await session.get_speakers()`` → the ``SpeakersResult`` so far; ``get_speakers(final=True)`` asks for
        the final one, which arrives before ``EndOfTranscript`` and is kept in ``session.final_speakers``.
        ``await session.send_message(dict)`` — any other JSON message, as is.
        ``await session.end(timeout=None)`` — ``EndOfStream`` (``last_seq_no`` = frames sent) or ``EndOfChannel``
        for every open channel, waits for ``EndOfTranscript`` (``end_timeout``), then closes.
        ``await session.close()`` — closes at once (normal closure); also ``async with session``.
    State: ``started`` (``RecognitionStarted``), ``session_id``, ``language_pack_info``, ``channels``,
        ``frames_sent``, ``frames_acked``, ``in_flight``, ``bytes_sent``, ``audio_seconds_sent``, ``latency``
        (keepalive round trip), ``final_speakers``, ``error``, ``closed``.

Errors (``studio.api.errors``): an ``Error`` message or an error close code becomes the typed exception of
``realtime_error``/``close_code_error`` (``AuthenticationError`` for ``not_authorised``, ``QuotaExceededError``,
``SessionLimitError`` for idle/session/keepalive limits, ``RealtimeError`` with ``type``, ``reason`` and ``code``);
a handshake refused over HTTP becomes ``http_error``'s (401 → ``AuthenticationError``); a connection that breaks
becomes ``NetworkError`` (``ApiTimeoutError`` for timeouts); a malformed frame from the service becomes
``ProtocolError``. Unknown message types and unknown fields are logged at debug level and never fatal.
Nothing here logs a token or a URL carrying one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.protocol import State

from studio.api import messages as m
from studio.api.auth import Auth
from studio.api.config import AudioEventsConfig, AudioFormat, TranscriptionConfig, TranslationConfig
from studio.api.endpoints import url_problem, with_query
from studio.api.errors import (
    ApiError,
    ApiTimeoutError,
    ConfigurationError,
    NetworkError,
    ProtocolError,
    close_code_error,
    http_error,
    realtime_error,
)
from studio.api.http import SDK_ID, USER_AGENT
from studio.core.redaction import Redactor

log = logging.getLogger(__name__)

Listener = Callable[[m.ServerMessage], None]
_ACK_PREFIX = '{"message": "AudioAdded", "seq_no": '  # how the service formats most of what it sends
_ACK_DIGITS = len(_ACK_PREFIX)
_redactor = Redactor()


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


#: ``force_end_of_utterance(timestamp=AUTO)``: the seconds of audio sent so far.
AUTO: Final = _Auto()


@dataclass(frozen=True)
class RealtimeOptions:
    """Connection and flow-control settings; the defaults follow the official SDKs (§1.9, §1.10)."""

    ping_interval: float | None = 20.0
    ping_timeout: float | None = 60.0
    open_timeout: float = 10.0
    start_timeout: float = 15.0  # large custom dictionaries can take the service up to 15 s to start
    end_timeout: float = 60.0
    ack_timeout: float | None = 120.0
    max_in_flight: int = 512
    token_in_query: bool = False
    app_id: str | None = None
    compression: bool = False
    max_message_size: int | None = 16 * 1024 * 1024
    close_timeout: float = 5.0
    message_buffer: int = 10_000
    deliver_acks: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if self.max_in_flight < 1:
            raise ConfigurationError("At least one audio frame must be allowed in flight")
        if self.message_buffer < 0:
            raise ConfigurationError("The message buffer cannot be negative")
        for name in ("open_timeout", "start_timeout", "end_timeout", "close_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive")


def _redacted(url: str) -> str:
    return _redactor.redact(url)


class _RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """The ``websockets`` library's logger with secrets masked: at debug level it logs the handshake request,
    whose path may carry ``jwt=`` and whose headers carry the bearer token."""

    def log(self, level: int, msg: object, *args: object, exc_info: Any = None, stack_info: bool = False,
            stacklevel: int = 1, extra: Mapping[str, object] | None = None, **kwargs: object) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg)
        if args:
            with contextlib.suppress(TypeError, ValueError):
                text = text % args
        self.logger.log(level, _redactor.redact(text), exc_info=exc_info, stack_info=stack_info,
                        stacklevel=stacklevel + 1, extra=extra)


_library_logger = _RedactingLogger(logging.getLogger("websockets.client"))


class RealtimeClient:
    """Opens realtime sessions on one endpoint with one way of authenticating."""

    def __init__(self, url: str, auth: Auth | None = None, options: RealtimeOptions | None = None) -> None:
        self.url = url.strip()
        self.auth = auth
        self.options = options or RealtimeOptions()

    async def start(self, audio_format: AudioFormat, transcription_config: TranscriptionConfig, *,
                    translation_config: TranslationConfig | None = None,
                    audio_events_config: AudioEventsConfig | None = None) -> RealtimeSession:
        """A started session (``RecognitionStarted`` received). Raises ``ApiError`` subclasses."""
        problem = url_problem("realtime", self.url)
        if problem:
            raise ConfigurationError(problem)
        self.options.validate()
        audio_format.validate()
        transcription_config.validate()
        if translation_config is not None:
            translation_config.validate()
        labels: tuple[str, ...] = ()
        if (transcription_config.diarization or "").startswith("channel"):
            labels = tuple(transcription_config.channel_diarization_labels)
            if len(set(labels)) != len(labels) or any(not label.strip() for label in labels):
                raise ConfigurationError("Each channel needs its own, non-empty label")
        start = m.start_recognition(
            audio_format.to_dict(), transcription_config.to_dict(),
            translation_config.to_dict() if translation_config is not None else None,
            audio_events_config.to_dict() if audio_events_config is not None else None)
        token = await self.auth.token("rt") if self.auth is not None else None
        if token:
            _redactor.add(token)
        ws = await self._connect(token)
        session = RealtimeSession(ws, self.options, audio_format, transcription_config, labels)
        await session._begin(start)
        return session

    @contextlib.asynccontextmanager
    async def session(self, audio_format: AudioFormat, transcription_config: TranscriptionConfig, *,
                      translation_config: TranslationConfig | None = None,
                      audio_events_config: AudioEventsConfig | None = None) -> AsyncIterator[RealtimeSession]:
        """``start()`` as a context manager; the session is closed on the way out."""
        session = await self.start(audio_format, transcription_config, translation_config=translation_config,
                                   audio_events_config=audio_events_config)
        try:
            yield session
        finally:
            await session.close()

    def session_url(self, token: str | None) -> str:
        """The URL to connect to: ``sm-sdk`` (and ``sm-app``, ``jwt``) added, other parameters kept."""
        params = {"sm-sdk": SDK_ID}
        if self.options.app_id:
            params["sm-app"] = self.options.app_id
        if token and self.options.token_in_query:
            params["jwt"] = token
        return with_query(self.url, **params)

    async def _connect(self, token: str | None) -> ClientConnection:
        options = self.options
        url = self.session_url(token)
        headers = dict(options.headers)
        if token and not options.token_in_query:
            headers["Authorization"] = f"Bearer {token}"
        log.info("realtime: connecting to %s", _redacted(url))
        try:
            return await connect(
                url, additional_headers=headers, user_agent_header=USER_AGENT,
                compression="deflate" if options.compression else None, open_timeout=options.open_timeout,
                ping_interval=options.ping_interval, ping_timeout=options.ping_timeout,
                close_timeout=options.close_timeout, max_size=options.max_message_size, logger=_library_logger)
        except InvalidStatus as exc:
            raise _handshake_error(exc) from None
        except InvalidURI:
            raise ConfigurationError("The realtime URL is not valid") from None
        except TimeoutError:
            raise ApiTimeoutError("The realtime service did not answer in time") from None
        except InvalidHandshake as exc:
            raise ProtocolError(f"The realtime service did not open a WebSocket ({type(exc).__name__})") from None
        except OSError as exc:
            detail = exc.strerror or type(exc).__name__
            raise NetworkError(f"The realtime service could not be reached ({detail})") from None


def _handshake_error(exc: InvalidStatus) -> ApiError:
    response = exc.response
    status = response.status_code
    if status < 400:
        return ProtocolError(f"The realtime URL answered HTTP {status} instead of opening a WebSocket; "
                             f"check the URL")
    body: Any = None
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        body = json.loads(response.body) if response.body else None
    headers = {k.lower(): v for k, v in response.headers.raw_items()}
    return http_error(status, body, headers, service="The realtime service")


class RealtimeSession:
    """One started realtime session; see the module documentation. Made by ``RealtimeClient.start``."""

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

    # -- state -----------------------------------------------------------------------------------------------
    @property
    def session_id(self) -> str | None:
        return self.started.id if self.started else None

    @property
    def language_pack_info(self) -> m.LanguagePackInfo:
        return self.started.language_pack_info if self.started else m.LanguagePackInfo()

    @property
    def frames_sent(self) -> int:
        return sum(self._sent.values())

    @property
    def frames_acked(self) -> int:
        return sum(self._acked.values())

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def bytes_sent(self) -> int:
        return sum(self._bytes.values())

    @property
    def audio_seconds_sent(self) -> float | None:
        """Seconds of raw audio sent (the longest channel's); None for a file stream."""
        if self._bytes_per_second is None:
            return None
        return max(self._bytes.values()) / self._bytes_per_second

    @property
    def latency(self) -> float:
        """The last keepalive round trip in seconds (0 before the first pong)."""
        return float(self._ws.latency)

    @property
    def error(self) -> ApiError | None:
        return self._failure

    @property
    def closed(self) -> bool:
        return self._terminal

    # -- receiving -------------------------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Calls ``listener(message)`` for every delivered message; returns the function that removes it."""
        self._listeners.append(listener)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return remove

    def __aiter__(self) -> AsyncIterator[m.ServerMessage]:
        if self._options.message_buffer == 0:
            raise ConfigurationError("This session keeps no messages to iterate over (message_buffer is 0)")
        return self._messages()

    async def _messages(self) -> AsyncIterator[m.ServerMessage]:
        while True:
            if self._inbox:
                message = self._inbox.popleft()
                if len(self._inbox) < self._options.message_buffer:
                    self._room.set()
                yield message
                if isinstance(message, m.EndOfTranscript):
                    return
                continue
            if self._terminal or self._eot:
                if self._failure is not None and not self._eot:
                    raise self._failure
                return
            self._readable.clear()
            await self._readable.wait()

    async def wait_closed(self) -> None:
        """Waits until the connection is gone; raises the session's failure, if it failed."""
        if self._reader is not None:
            await asyncio.wait([self._reader])  # never raises the reader's outcome, never cancels it
        if self._failure is not None and not self._eot:
            raise self._failure

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
                if fast_acks and frame.startswith(_ACK_PREFIX) and frame.endswith("}"):
                    digits = frame[_ACK_DIGITS:-1]
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

    # -- sending ---------------------------------------------------------------------------------------------
    def _check_sendable(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._terminal or self._closing:
            raise ConfigurationError("The realtime session is closed")

    async def _send(self, frame: str | bytes) -> None:
        try:
            await self._ws.send(frame)
        except ConnectionClosed:
            await self._lost()

    async def _lost(self) -> NoReturn:
        """A send found the connection closed: the receive loop works out why; give it a moment to do so."""
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=self._options.close_timeout)
        raise self._failure or NetworkError("The connection to the realtime service was lost") from None

    async def _wait_for_window(self) -> None:
        """Back-pressure: waits until the service has acknowledged enough frames."""
        self._sender_waiting = True
        try:
            async with asyncio.timeout(self._options.ack_timeout):
                while self._in_flight >= self._window:
                    self._check_sendable()
                    self._window_open.clear()
                    await self._window_open.wait()
        except TimeoutError:
            self._fail(ApiTimeoutError(f"The realtime service acknowledged no audio for "
                                       f"{self._options.ack_timeout:g} s"))
            await self._close_socket()
            raise self._failure or ApiTimeoutError("No acknowledgement") from None
        finally:
            self._sender_waiting = False
        self._check_sendable()

    async def send_audio(self, data: bytes) -> None:
        """One binary audio frame; waits while ``max_in_flight`` frames are un-acknowledged."""
        # The hot path of a fast stream: a handful of attribute reads, one await.
        if self._failure is not None or self._terminal or self._closing or self._end_sent or self._multichannel:
            self._refuse_audio()
        if self._in_flight >= self._window:
            await self._wait_for_window()
        self._sent[None] += 1
        self._bytes[None] += len(data)
        self._in_flight += 1
        try:
            await self._ws.send(data)
        except ConnectionClosed:
            await self._lost()

    def _refuse_audio(self) -> None:
        if self._multichannel:
            raise ConfigurationError("A multichannel session takes audio with send_channel_audio()")
        self._check_sendable()
        raise ConfigurationError("The end of the stream was already sent")

    async def send_channel_audio(self, channel: str, data: bytes) -> None:
        """``AddChannelAudio`` for one channel of a multichannel session (shares the in-flight window)."""
        if channel not in self.channels:
            raise ConfigurationError(f"{channel!r} is not one of this session's channels")
        self._check_sendable()
        if channel in self._ended:
            raise ConfigurationError(f"Channel {channel!r} was already ended")
        if self._in_flight >= self._window:
            await self._wait_for_window()
        self._sent[channel] += 1
        self._bytes[channel] += len(data)
        self._in_flight += 1
        await self._send(json.dumps(m.add_channel_audio(channel, data)))

    async def end_channel(self, channel: str) -> None:
        """``EndOfChannel`` with the number of frames sent on ``channel``."""
        if channel not in self.channels:
            raise ConfigurationError(f"{channel!r} is not one of this session's channels")
        self._check_sendable()
        if channel in self._ended:
            return
        self._ended.add(channel)
        await self._send(json.dumps(m.end_of_channel(channel, self._sent[channel])))

    async def send_message(self, message: Mapping[str, Any]) -> None:
        """Any JSON message, sent as given."""
        self._check_sendable()
        await self._send(json.dumps(dict(message)))

    async def set_recognition_config(self, config: TranscriptionConfig) -> None:
        """``SetRecognitionConfig`` with ``config``'s mid-session fields; the language must stay the same."""
        config.validate()
        if config.language != self._config.language:
            raise ConfigurationError(f"The language cannot change during a session "
                                     f"({self._config.language} to {config.language})")
        await self.send_message(m.set_recognition_config(config.mid_session()))
        self._config = config

    async def force_end_of_utterance(self, timestamp: float | _Auto | None = AUTO,
                                     channel: str | None = None) -> None:
        """``ForceEndOfUtterance``; ``AUTO`` stamps it with the seconds of audio sent (on ``channel``)."""
        if channel is not None and channel not in self.channels:
            raise ConfigurationError(f"{channel!r} is not one of this session's channels")
        at: float | None
        if isinstance(timestamp, _Auto):
            if self._bytes_per_second is None:
                at = None
            else:
                sent = self._bytes[channel] if channel is not None else max(self._bytes.values())
                at = sent / self._bytes_per_second
        else:
            at = timestamp
        if at is not None and at < 0:
            raise ConfigurationError("The end-of-utterance timestamp cannot be negative")
        await self.send_message(m.force_end_of_utterance(at, channel))

    async def get_speakers(self, *, final: bool = False, timeout: float | None = 10.0) -> m.SpeakersResult | None:
        """The speakers identified so far; with ``final``, asks for them at the end and returns None."""
        if final:
            await self.send_message(m.get_speakers(True))
            return None
        self._check_sendable()
        waiter: asyncio.Future[m.SpeakersResult] = asyncio.get_running_loop().create_future()
        self._speaker_waiters.append(waiter)
        await self.send_message(m.get_speakers(False))
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            raise ApiTimeoutError("The realtime service did not send the speakers in time") from None
        finally:
            with contextlib.suppress(ValueError):
                self._speaker_waiters.remove(waiter)

    async def end(self, timeout: float | None = None) -> None:
        """Ends the stream, waits for ``EndOfTranscript`` and closes the connection."""
        if not self._end_sent and not self._eot:
            self._check_sendable()
            self._end_sent = True
            if self._multichannel:
                for channel in self.channels:
                    await self.end_channel(channel)
            else:
                self._ended.add(None)
                await self._send(json.dumps(m.end_of_stream(self._sent[None])))
        limit = timeout if timeout is not None else self._options.end_timeout
        try:
            async with asyncio.timeout(limit):
                await self._transcript_done.wait()
        except TimeoutError:
            self._fail(ApiTimeoutError(f"The realtime service did not finish the transcript within {limit:g} s"))
        if not self._eot:
            await self.close()
            raise self._failure or NetworkError("The realtime session ended before the transcript was complete")
        await self.close()

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

    async def __aenter__(self) -> RealtimeSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
