"""The realtime API of the local server: ``GET /v2``, ``/v2/`` and ``/v2/<lang>`` upgraded to a WebSocket.

It follows ``speechmatics-protocol.md`` §1 and §7 to the letter, quirks included:

* **Handshake.** ``Authorization: Bearer <key>`` or ``?jwt=<key>`` (a long-lived key of ``ServerConfig.api_keys``
  or a temporary key from ``/v1/api_keys?type=rt``); a bad or missing key is answered with HTTP 401 before the
  upgrade; unknown query parameters are ignored. ``faults.realtime.reject_handshake`` answers the upgrade with
  that HTTP status instead. Over the concurrent quota (``Limits.max_sessions``) the session gets
  ``Error quota_exceeded "Concurrent Quota Exceeded"`` and close 4005.
* **Ordering.** ``Info concurrent_session_usage`` right after the handshake (``ServerConfig.send_session_info``),
  then — after a valid ``StartRecognition`` — ``Info recognition_quality`` (raw audio), any ``Warning``
  (``validation_warning`` for dropped vocabulary entries, ``empty_translation_target_list``, the engine's own),
  and ``RecognitionStarted {id, orchestrator_version, language_pack_info[, channel_ids]}``.
* **Audio.** Each binary frame is acknowledged at once with ``AudioAdded {seq_no}`` (1-based, monotonic);
  ``AddChannelAudio`` (multichannel, base64) with ``ChannelAudioAdded {channel, seq_no}`` per channel. The
  recogniser runs in a separate task fed from a queue, so acks keep flowing while it works; raw audio is timed
  from byte counts; ``type: file`` audio is decoded as it arrives (``studio.local.file_audio``: WAV and every
  container FFmpeg reads front to back), so partials and finals flow while the file streams — the engine is
  opened for 16 kHz mono ``pcm_s16le``, which is what it is fed, and the stream is timed by that.
* **Results.** Engine payloads get ``format: "2.9"`` (transcripts, translations, ``EndOfUtterance``) and, in
  multichannel sessions, ``channel`` at the top level (never on translations). Partials are dropped unless
  ``enable_partials`` (translation partials unless ``translation_config.enable_partials``), end-of-utterance
  markers unless ``end_of_utterance_silence_trigger > 0`` (forced ones always pass), audio events unless asked
  for.
* **Control.** ``SetRecognitionConfig`` accepts only the mid-session subset with the same language;
  ``GetSpeakers`` answers with ``SpeakersResult`` at once (``final: true``: at the end, as does
  ``speaker_diarization_config.get_speakers``); ``ForceEndOfUtterance`` gives a forced final and marker;
  ``EndOfStream`` (or ``EndOfChannel`` for every channel) flushes the recogniser and sends ``EndOfTranscript``,
  after which the client closes; audio after ``EndOfStream`` gets ``Warning add_audio_after_eos``.
* **Errors.** Every ``Error`` is followed by a close with the code of ``ERROR_CLOSE_CODES`` and the close
  payload naming the code (``protocol_error``, ``policy_violation``, ``quota_exceeded``…): audio or any message
  before ``StartRecognition`` and a second ``StartRecognition`` are ``protocol_error`` (1003); frames that are not
  JSON objects, unknown messages and malformed fields are ``invalid_message``; a bad ``audio_format`` is
  ``invalid_audio_type``; bad ``transcription_config`` fields, ranges and enums, more than five translation
  targets, missing or extra channel labels and a language other than the path's are ``invalid_config``; an
  engine's ``EngineRejection`` keeps its type (``invalid_language``/``invalid_model`` close with 4004).
* **Timers** (``Limits``). Idle warnings before the idle limit (``Session will timeout in {n}m due to
  inactivity, no audio sent within the last {m}m``), then ``Error idle_timeout`` and close 1008; the same for the
  session length (``session_timeout``); neither audio nor a ping for ``keepalive_timeout``: close 1008.
* **Faults** (``faults.realtime``, read live): drop the TCP connection after N frames or S seconds, delay every
  ack, an ``Error`` or ``Warning`` after N frames, reject the handshake.

Every session that reached ``RecognitionStarted`` leaves a ``UsageRecord(mode="realtime")`` with the seconds of
audio received (summed over channels).

``RealtimeConnection`` is made of parts, each in a module of its own: ``realtime_config`` (the validation),
``realtime_state`` (what the parts share, and how they answer), ``realtime_messages`` (what the client sends),
``realtime_worker`` (the recogniser's task) and ``realtime_timers`` (warnings and limits); this module has the
routes, the handshake and the connection's life.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from studio.api.errors import CLOSE_CODES
from studio.local.engines import EngineRejection, Payload
from studio.local.realtime_config import (
    Rejected,
    validate_audio_events_config,
    validate_audio_format,
    validate_transcription_config,
    validate_translation_config,
)
from studio.local.realtime_messages import MessageHandlers
from studio.local.realtime_state import CLOSE_TIMEOUT, MAX_MESSAGE_BYTES
from studio.local.realtime_timers import SessionTimers, minutes
from studio.local.server import UsageRecord, error_response

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

__all__ = ["LANGUAGE_PATH", "RealtimeConnection", "Rejected", "add_routes", "minutes", "serve",
           "validate_audio_events_config", "validate_audio_format", "validate_transcription_config",
           "validate_translation_config"]

#: Language codes in the path (``/v2/en``, ``/v2/cmn_en``); the batch API owns ``/v2/jobs`` and ``/v2/usage``.
LANGUAGE_PATH = r"(?!jobs$|usage$)[A-Za-z][A-Za-z0-9_-]*"


SESSIONS: web.AppKey[set[RealtimeConnection]] = web.AppKey("studio_realtime_sessions")


def add_routes(app: web.Application, server: LocalServer) -> None:
    """``GET /v2``, ``/v2/`` and ``/v2/<lang>``; open sessions are closed (1001) when the app shuts down."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await serve(server, request)

    async def close_sessions(app: web.Application) -> None:
        sessions: set[RealtimeConnection] = app[SESSIONS]
        await asyncio.gather(*(s.close(1001, "going away") for s in list(sessions)), return_exceptions=True)

    app[SESSIONS] = set()
    app.router.add_get("/v2", handle, allow_head=False)
    app.router.add_get("/v2/", handle, allow_head=False)
    app.router.add_get("/v2/{lang:" + LANGUAGE_PATH + "}", handle, allow_head=False)
    app.on_shutdown.append(close_sessions)


