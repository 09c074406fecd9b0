"""Parsing realtime server messages: every known type typed, unknown types and fields tolerated."""

from __future__ import annotations

import json

import pytest

from studio.api.errors import ProtocolError
from studio.api.messages import (
    AudioAdded,
    AudioEvent,
    ChannelAudioAdded,
    EndOfTranscript,
    EndOfUtterance,
    Info,
    RecognitionStarted,
    ServerErrorMessage,
    ServerWarning,
    SpeakersResult,
    Transcript,
    Translation,
    UnknownMessage,
    add_channel_audio,
    end_of_stream,
    force_end_of_utterance,
    get_speakers,
    parse_server_message,
    start_recognition,
)

# Verbatim shapes from the reference (recorded trace and spec examples).
RECOGNITION_STARTED = {
    "message": "RecognitionStarted", "orchestrator_version": "2025.08.29127+289170c022.HEAD",
    "id": "9d8a5d05-7a62-4266-8cfc-9ffd9cb3cdf1",
    "language_pack_info": {"adapted": False, "itn": True, "language_description": "English",
                           "word_delimiter": " ", "writing_direction": "left-to-right"}}
FINAL = {
    "message": "AddTranscript", "format": "2.9",
    "results": [
        {"alternatives": [{"confidence": 1.0, "content": "three", "language": "en", "speaker": "S2"}],
         "end_time": 9.52, "start_time": 9.04, "type": "word"},
        {"alternatives": [{"confidence": 1.0, "content": ".", "language": "en", "speaker": "S2"}],
         "attaches_to": "previous", "end_time": 9.52, "is_eos": True, "start_time": 9.52, "type": "punctuation"}],
    "metadata": {"end_time": 11.0, "start_time": 9.0, "transcript": "three. "}}
ENTITY = {
    "type": "entity", "entity_class": "money", "start_time": 8.4415, "end_time": 10.1695,
    "alternatives": [{"confidence": 0.99, "content": "$2.05", "language": "en", "speaker": "S1"}],
    "spoken_form": [{"type": "word", "start_time": 8.44, "end_time": 8.76,
                     "alternatives": [{"confidence": 0.99, "content": "Two", "language": "en", "speaker": "S1"}]}],
    "written_form": [{"type": "word", "start_time": 8.44, "end_time": 10.17,
                      "alternatives": [{"confidence": 0.99, "content": "$2.05", "language": "en", "speaker": "S1"}]}]}


def test_recognition_started_from_the_trace() -> None:
    message = parse_server_message(json.dumps(RECOGNITION_STARTED))
    assert isinstance(message, RecognitionStarted)
    assert message.id == "9d8a5d05-7a62-4266-8cfc-9ffd9cb3cdf1"
    assert message.language_pack_info.word_delimiter == " "
    assert message.language_pack_info.itn
    assert message.unknown_fields == ()


def test_channel_list_under_either_name() -> None:
    new = parse_server_message({"message": "RecognitionStarted", "channel_ids": ["mic", "system"]})
    old = parse_server_message({"message": "RecognitionStarted", "channels": ["mic", "system"]})
    assert isinstance(new, RecognitionStarted) and isinstance(old, RecognitionStarted)
    assert new.channel_ids == old.channel_ids == ("mic", "system")


def test_final_with_punctuation() -> None:
    message = parse_server_message(FINAL)
    assert isinstance(message, Transcript) and not message.partial
    assert message.format == "2.9"
    word, mark = message.results
    assert (word.content, word.alternatives[0].speaker, word.start_time) == ("three", "S2", 9.04)
    assert mark.type == "punctuation" and mark.attaches_to == "previous" and mark.is_eos
    assert message.metadata.transcript == "three. "


def test_empty_final_and_partial_with_channel_at_the_top() -> None:
    empty = parse_server_message({"message": "AddTranscript", "results": [],
                                  "metadata": {"start_time": 1.0, "end_time": 2.0, "transcript": ""}})
    partial = parse_server_message({**FINAL, "message": "AddPartialTranscript", "channel": "mic", "forced": True})
    assert isinstance(empty, Transcript) and empty.results == ()
    assert isinstance(partial, Transcript) and partial.partial
    assert partial.channel == "mic" and partial.forced


