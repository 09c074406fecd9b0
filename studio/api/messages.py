"""Typed realtime messages, at the boundary between JSON on the wire and the rest of the studio.

Server messages are parsed by ``parse_server_message``: each known type becomes a frozen dataclass, an
unknown type becomes ``UnknownMessage``, and fields the studio does not know are kept in
``unknown_fields`` (the caller logs them) — neither is an error. A frame that is not a JSON object with
a string ``message``, or a known message whose required fields are missing or of the wrong type, raises
``ProtocolError``. Client messages are built by the small functions at the end of this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from studio.api.errors import ProtocolError

JSON_FORMAT = "2.9"


class ClientMessageType(StrEnum):
    START_RECOGNITION = "StartRecognition"
    ADD_AUDIO = "AddAudio"  # a binary frame on the wire, never JSON
    END_OF_STREAM = "EndOfStream"
    SET_RECOGNITION_CONFIG = "SetRecognitionConfig"
    GET_SPEAKERS = "GetSpeakers"
    ADD_CHANNEL_AUDIO = "AddChannelAudio"
    END_OF_CHANNEL = "EndOfChannel"
    FORCE_END_OF_UTTERANCE = "ForceEndOfUtterance"


class ServerMessageType(StrEnum):
    RECOGNITION_STARTED = "RecognitionStarted"
    AUDIO_ADDED = "AudioAdded"
    CHANNEL_AUDIO_ADDED = "ChannelAudioAdded"
    ADD_PARTIAL_TRANSCRIPT = "AddPartialTranscript"
    ADD_TRANSCRIPT = "AddTranscript"
    END_OF_UTTERANCE = "EndOfUtterance"
    ADD_PARTIAL_TRANSLATION = "AddPartialTranslation"
    ADD_TRANSLATION = "AddTranslation"
    AUDIO_EVENT_STARTED = "AudioEventStarted"
    AUDIO_EVENT_ENDED = "AudioEventEnded"
    SPEAKERS_RESULT = "SpeakersResult"
    END_OF_TRANSCRIPT = "EndOfTranscript"
    INFO = "Info"
    WARNING = "Warning"
    ERROR = "Error"


# -- reading fields -----------------------------------------------------------------------------------

class _Reader:
    """Typed access to one JSON object, remembering which keys were used."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where
        self.used: set[str] = {"message"}

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                raise ProtocolError(f"{self.where} has no '{key}'")
            return None
        return self.data[key]

    def text(self, key: str, required: bool = False, default: str = "") -> str:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ProtocolError(f"{self.where}: '{key}' should be text")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self._get(key, False)
        if value is not None and not isinstance(value, str):
            raise ProtocolError(f"{self.where}: '{key}' should be text")
        return value

    def number(self, key: str, required: bool = False, default: float = 0.0) -> float:
        value = self._get(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolError(f"{self.where}: '{key}' should be a number")
        return float(value)

    def opt_number(self, key: str) -> float | None:
        return None if self.data.get(key) is None else self.number(key)

    def integer(self, key: str, required: bool = False, default: int = 0) -> int:
        value = self._get(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{self.where}: '{key}' should be a whole number")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ProtocolError(f"{self.where}: '{key}' should be true or false")
        return value

    def obj(self, key: str, required: bool = False) -> Mapping[str, Any]:
        value = self._get(key, required)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ProtocolError(f"{self.where}: '{key}' should be an object")
        return value

    def items(self, key: str, required: bool = False) -> Sequence[Any]:
        value = self._get(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ProtocolError(f"{self.where}: '{key}' should be a list")
        return value

    def unknown(self) -> tuple[str, ...]:
        return tuple(sorted(k for k in self.data if k not in self.used))


def _objects(items: Sequence[Any], where: str) -> list[Mapping[str, Any]]:
    for item in items:
        if not isinstance(item, Mapping):
            raise ProtocolError(f"{where} should hold objects")
    return list(items)


# -- results ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Alternative:
    content: str
    confidence: float = 0.0
    language: str | None = None
    speaker: str | None = None
    tags: tuple[str, ...] = ()
    direction: str | None = None  # display.direction: "ltr" or "rtl"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alternative:
        r = _Reader(data, "an alternative")
        tags = tuple(str(t) for t in r.items("tags"))
        return cls(r.text("content", required=True), r.number("confidence"), r.opt_text("language"),
                   r.opt_text("speaker"), tags, r.obj("display").get("direction"))


@dataclass(frozen=True)
class RecognitionResult:
    type: str  # "word", "punctuation", "entity" — new types may appear
    start_time: float
    end_time: float
    alternatives: tuple[Alternative, ...] = ()
    attaches_to: str | None = None
    is_eos: bool = False
    entity_class: str | None = None
    spoken_form: tuple[RecognitionResult, ...] = ()
    written_form: tuple[RecognitionResult, ...] = ()
    channel: str | None = None
    volume: float | None = None

    @property
    def content(self) -> str:
        return self.alternatives[0].content if self.alternatives else ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecognitionResult:
        r = _Reader(data, "a result")
        alternatives = tuple(Alternative.from_dict(a) for a in _objects(r.items("alternatives"), "alternatives"))
        spoken = tuple(cls.from_dict(x) for x in _objects(r.items("spoken_form"), "spoken_form"))
        written = tuple(cls.from_dict(x) for x in _objects(r.items("written_form"), "written_form"))
        return cls(r.text("type", required=True), r.number("start_time", required=True),
                   r.number("end_time", required=True), alternatives, r.opt_text("attaches_to"), r.flag("is_eos"),
                   r.opt_text("entity_class"), spoken, written, r.opt_text("channel"), r.opt_number("volume"))


@dataclass(frozen=True)
class LanguagePackInfo:
    word_delimiter: str = " "
    writing_direction: str = "left-to-right"
    language_description: str = ""
    itn: bool = False
    adapted: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LanguagePackInfo:
        r = _Reader(data, "language_pack_info")
        return cls(r.text("word_delimiter", default=" "), r.text("writing_direction", default="left-to-right"),
                   r.text("language_description"), r.flag("itn"), r.flag("adapted"))


# -- server messages ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerMessage:
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)
    unknown_fields: tuple[str, ...] = field(default=(), repr=False, compare=False, kw_only=True)


@dataclass(frozen=True)
class RecognitionStarted(ServerMessage):
    id: str | None = None
    orchestrator_version: str | None = None
    language_pack_info: LanguagePackInfo = field(default_factory=LanguagePackInfo)
    channel_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AudioAdded(ServerMessage):
    seq_no: int


@dataclass(frozen=True)
class ChannelAudioAdded(ServerMessage):
    channel: str
    seq_no: int


@dataclass(frozen=True)
class TranscriptMetadata:
    start_time: float
    end_time: float
    transcript: str


@dataclass(frozen=True)
class Transcript(ServerMessage):
    """``AddTranscript`` (final) or ``AddPartialTranscript``."""

    partial: bool
    metadata: TranscriptMetadata
    results: tuple[RecognitionResult, ...]
    format: str | None = None
    channel: str | None = None
    forced: bool = False


@dataclass(frozen=True)
class EndOfUtterance(ServerMessage):
    start_time: float
    end_time: float
    channel: str | None = None
    forced: bool = False


@dataclass(frozen=True)
class TranslatedSentence:
    content: str
    start_time: float
    end_time: float
    speaker: str | None = None


@dataclass(frozen=True)
class Translation(ServerMessage):
    """``AddTranslation`` (final) or ``AddPartialTranslation``."""

    partial: bool
    language: str
    results: tuple[TranslatedSentence, ...]
    format: str | None = None


@dataclass(frozen=True)
class AudioEvent(ServerMessage):
    """``AudioEventStarted`` (``started``) or ``AudioEventEnded``."""

    started: bool
    type: str
    start_time: float | None = None
    end_time: float | None = None
    confidence: float | None = None
    channel: str | None = None


@dataclass(frozen=True)
class SpeakerIdentifiers:
    label: str
    speaker_identifiers: tuple[str, ...]


@dataclass(frozen=True)
class SpeakersResult(ServerMessage):
    speakers: tuple[SpeakerIdentifiers, ...]


@dataclass(frozen=True)
class EndOfTranscript(ServerMessage):
    pass


@dataclass(frozen=True)
class Info(ServerMessage):
    type: str
    reason: str
    code: int | None = None
    seq_no: int | None = None
    quality: str | None = None
    usage: int | None = None
    quota: int | None = None
    last_updated: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class ServerWarning(ServerMessage):
    type: str
    reason: str
    code: int | None = None
    seq_no: int | None = None
    duration_limit: float | None = None


@dataclass(frozen=True)
class ServerErrorMessage(ServerMessage):
    type: str
    reason: str
    code: int | None = None
    seq_no: int | None = None


@dataclass(frozen=True)
class UnknownMessage(ServerMessage):
    message: str


def _recognition_started(r: _Reader) -> RecognitionStarted:
    ids = r.items("channel_ids") or r.items("channels")  # the diarization guide's older name
    info = r.obj("language_pack_info")
    return RecognitionStarted(r.opt_text("id"), r.opt_text("orchestrator_version"),
                              LanguagePackInfo.from_dict(info) if info else LanguagePackInfo(),
                              tuple(str(i) for i in ids))


def _transcript(r: _Reader, partial: bool) -> Transcript:
    meta = _Reader(r.obj("metadata", required=True), "metadata")
    metadata = TranscriptMetadata(meta.number("start_time", required=True), meta.number("end_time", required=True),
                                  meta.text("transcript"))
    results = tuple(RecognitionResult.from_dict(x) for x in _objects(r.items("results", required=True), "results"))
    return Transcript(partial, metadata, results, r.opt_text("format"), r.opt_text("channel"), r.flag("forced"))


def _end_of_utterance(r: _Reader) -> EndOfUtterance:
    meta = _Reader(r.obj("metadata", required=True), "metadata")
    r.used.add("format")
    return EndOfUtterance(meta.number("start_time"), meta.number("end_time"), r.opt_text("channel"), r.flag("forced"))


def _translation(r: _Reader, partial: bool) -> Translation:
    sentences = []
    for item in _objects(r.items("results", required=True), "results"):
        s = _Reader(item, "a translated sentence")
        sentences.append(TranslatedSentence(s.text("content", required=True), s.number("start_time"),
                                            s.number("end_time"), s.opt_text("speaker")))
    return Translation(partial, r.text("language", required=True), tuple(sentences), r.opt_text("format"))


def _audio_event(r: _Reader, started: bool) -> AudioEvent:
    event = _Reader(r.obj("event", required=True), "event")
    return AudioEvent(started, event.text("type", required=True), event.opt_number("start_time"),
                      event.opt_number("end_time"), event.opt_number("confidence"), r.opt_text("channel"))


def _speakers(r: _Reader) -> SpeakersResult:
    speakers = []
    for item in _objects(r.items("speakers", required=True), "speakers"):
        s = _Reader(item, "a speaker")
        ids = tuple(str(i) for i in s.items("speaker_identifiers"))
        speakers.append(SpeakerIdentifiers(s.text("label", required=True), ids))
    return SpeakersResult(tuple(speakers))


def _info(r: _Reader) -> Info:
    return Info(r.text("type", required=True), r.text("reason"), r.opt_integer("code"), r.opt_integer("seq_no"),
                r.opt_text("quality"), r.opt_integer("usage"), r.opt_integer("quota"), r.opt_text("last_updated"),
                r.opt_text("region"))


def _warning(r: _Reader) -> ServerWarning:
    return ServerWarning(r.text("type", required=True), r.text("reason"), r.opt_integer("code"),
                         r.opt_integer("seq_no"), r.opt_number("duration_limit"))


def _error(r: _Reader) -> ServerErrorMessage:
    return ServerErrorMessage(r.text("type", required=True), r.text("reason"), r.opt_integer("code"),
                              r.opt_integer("seq_no"))


_PARSERS: dict[str, Any] = {
    ServerMessageType.RECOGNITION_STARTED: _recognition_started,
    ServerMessageType.AUDIO_ADDED: lambda r: AudioAdded(r.integer("seq_no", required=True)),
    ServerMessageType.CHANNEL_AUDIO_ADDED: lambda r: ChannelAudioAdded(r.text("channel", required=True),
                                                                       r.integer("seq_no", required=True)),
    ServerMessageType.ADD_PARTIAL_TRANSCRIPT: lambda r: _transcript(r, True),
    ServerMessageType.ADD_TRANSCRIPT: lambda r: _transcript(r, False),
    ServerMessageType.END_OF_UTTERANCE: _end_of_utterance,
    ServerMessageType.ADD_PARTIAL_TRANSLATION: lambda r: _translation(r, True),
    ServerMessageType.ADD_TRANSLATION: lambda r: _translation(r, False),
    ServerMessageType.AUDIO_EVENT_STARTED: lambda r: _audio_event(r, True),
    ServerMessageType.AUDIO_EVENT_ENDED: lambda r: _audio_event(r, False),
    ServerMessageType.SPEAKERS_RESULT: _speakers,
    ServerMessageType.END_OF_TRANSCRIPT: lambda r: EndOfTranscript(),
    ServerMessageType.INFO: _info,
    ServerMessageType.WARNING: _warning,
    ServerMessageType.ERROR: _error,
}


def parse_server_message(frame: str | bytes | Mapping[str, Any]) -> ServerMessage:
    """A typed message from a text frame (or an already decoded object). Raises ``ProtocolError``."""
    if isinstance(frame, bytes | str):
        try:
            data = json.loads(frame)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"The server sent a frame that is not JSON ({exc.__class__.__name__})") from None
    else:
        data = frame
    if not isinstance(data, Mapping):
        raise ProtocolError("The server sent JSON that is not an object")
    kind = data.get("message")
    if not isinstance(kind, str):
        raise ProtocolError("The server sent a message without a 'message' type")
    parser = _PARSERS.get(kind)
    if parser is None:
        return UnknownMessage(kind, raw=data)
    reader = _Reader(data, kind)
    try:
        message: ServerMessage = parser(reader)
    except (TypeError, ValueError, AttributeError) as exc:  # deeper shapes that fit no field
        raise ProtocolError(f"{kind} is malformed ({exc.__class__.__name__})") from None
    object.__setattr__(message, "raw", data)
    object.__setattr__(message, "unknown_fields", reader.unknown())
    return message


# -- client messages -------------------------------------------------------------------------------------

def start_recognition(audio_format: Mapping[str, Any], transcription_config: Mapping[str, Any],
                      translation_config: Mapping[str, Any] | None = None,
                      audio_events_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"message": ClientMessageType.START_RECOGNITION.value,
                               "audio_format": dict(audio_format),
                               "transcription_config": dict(transcription_config)}
    if translation_config is not None:
        message["translation_config"] = dict(translation_config)
    if audio_events_config is not None:
        message["audio_events_config"] = dict(audio_events_config)
    return message


def end_of_stream(last_seq_no: int) -> dict[str, Any]:
    return {"message": ClientMessageType.END_OF_STREAM.value, "last_seq_no": last_seq_no}


def set_recognition_config(transcription_config: Mapping[str, Any]) -> dict[str, Any]:
    return {"message": ClientMessageType.SET_RECOGNITION_CONFIG.value,
            "transcription_config": dict(transcription_config)}


def get_speakers(final: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"message": ClientMessageType.GET_SPEAKERS.value}
    if final:
        message["final"] = True
    return message


def force_end_of_utterance(timestamp: float | None = None, channel: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"message": ClientMessageType.FORCE_END_OF_UTTERANCE.value}
    if timestamp is not None:
        message["timestamp"] = round(timestamp, 3)
    if channel is not None:
        message["channel"] = channel
    return message


def add_channel_audio(channel: str, data: bytes) -> dict[str, Any]:
    import base64

    return {"message": ClientMessageType.ADD_CHANNEL_AUDIO.value, "channel": channel,
            "data": base64.b64encode(data).decode("ascii")}


def end_of_channel(channel: str, last_seq_no: int) -> dict[str, Any]:
    return {"message": ClientMessageType.END_OF_CHANNEL.value, "channel": channel, "last_seq_no": last_seq_no}