async def serve(server: LocalServer, request: web.Request) -> web.StreamResponse:
    """One realtime connection, from the HTTP upgrade to the close."""
    status = server.faults.realtime.reject_handshake
    if status is not None:
        return error_response(status, _STATUS_TEXT.get(status, "Rejected"))
    ws = web.WebSocketResponse(autoping=False, max_msg_size=MAX_MESSAGE_BYTES, timeout=CLOSE_TIMEOUT)
    if not ws.can_prepare(request).ok:
        return error_response(400, "Bad Request", "expected a WebSocket upgrade")
    if not server.authorised(request, "rt"):
        return error_response(401, "Permission Denied", "invalid or missing API key")
    await ws.prepare(request)
    session = RealtimeConnection(server, request, ws)
    sessions = request.app[SESSIONS]
    sessions.add(session)
    try:
        await session.run()
    finally:
        sessions.discard(session)
    return ws


_STATUS_TEXT = {400: "Bad Request", 401: "Permission Denied", 403: "Forbidden", 404: "Not Found",
                405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
                502: "Bad Gateway", 503: "Service Unavailable"}


class RealtimeConnection(MessageHandlers, SessionTimers):
    """The state of one connection: reader (this task), recogniser worker and timer tasks."""

    async def run(self) -> None:
        limits = self.server.config.limits
        try:
            if limits.max_sessions and self.server.active_sessions >= limits.max_sessions:
                await self.fail("quota_exceeded", "Concurrent Quota Exceeded")
                return
            self.server.active_sessions += 1
            self.counted = True
            if self.server.config.send_session_info:
                await self.send(self._session_usage())
            self.tasks.append(asyncio.create_task(self._watchdog()))
            await self._read()
        finally:
            for channel in self.channels.values():
                if channel.decoder is not None:
                    channel.decoder.abort()  # its thread stops at its next read
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            if self.counted:
                self.server.active_sessions -= 1
            if self.started:
                self._record_usage()
            if not self.ws.closed and not self.dropped:
                await self.close(1011, CLOSE_CODES[1011])

    def _session_usage(self) -> Payload:
        usage = self.server.active_sessions
        quota = self.server.config.limits.max_sessions
        info: Payload = {"message": "Info", "type": "concurrent_session_usage", "usage": usage,
                         "last_updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if quota:
            info["quota"] = quota
            info["reason"] = f"{usage} concurrent sessions active out of quota {quota}"
        else:
            info["reason"] = f"{usage} concurrent sessions active (no quota)"
        return info

    def _record_usage(self) -> None:
        seconds = sum(channel.audio_seconds for channel in self.channels.values())
        model = self.config.get("model") or self.config.get("operating_point") or "standard"
        self.server.usage.append(UsageRecord(mode="realtime", language=str(self.config.get("language", "")),
                                             operating_point=str(model), seconds=round(seconds, 3),
                                             day=datetime.now(UTC).strftime("%Y-%m-%d")))

    async def _read(self) -> None:
        ws = self.ws
        while not self.closed:
            message = await ws.receive()
            kind = message.type
            try:
                if kind is WSMsgType.BINARY:
                    await self._binary(message.data)
                elif kind is WSMsgType.TEXT:
                    await self._text(message.data)
                elif kind is WSMsgType.PING:
                    self.last_activity = self.loop.time()
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.pong(message.data)
                elif kind is WSMsgType.PONG:
                    self.last_activity = self.loop.time()
                elif kind in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    return
            except Rejected as rejection:
                await self.fail(rejection.type, rejection.reason)
            except EngineRejection as rejection:
                await self.fail(rejection.type, rejection.reason)
