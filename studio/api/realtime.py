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

The parts: ``realtime_options`` (``RealtimeOptions``, ``AUTO``, the masked library logger), ``realtime_receive``
(a session's state and its reader task), ``realtime_session`` (``RealtimeSession``: counters, listeners, sending,
``end``); this module opens sessions (``RealtimeClient``). Import all of them from here.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

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
    http_error,
)
from studio.api.http import SDK_ID, USER_AGENT
from studio.api.realtime_options import (
    AUTO,
    Listener,
    RealtimeOptions,
    library_logger,
    redacted,
    redactor,
)
from studio.api.realtime_session import RealtimeSession

__all__ = ["AUTO", "Listener", "RealtimeClient", "RealtimeOptions", "RealtimeSession"]

log = logging.getLogger(__name__)


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
            redactor.add(token)
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
        log.info("realtime: connecting to %s", redacted(url))
        try:
            return await connect(
                url, additional_headers=headers, user_agent_header=USER_AGENT,
                compression="deflate" if options.compression else None, open_timeout=options.open_timeout,
                ping_interval=options.ping_interval, ping_timeout=options.ping_timeout,
                close_timeout=options.close_timeout, max_size=options.max_message_size, logger=library_logger)
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

