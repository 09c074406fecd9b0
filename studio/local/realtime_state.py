"""The state one realtime connection's parts share (``studio.local.realtime``): its inputs (``Channel``), the
queue of work for the recogniser (``Command``), and ``SessionState`` — the attributes and the primitives every part
uses to answer: ``send``, ``close``, ``fail`` (an ``Error`` and its close code), ``drop_connection`` (a fault).

The connection is one class made of parts, each in a module of its own: ``realtime_messages`` (what the client
sends), ``realtime_worker`` (the recogniser's task), ``realtime_timers`` (warnings and limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from studio.api.errors import CLOSE_CODES, ERROR_CLOSE_CODES
from studio.local.engines import RecognitionSession
from studio.local.file_audio import FileDecoder

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger("studio.local.realtime")  # one logger for the realtime API, whichever module speaks

FILE_DECODE_FORMAT: Mapping[str, Any] = {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
MAX_FILE_BYTES = 1024**3  # a file stream is kept in memory (its decoder may seek back) until the end
FILE_PCM_RATE = 2 * 16000  # bytes per second of the decoded file audio (FILE_DECODE_FORMAT)
MAX_MESSAGE_BYTES = 64 * 1024**2
ENGINE_BACKLOG_BYTES = 32 * 1024**2  # audio waiting for the recogniser before the reader stops reading
CLOSE_TIMEOUT = 5.0  # how long a close waits for the client's close frame
AFTER_TRANSCRIPT_GRACE = 10.0  # the client closes after EndOfTranscript; if it does not, the server does
ACK = '{"message": "AudioAdded", "seq_no": %d}'


@dataclass
class Channel:
    """One input of a session (a single-channel session has one, labelled None)."""

    label: str | None
    engine: RecognitionSession
    bytes_per_second: int  # of the audio the engine is fed (a file stream: its decoded PCM)
    seq_no: int = 0  # frames received (acks sent)
    bytes_fed: int = 0
    audio_seconds: float = 0.0
    ended: bool = False  # EndOfChannel / EndOfStream received
    flushed: bool = False  # the engine's finish() has run
    decoder: FileDecoder | None = None  # a ``type: file`` stream, decoded as it arrives
    pcm: bytearray = field(default_factory=bytearray)  # decoded file audio not yet fed to the engine
    pcm_queued: bool = False  # a "decoded" command is waiting in the queue


@dataclass
class Command:
    kind: str  # "audio", "decoded", "force", "speakers", "config", "end_channel", "end"
    channel: Channel | None = None
    data: bytearray | None = None
    value: Any = None


class SessionState:
    """What one connection knows, and how it answers (see the module's docstring)."""

    def __init__(self, server: LocalServer, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.server = server
        self.request = request
        self.ws = ws
        self.loop = asyncio.get_running_loop()
        self.path_language: str | None = request.match_info.get("lang")
        self.id = str(uuid.uuid4())
        now = self.loop.time()
        self.opened_at = now
        self.last_audio = now
        self.last_activity = now  # audio or ping
        self.idle_warned: set[float] = set()
        self.session_warned: set[float] = set()
        self.started = False
        self.end_of_stream = False
        self.transcript_sent = False
        self.closed = False  # no more messages go out (an Error, a close or a drop happened)
        self.dropped = False
        self.counted = False
        self.frames = 0  # every audio frame received (all channels), for faults
        self.warned_after_eos = False
        self.fault_warning_sent = False
        self.config: dict[str, Any] = {}
        self.audio_format: dict[str, Any] = {}
        self.translation: Mapping[str, Any] | None = None
        self.audio_events: Mapping[str, Any] | None = None
        self.channels: dict[str | None, Channel] = {}
        self.multichannel = False
        self.final_speakers = False
        self.commands: deque[Command] = deque()
        self.backlog = 0  # bytes of audio in ``commands``
        self.work = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()
        self.tasks: list[asyncio.Task[Any]] = []

    async def send(self, payload: Mapping[str, Any]) -> None:
        await self.send_text(json.dumps(payload))

    async def send_text(self, text: str) -> None:
        if self.closed or self.ws.closed:
            return
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError):  # the client went away; the reader sees the close
            self.closed = True

    async def close(self, code: int, message: str = "") -> None:
        self.closed = True
        if self.ws.closed or self.dropped:
            return
        with contextlib.suppress(ConnectionError, RuntimeError, asyncio.TimeoutError):
            await self.ws.close(code=code, message=message.encode())

    async def fail(self, error_type: str, reason: str) -> None:
        """``Error {type, reason}``, then the matching close code (its name as the close payload)."""
        if self.closed:
            return
        log.info("realtime session %s: Error %s (%s)", self.id, error_type, reason)
        await self.send({"message": "Error", "type": error_type, "reason": reason})
        code = ERROR_CLOSE_CODES.get(error_type, 1011)
        await self.close(code, CLOSE_CODES.get(code, error_type))

    def drop_connection(self) -> None:
        """Close the TCP connection without a close frame (a fault)."""
        self.closed = self.dropped = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    def _queue(self, command: Command) -> None:
        self.commands.append(command)
        self.work.set()
