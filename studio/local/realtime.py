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
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import math
import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from studio.api.errors import CLOSE_CODES, ERROR_CLOSE_CODES
from studio.api.messages import JSON_FORMAT
from studio.local.engines import EngineRejection, Payload, RecognitionSession, WarmingRecognizer
from studio.local.file_audio import FileAudioError, FileDecoder
from studio.local.server import UsageRecord, error_response

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

#: Language codes in the path (``/v2/en``, ``/v2/cmn_en``); the batch API owns ``/v2/jobs`` and ``/v2/usage``.
LANGUAGE_PATH = r"(?!jobs$|usage$)[A-Za-z][A-Za-z0-9_-]*"
BYTES_PER_SAMPLE: Mapping[str, int] = {"pcm_s16le": 2, "pcm_f32le": 4, "mulaw": 1}
FILE_DECODE_FORMAT: Mapping[str, Any] = {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
MAX_FILE_BYTES = 1024**3  # a file stream is kept in memory (its decoder may seek back) until the end
FILE_PCM_RATE = 2 * 16000  # bytes per second of the decoded file audio (FILE_DECODE_FORMAT)
MAX_MESSAGE_BYTES = 64 * 1024**2
ENGINE_BACKLOG_BYTES = 32 * 1024**2  # audio waiting for the recogniser before the reader stops reading
CLOSE_TIMEOUT = 5.0  # how long a close waits for the client's close frame
AFTER_TRANSCRIPT_GRACE = 10.0  # the client closes after EndOfTranscript; if it does not, the server does
MODELS = ("standard", "enhanced", "melia-1")
DIARIZATION = ("none", "speaker", "channel", "channel_and_speaker")
AUDIO_EVENT_TYPES = ("applause", "laughter", "music")
MID_SESSION_FIELDS = frozenset({"language", "max_delay", "max_delay_mode", "audio_filtering_config",
                                "enable_partials", "conversation_config"})
TRANSCRIPTION_FIELDS = frozenset({
    "language", "model", "operating_point", "domain", "output_locale", "additional_vocab", "diarization",
    "speaker_diarization_config", "max_delay", "max_delay_mode", "enable_partials", "enable_entities",
    "punctuation_overrides", "audio_filtering_config", "transcript_filtering_config", "conversation_config",
    "channel_diarization_labels", "streaming_mode", "ctrl",  # the last two: SDK-internal, tolerated
    "language_hints", "language_hints_strict",  # speechmatics-rt's TranscriptionConfig sends them
})
MAX_VOCAB_WORDS = 6
MAX_VOCAB_WORD_CHARS = 4000
_GENERATED_SPEAKER = re.compile(r"^(S\d+|UU)$")
_ACK = '{"message": "AudioAdded", "seq_no": %d}'

SESSIONS: web.AppKey[set[RealtimeConnection]] = web.AppKey("studio_realtime_sessions")


class Rejected(Exception):  # noqa: N818 - a refusal sent to the client as an Error message
    """A client message the server refuses: becomes ``Error {type, reason}`` and the matching close."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.type = error_type
        self.reason = reason


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


# -- validation ---------------------------------------------------------------------------------------------

def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _config_error(reason: str) -> Rejected:
    return Rejected("invalid_config", reason)


def _object(value: Any, where: str, error_type: str = "invalid_config") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Rejected(error_type, f"{where} must be an object")
    return value


def _in_range(config: Mapping[str, Any], key: str, low: float, high: float, where: str = "") -> None:
    if key in config and config[key] is not None:
        value = config[key]
        if not _number(value) or not low <= value <= high:
            raise _config_error(f"{where}{key} must be a number from {low:g} to {high:g}, not {value!r}")


def _boolean(config: Mapping[str, Any], key: str, where: str = "") -> None:
    if key in config and config[key] is not None and not isinstance(config[key], bool):
        raise _config_error(f"{where}{key} must be true or false")


def _one_of(config: Mapping[str, Any], key: str, allowed: Sequence[str], where: str = "") -> None:
    if key in config and config[key] is not None and config[key] not in allowed:
        raise _config_error(f"{where}{key} must be one of {', '.join(allowed)}, not {config[key]!r}")


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _config_error(f"{where} must be a list of strings")
    return value


def validate_audio_format(value: Any) -> dict[str, Any]:
    """The ``audio_format`` as given, or ``Rejected(invalid_audio_type)``."""
    if value is None:
        raise Rejected("invalid_audio_type", "audio_format is required")
    audio = _object(value, "audio_format", "invalid_audio_type")
    kind = audio.get("type")
    if kind == "file":
        return dict(audio)
    if kind != "raw":
        raise Rejected("invalid_audio_type", f"audio_format type must be raw or file, not {kind!r}")
    encoding = audio.get("encoding")
    if encoding not in BYTES_PER_SAMPLE:
        raise Rejected("invalid_audio_type",
                       f"raw audio encoding must be one of {', '.join(BYTES_PER_SAMPLE)}, not {encoding!r}")
    rate = audio.get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 < rate <= 768000:
        raise Rejected("invalid_audio_type", f"raw audio needs a whole, positive sample_rate, not {rate!r}")
    return dict(audio)


def _validate_vocab(value: Any) -> list[Payload]:
    """Warnings for entries the service drops (more than six words, or a word over 4000 characters)."""
    if not isinstance(value, list):
        raise _config_error("additional_vocab must be a list")
    if len(value) > 1000:
        raise _config_error(f"additional_vocab has {len(value)} entries; at most 1000 are allowed")
    dropped: list[str] = []
    for entry in value:
        if isinstance(entry, Mapping):
            content = entry.get("content")
            sounds_like = entry.get("sounds_like", [])
            if not isinstance(content, str) or not content.strip():
                raise _config_error("each additional_vocab object needs a non-empty content")
            _strings(sounds_like, "additional_vocab sounds_like")
        elif isinstance(entry, str):
            content = entry
        else:
            raise _config_error("additional_vocab entries must be strings or {content, sounds_like} objects")
        words = content.split()
        if len(words) > MAX_VOCAB_WORDS or any(len(w) > MAX_VOCAB_WORD_CHARS for w in words):
            dropped.append(content[:40])
    if not dropped:
        return []
    return [{"message": "Warning", "type": "validation_warning",
             "reason": f"{len(dropped)} additional_vocab entries were dropped (more than {MAX_VOCAB_WORDS} words "
                       f"or a word longer than {MAX_VOCAB_WORD_CHARS} characters): "
                       + ", ".join(repr(d) for d in dropped[:5])}]


def _validate_speaker_diarization(value: Any) -> None:
    config = _object(value, "speaker_diarization_config")
    where = "speaker_diarization_config."
    if config.get("max_speakers") is not None:
        speakers = config["max_speakers"]
        if isinstance(speakers, bool) or not isinstance(speakers, int) or speakers < 2:
            raise _config_error(f"{where}max_speakers must be a whole number of at least 2")
    _in_range(config, "speaker_sensitivity", 0.0, 1.0, where)
    _boolean(config, "prefer_current_speaker", where)
    _boolean(config, "get_speakers", where)
    if config.get("speakers") is not None:
        if not isinstance(config["speakers"], list):
            raise _config_error(f"{where}speakers must be a list")
        total = 0
        for speaker in config["speakers"]:
            speaker = _object(speaker, f"{where}speakers[]")
            label = speaker.get("label")
            if not isinstance(label, str) or not label or label != label.strip() or _GENERATED_SPEAKER.match(label):
                raise _config_error(f"speaker label {label!r} is not allowed (empty, padded, or like S1/UU)")
            identifiers = _strings(speaker.get("speaker_identifiers"), f"{where}speakers[].speaker_identifiers")
            if not identifiers:
                raise _config_error(f"speaker {label!r} needs at least one speaker identifier")
            total += len(identifiers)
        if total > 50:
            raise _config_error(f"{total} speaker identifiers were given; at most 50 are allowed")


def validate_transcription_config(value: Any, *, mid_session: bool = False, max_channels: int = 2) -> list[Payload]:
    """Checks a ``transcription_config`` (§1.6); returns the warnings to send, or raises ``Rejected``."""
    config = _object(value, "transcription_config")
    allowed = MID_SESSION_FIELDS if mid_session else TRANSCRIPTION_FIELDS
    for key in config:
        if key not in allowed:
            if mid_session and key in TRANSCRIPTION_FIELDS:
                raise _config_error(f"{key} cannot be changed during a session")
            raise _config_error(f"unknown transcription_config field {key!r}")
    language = config.get("language")
    if (not mid_session or "language" in config) and (not isinstance(language, str) or not language.strip()):
        raise _config_error("transcription_config.language is required")
    if "model" in config and "operating_point" in config:
        raise _config_error("set model or operating_point, not both")
    _one_of(config, "model", MODELS)
    _one_of(config, "operating_point", MODELS)
    for key in ("domain", "output_locale"):
        if config.get(key) is not None and not isinstance(config[key], str):
            raise _config_error(f"{key} must be a string")
    _one_of(config, "diarization", DIARIZATION)
    _in_range(config, "max_delay", 0.7, 4.0)
    _one_of(config, "max_delay_mode", ("flexible", "fixed"))
    _boolean(config, "enable_partials")
    _boolean(config, "enable_entities")
    _boolean(config, "streaming_mode")
    _boolean(config, "language_hints_strict")
    if config.get("language_hints") is not None:
        _strings(config["language_hints"], "language_hints")
    warnings: list[Payload] = []
    if config.get("additional_vocab") is not None:
        warnings.extend(_validate_vocab(config["additional_vocab"]))
    if config.get("speaker_diarization_config") is not None:
        _validate_speaker_diarization(config["speaker_diarization_config"])
    if config.get("punctuation_overrides") is not None:
        punctuation = _object(config["punctuation_overrides"], "punctuation_overrides")
        if punctuation.get("permitted_marks") is not None:
            for mark in _strings(punctuation["permitted_marks"], "punctuation_overrides.permitted_marks"):
                if not (len(mark) == 1 or mark == "all"):
                    raise _config_error(f"punctuation mark {mark!r} must be one character or 'all'")
        _in_range(punctuation, "sensitivity", 0.0, 1.0, "punctuation_overrides.")
    if config.get("audio_filtering_config") is not None:
        _in_range(_object(config["audio_filtering_config"], "audio_filtering_config"), "volume_threshold",
                  0.0, 100.0, "audio_filtering_config.")
    if config.get("transcript_filtering_config") is not None:
        filtering = _object(config["transcript_filtering_config"], "transcript_filtering_config")
        _boolean(filtering, "remove_disfluencies", "transcript_filtering_config.")
        if filtering.get("replacements") is not None:
            if not isinstance(filtering["replacements"], list):
                raise _config_error("transcript_filtering_config.replacements must be a list")
            for item in filtering["replacements"]:
                item = _object(item, "a replacement")
                if not isinstance(item.get("from"), str) or not isinstance(item.get("to"), str):
                    raise _config_error("each replacement needs string 'from' and 'to'")
    if config.get("conversation_config") is not None:
        _in_range(_object(config["conversation_config"], "conversation_config"),
                  "end_of_utterance_silence_trigger", 0.0, 2.0, "conversation_config.")
    if config.get("ctrl") is not None:
        _object(config["ctrl"], "ctrl")
    labels = config.get("channel_diarization_labels")
    if labels is not None:
        labels = _strings(labels, "channel_diarization_labels")
        if not labels or any(not label.strip() for label in labels) or len(set(labels)) != len(labels):
            raise _config_error("channel_diarization_labels must be unique, non-empty labels")
    if str(config.get("diarization")) in ("channel", "channel_and_speaker"):
        if not labels:
            raise _config_error(f"diarization {config['diarization']!r} needs channel_diarization_labels")
        if len(labels) > max_channels:
            raise _config_error(f"{len(labels)} channels were requested; at most {max_channels} are allowed")
    elif labels is not None:
        raise _config_error("channel_diarization_labels need diarization 'channel' or 'channel_and_speaker'")
    return warnings


def validate_translation_config(value: Any) -> list[Payload]:
    config = _object(value, "translation_config")
    targets = _strings(config.get("target_languages"), "translation_config.target_languages")
    if len(targets) > 5:
        raise _config_error(f"{len(targets)} translation target languages were given; at most 5 are allowed")
    _boolean(config, "enable_partials", "translation_config.")
    if not targets:
        return [{"message": "Warning", "type": "empty_translation_target_list",
                 "reason": "translation_config has no target languages; no translations will be produced"}]
    return []


def validate_audio_events_config(value: Any) -> None:
    config = _object(value, "audio_events_config")
    if config.get("types") is not None:
        for kind in _strings(config["types"], "audio_events_config.types"):
            if kind not in AUDIO_EVENT_TYPES:
                raise _config_error(f"unknown audio event type {kind!r} (use {', '.join(AUDIO_EVENT_TYPES)})")


def minutes(seconds: float) -> str:
    """Minutes for a warning's reason: ``15`` for 900 s, ``0.005`` for the shrunk limits of tests."""
    value = seconds / 60.0
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


# -- the session --------------------------------------------------------------------------------------------

@dataclass
class _Channel:
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
class _Command:
    kind: str  # "audio", "decoded", "force", "speakers", "config", "end_channel", "end"
    channel: _Channel | None = None
    data: bytearray | None = None
    value: Any = None


class RealtimeConnection:
    """The state of one connection: reader (this task), recogniser worker and timer tasks."""

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
        self.channels: dict[str | None, _Channel] = {}
        self.multichannel = False
        self.final_speakers = False
        self.commands: deque[_Command] = deque()
        self.backlog = 0  # bytes of audio in ``commands``
        self.work = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()
        self.tasks: list[asyncio.Task[Any]] = []

    # -- sending ---------------------------------------------------------------------------------------------
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

    # -- lifecycle -------------------------------------------------------------------------------------------
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

    # -- audio -----------------------------------------------------------------------------------------------
    async def _binary(self, data: bytes) -> None:
        if not self.started:
            raise Rejected("protocol_error", "audio was sent before StartRecognition")
        if self.multichannel:
            raise Rejected("protocol_error", "a multichannel session takes audio as AddChannelAudio messages")
        await self._audio(self.channels[None], data)

    async def _audio(self, channel: _Channel, data: bytes) -> None:
        now = self.loop.time()
        self.last_audio = self.last_activity = now
        if self.idle_warned:
            self.idle_warned.clear()
        if channel.ended:
            if not self.warned_after_eos:
                self.warned_after_eos = True
                await self.send({"message": "Warning", "type": "add_audio_after_eos",
                                 "reason": "Audio received after EndOfStream was ignored"})
            return
        self.frames += 1
        channel.seq_no += 1
        faults = self.server.faults.realtime
        if faults.ack_delay:
            await asyncio.sleep(faults.ack_delay)
        if channel.label is None:
            await self.send_text(_ACK % channel.seq_no)
        else:
            await self.send({"message": "ChannelAudioAdded", "channel": channel.label, "seq_no": channel.seq_no})
        if channel.decoder is not None:
            if channel.decoder.received + len(data) > MAX_FILE_BYTES:
                raise Rejected("job_error", "the audio file is too large for this server")
            channel.decoder.push(data)
            await self._wait_for_room()
        else:
            await self._queue_audio(channel, data)
        await self._frame_faults()

    async def _queue_audio(self, channel: _Channel, data: bytes) -> None:
        last = self.commands[-1] if self.commands else None
        if last is not None and last.kind == "audio" and last.channel is channel and last.data is not None:
            last.data += data  # coalesce: the recogniser takes everything that piled up in one call
        else:
            self.commands.append(_Command("audio", channel, bytearray(data)))
        self.backlog += len(data)
        self.work.set()
        await self._wait_for_room()

    async def _wait_for_room(self) -> None:
        """Stops reading while the recogniser has more than ``ENGINE_BACKLOG_BYTES`` of audio to catch up on."""
        while self.backlog > ENGINE_BACKLOG_BYTES and not self.closed:
            self.room.clear()
            await self.room.wait()

    def _on_decoded(self, channel: _Channel) -> Callable[[bytes], None]:
        """What the decoder thread calls with each piece of PCM: hands it to the loop."""
        def deliver(pcm: bytes) -> None:
            self.loop.call_soon_threadsafe(self._decoded, channel, pcm)
        return deliver

    def _decoded(self, channel: _Channel, pcm: bytes) -> None:
        """Decoded file audio (called on the loop for the decoder thread): fed to the engine in order."""
        if self.closed or channel.flushed:
            return
        channel.pcm += pcm
        self.backlog += len(pcm)
        if not channel.pcm_queued:
            channel.pcm_queued = True
            self._queue(_Command("decoded", channel))

    async def _frame_faults(self) -> None:
        faults = self.server.faults.realtime
        if faults.warning_after_frames is not None and not self.fault_warning_sent:
            frames, kind, reason = faults.warning_after_frames
            if self.frames >= frames:
                self.fault_warning_sent = True
                await self.send({"message": "Warning", "type": kind, "reason": reason})
        if faults.error_after_frames is not None and self.frames >= faults.error_after_frames[0]:
            _, kind, reason = faults.error_after_frames
            raise Rejected(kind, reason)
        if faults.drop_after_frames is not None and self.frames >= faults.drop_after_frames:
            self.drop_connection()

    # -- JSON messages ---------------------------------------------------------------------------------------
    async def _text(self, text: str) -> None:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise Rejected("invalid_message", "the message is not valid JSON") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("message"), str):
            raise Rejected("invalid_message", "a message must be a JSON object with a string 'message'")
        kind = data["message"]
        handler = self._handlers().get(kind)
        if handler is None:
            raise Rejected("invalid_message", f"unknown message type {kind!r}")
        if kind == "StartRecognition":
            if self.started:
                raise Rejected("protocol_error", "StartRecognition was already received")
        elif not self.started:
            raise Rejected("protocol_error", f"{kind} was sent before StartRecognition")
        await handler(data)

    def _handlers(self) -> Mapping[str, Callable[[Mapping[str, Any]], Awaitable[None]]]:
        return {"StartRecognition": self._start, "AddChannelAudio": self._channel_audio,
                "EndOfStream": self._end_of_stream, "EndOfChannel": self._end_of_channel,
                "SetRecognitionConfig": self._set_config, "GetSpeakers": self._get_speakers,
                "ForceEndOfUtterance": self._force}

    async def _start(self, data: Mapping[str, Any]) -> None:
        limits = self.server.config.limits
        audio_format = validate_audio_format(data.get("audio_format"))
        if data.get("transcription_config") is None:
            raise _config_error("transcription_config is required")
        warnings = validate_transcription_config(data["transcription_config"], max_channels=limits.max_channels)
        config = dict(data["transcription_config"])
        language = str(config["language"])
        if self.path_language is not None and language != self.path_language:
            raise _config_error(f"language {language!r} does not match the endpoint's language "
                                f"{self.path_language!r}")
        translation = data.get("translation_config")
        if translation is not None:
            warnings.extend(validate_translation_config(translation))
        events = data.get("audio_events_config")
        if events is not None:
            validate_audio_events_config(events)
        labels: list[str | None] = list(config.get("channel_diarization_labels") or [])
        self.multichannel = str(config.get("diarization")) in ("channel", "channel_and_speaker")
        if not self.multichannel:
            labels = [None]
        is_file = audio_format["type"] == "file"
        engine_format = FILE_DECODE_FORMAT if is_file else audio_format
        rate = FILE_PCM_RATE if is_file else \
            BYTES_PER_SAMPLE[audio_format["encoding"]] * int(audio_format["sample_rate"])
        recognizer = self.server.recognizer
        if isinstance(recognizer, WarmingRecognizer):
            await recognizer.ready()  # its model may still be loading: RecognitionStarted waits for it
        for label in labels:
            engine = recognizer.open(config, engine_format, translation, events)  # EngineRejection → Error
            channel = self.channels[label] = _Channel(label, engine, rate)
            if is_file:
                channel.decoder = FileDecoder(self._on_decoded(channel))
            warnings.extend(engine.warnings)
        self.config, self.audio_format = config, audio_format
        self.translation, self.audio_events = translation, events
        speaker_config = config.get("speaker_diarization_config") or {}
        self.final_speakers = bool(speaker_config.get("get_speakers"))
        if not is_file:
            quality = "broadcast" if int(audio_format["sample_rate"]) >= 12000 else "telephony"
            await self.send({"message": "Info", "type": "recognition_quality", "quality": quality,
                             "reason": f"Running recognition using a {quality} model quality."})
        for warning in warnings:
            await self.send(warning)
        started: Payload = {"message": "RecognitionStarted", "orchestrator_version":
                            self.server.config.orchestrator_version, "id": self.id,
                            "language_pack_info": recognizer.language_pack_info(language)}
        if self.multichannel:
            started["channel_ids"] = [label for label in labels if label is not None]
        await self.send(started)
        self.started = True
        self.tasks.append(asyncio.create_task(self._work()))

    def _channel(self, data: Mapping[str, Any]) -> _Channel:
        if not self.multichannel:
            raise Rejected("protocol_error", f"{data['message']} needs a multichannel session")
        label = data.get("channel")
        if not isinstance(label, str) or label not in self.channels:
            raise Rejected("invalid_message", f"unknown channel {label!r}")
        return self.channels[label]

    async def _channel_audio(self, data: Mapping[str, Any]) -> None:
        channel = self._channel(data)
        payload = data.get("data")
        if not isinstance(payload, str):
            raise Rejected("invalid_message", "AddChannelAudio needs base64 'data'")
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise Rejected("invalid_message", "AddChannelAudio 'data' is not base64") from None
        await self._audio(channel, audio)

    @staticmethod
    def _last_seq_no(data: Mapping[str, Any]) -> int:
        value = data.get("last_seq_no")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Rejected("invalid_message", f"{data['message']} needs a whole, non-negative last_seq_no")
        return value

    async def _end_of_stream(self, data: Mapping[str, Any]) -> None:
        self._last_seq_no(data)  # a lower bound only: every frame received is processed
        if self.end_of_stream:
            return
        self.end_of_stream = True
        for channel in self.channels.values():
            channel.ended = True
        self._queue(_Command("end"))

    async def _end_of_channel(self, data: Mapping[str, Any]) -> None:
        channel = self._channel(data)
        self._last_seq_no(data)
        if channel.ended:
            return
        channel.ended = True
        self._queue(_Command("end_channel", channel))
        if all(c.ended for c in self.channels.values()):
            self.end_of_stream = True
            self._queue(_Command("end"))

    async def _set_config(self, data: Mapping[str, Any]) -> None:
        update = data.get("transcription_config")
        if update is None:
            raise _config_error("SetRecognitionConfig needs a transcription_config")
        validate_transcription_config(update, mid_session=True)
        language = update.get("language")
        if language is not None and language != self.config.get("language"):
            raise _config_error(f"the language cannot change during a session ({self.config.get('language')!r} "
                                f"to {language!r})")
        self._queue(_Command("config", value=dict(update)))

    async def _get_speakers(self, data: Mapping[str, Any]) -> None:
        final = data.get("final", False)
        if not isinstance(final, bool):
            raise Rejected("invalid_message", "GetSpeakers 'final' must be true or false")
        if final:
            self.final_speakers = True
        else:
            self._queue(_Command("speakers"))

    async def _force(self, data: Mapping[str, Any]) -> None:
        timestamp = data.get("timestamp")
        if timestamp is not None and (not _number(timestamp) or timestamp < 0):
            raise Rejected("invalid_message", "ForceEndOfUtterance 'timestamp' must be a number of seconds >= 0")
        targets = [self._channel(data)] if "channel" in data and self.multichannel else list(self.channels.values())
        for channel in targets:
            self._queue(_Command("force", channel, value=timestamp))

    def _queue(self, command: _Command) -> None:
        self.commands.append(command)
        self.work.set()

    # -- the recogniser worker -------------------------------------------------------------------------------
    async def _work(self) -> None:
        try:
            while not self.closed:
                if not self.commands:
                    self.work.clear()
                    await self.work.wait()
                    continue
                command = self.commands.popleft()
                await self._do(command)
        except (Rejected, EngineRejection) as rejection:
            await self.fail(rejection.type, rejection.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("realtime session %s: the recogniser failed", self.id)
            await self.fail("job_error", f"the recogniser failed ({exc.__class__.__name__})")

    async def _do(self, command: _Command) -> None:
        channel = command.channel
        if command.kind == "audio":
            assert channel is not None and command.data is not None
            await self._feed(channel, bytes(command.data))
        elif command.kind == "decoded":
            assert channel is not None
            channel.pcm_queued = False
            if channel.pcm and not channel.flushed:
                audio, channel.pcm = bytes(channel.pcm), bytearray()
                await self._feed(channel, audio)
        elif command.kind == "force":
            assert channel is not None
            await self._emit(await channel.engine.force_end_of_utterance(command.value), channel)
        elif command.kind == "speakers":
            await self.send(self._speakers())
        elif command.kind == "config":
            self.config.update(command.value)
            for each in self.channels.values():
                each.engine.update_config(command.value)
        elif command.kind == "end_channel":
            assert channel is not None
            await self._flush(channel)
        elif command.kind == "end":
            for each in self.channels.values():
                await self._flush(each)
            if self.final_speakers:
                await self.send(self._speakers())
            await self.send({"message": "EndOfTranscript"})
            self.transcript_sent = True
            self.last_activity = self.loop.time()

    async def _feed(self, channel: _Channel, audio: bytes) -> None:
        self.backlog -= len(audio)
        if self.backlog <= ENGINE_BACKLOG_BYTES:
            self.room.set()
        channel.bytes_fed += len(audio)
        channel.audio_seconds = channel.bytes_fed / channel.bytes_per_second
        await self._emit(await channel.engine.feed(audio, channel.audio_seconds), channel)

    async def _flush(self, channel: _Channel) -> None:
        if channel.flushed:
            return
        if channel.decoder is not None:  # a file stream: the rest of it decoded, then fed
            channel.decoder.end()
            try:
                await channel.decoder.finished()
            except FileAudioError as exc:
                raise Rejected("invalid_audio_type", str(exc)) from None
            if channel.pcm:
                audio, channel.pcm = bytes(channel.pcm), bytearray()
                await self._feed(channel, audio)
        channel.flushed = True
        await self._emit(await channel.engine.finish(), channel)

    def _speakers(self) -> Payload:
        speakers: list[Payload] = []
        for channel in self.channels.values():
            speakers.extend(channel.engine.speakers())
        return {"message": "SpeakersResult", "speakers": speakers}

    async def _emit(self, payloads: Sequence[Payload], channel: _Channel) -> None:
        for payload in payloads:
            message = self._shape(payload, channel.label)
            if message is not None:
                await self.send(message)

    def _shape(self, payload: Payload, channel: str | None) -> Payload | None:
        """What the client gets for an engine payload, or None if it did not ask for it."""
        kind = payload.get("message")
        if kind == "AddPartialTranscript" and not self.config.get("enable_partials"):
            return None
        if kind == "AddPartialTranslation" and not (self.translation or {}).get("enable_partials"):
            return None
        if kind in ("AddTranslation", "AddPartialTranslation") and self.translation is None:
            return None
        if kind == "EndOfUtterance" and not payload.get("forced"):
            conversation = self.config.get("conversation_config") or {}
            if not conversation.get("end_of_utterance_silence_trigger"):
                return None
        if kind in ("AudioEventStarted", "AudioEventEnded"):
            if self.audio_events is None:
                return None
            wanted = self.audio_events.get("types")
            if wanted is not None and (payload.get("event") or {}).get("type") not in wanted:
                return None
        message = dict(payload)
        if kind in ("AddTranscript", "AddPartialTranscript", "EndOfUtterance", "AddTranslation",
                    "AddPartialTranslation"):
            message["format"] = JSON_FORMAT
        if channel is not None and kind not in ("AddTranslation", "AddPartialTranslation"):
            message["channel"] = channel
        return message

    # -- timers ----------------------------------------------------------------------------------------------
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