def test_entity_keeps_spoken_and_written_forms() -> None:
    message = parse_server_message({**FINAL, "results": [ENTITY]})
    assert isinstance(message, Transcript)
    entity = message.results[0]
    assert entity.entity_class == "money" and entity.content == "$2.05"
    assert entity.spoken_form[0].content == "Two"
    assert entity.written_form[0].content == "$2.05"


@pytest.mark.parametrize(("raw", "kind"), [
    ({"message": "AudioAdded", "seq_no": 17}, AudioAdded),
    ({"message": "ChannelAudioAdded", "channel": "New_York", "seq_no": 10}, ChannelAudioAdded),
    ({"message": "EndOfUtterance", "format": "2.9", "metadata": {"end_time": 2.44, "start_time": 2.44}},
     EndOfUtterance),
    ({"format": "2.9", "message": "AddTranslation", "language": "es",
      "results": [{"start_time": 5.46, "end_time": 6.19, "content": "Bienvenidos a Speechmatics.", "speaker": "S1"}]},
     Translation),
    ({"message": "AudioEventStarted", "event": {"start_time": 4.2, "confidence": 0.8, "type": "music"},
      "channel": "London"}, AudioEvent),
    ({"message": "SpeakersResult", "speakers": [{"label": "S1", "speaker_identifiers": ["<id1>"]}]},
     SpeakersResult),
    ({"message": "EndOfTranscript"}, EndOfTranscript),
    ({"message": "Info", "type": "concurrent_session_usage", "reason": "1 concurrent sessions active out of quota 150",
      "usage": 1, "quota": 150, "last_updated": "2025-09-22T16:51:01Z"}, Info),
    ({"message": "Warning", "type": "duration_limit_exceeded", "reason": "limit", "duration_limit": 30}, ServerWarning),
    ({"message": "Error", "type": "quota_exceeded", "reason": "Concurrent Quota Exceeded"}, ServerErrorMessage),
])
def test_every_server_message_type(raw: dict[str, object], kind: type) -> None:
    message = parse_server_message(raw)
    assert isinstance(message, kind)
    assert message.raw == raw
    assert message.unknown_fields == ()


def test_unknown_type_and_fields_are_tolerated() -> None:
    unknown = parse_server_message({"message": "LanguageInfo", "language": "ar"})
    assert isinstance(unknown, UnknownMessage) and unknown.message == "LanguageInfo"
    extra = parse_server_message({"message": "AudioAdded", "seq_no": 1, "shiny_new_field": {"x": 1}})
    assert isinstance(extra, AudioAdded) and extra.unknown_fields == ("shiny_new_field",)


@pytest.mark.parametrize("frame", [
    "not json", "[1, 2]", '"text"', '{"no_message": 1}', '{"message": 42}',
    '{"message": "AudioAdded"}', '{"message": "AudioAdded", "seq_no": "3"}',
    '{"message": "AudioAdded", "seq_no": true}',
    '{"message": "AddTranscript", "results": [], "metadata": "x"}',
    '{"message": "AddTranscript", "results": [1], "metadata": {"start_time": 0, "end_time": 1}}',
    '{"message": "AddTranscript", "results": [{"type": "word"}], "metadata": {"start_time": 0, "end_time": 1}}',
    '{"message": "Error", "reason": "no type"}',
])
def test_malformed_frames_are_protocol_errors(frame: str) -> None:
    with pytest.raises(ProtocolError):
        parse_server_message(frame)


def test_client_messages() -> None:
    start = start_recognition({"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}, {"language": "en"},
                              {"target_languages": ["es"]}, {})
    assert start["message"] == "StartRecognition"
    assert start["translation_config"] == {"target_languages": ["es"]}  # top level, not inside transcription_config
    assert start["audio_events_config"] == {}
    assert end_of_stream(12) == {"message": "EndOfStream", "last_seq_no": 12}
    assert get_speakers() == {"message": "GetSpeakers"}
    assert get_speakers(final=True) == {"message": "GetSpeakers", "final": True}
    assert force_end_of_utterance() == {"message": "ForceEndOfUtterance"}
    forced = force_end_of_utterance(63.5, "mic")
    assert forced == {"message": "ForceEndOfUtterance", "timestamp": 63.5, "channel": "mic"}
    assert add_channel_audio("mic", b"\x00\x01") == {"message": "AddChannelAudio", "channel": "mic", "data": "AAE="}
