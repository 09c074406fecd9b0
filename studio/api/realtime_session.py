"""A started realtime session (``studio.api.realtime``, which documents it): its state and counters, the
listeners, and the sending half — audio (single or multichannel, held back by the in-flight window), the control
messages, ``end()`` and ``close()``. The receiving half is ``studio.api.realtime_receive.SessionCore``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, NoReturn

from websockets.exceptions import ConnectionClosed

from studio.api import messages as m
from studio.api.config import TranscriptionConfig
from studio.api.errors import (
    ApiError,
    ApiTimeoutError,
    ConfigurationError,
    NetworkError,
)
from studio.api.realtime_options import (
    AUTO,
    AutoTimestamp,
    Listener,
)
from studio.api.realtime_receive import SessionCore

log = logging.getLogger("studio.api.realtime")  # one logger for the realtime client, whichever module speaks


class RealtimeSession(SessionCore):
    """One started realtime session; see the module documentation. Made by ``RealtimeClient.start``."""

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

    async def force_end_of_utterance(self, timestamp: float | AutoTimestamp | None = AUTO,
                                     channel: str | None = None) -> None:
        """``ForceEndOfUtterance``; ``AUTO`` stamps it with the seconds of audio sent (on ``channel``)."""
        if channel is not None and channel not in self.channels:
            raise ConfigurationError(f"{channel!r} is not one of this session's channels")
        at: float | None
        if isinstance(timestamp, AutoTimestamp):
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

    async def __aenter__(self) -> RealtimeSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
