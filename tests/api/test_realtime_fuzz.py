"""Property: whatever a realtime service sends after the handshake, the client hands out typed messages or fails
with an ``ApiError`` — never another exception, never a hang.

A small ``websockets`` server completes the handshake, may send frames before ``RecognitionStarted``, starts the
session, sends hypothesis-generated frames (random JSON, wrong types, unknown messages, binary frames, truncated
JSON, huge numbers, deep nesting, real messages with one field spoiled) and then ends in one of several ways,
including premature close codes and a dropped connection.
"""

from __future__ import annotations

import asyncio
import gc
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.server import ServerConnection, serve

from studio.api.config import AudioFormat, TranscriptionConfig
from studio.api.errors import ApiError
from studio.api.messages import ServerMessage, ServerMessageType
from studio.api.realtime import RealtimeClient, RealtimeOptions

STARTED = json.dumps({"message": "RecognitionStarted", "id": "fuzz", "language_pack_info": {"word_delimiter": " "}})
CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 3000, 4001, 4003, 4004, 4005, 4006, 4013, 4999)
KINDS = [t.value for t in ServerMessageType] + ["LanguageInfo", "SessionTransfer", "", "addtranscript"]
FIELDS = ["seq_no", "results", "metadata", "type", "reason", "channel", "language", "speakers", "event", "format",
          "id", "language_pack_info", "channel_ids", "code", "forced", "alternatives", "start_time", "end_time",
          "transcript", "usage", "quota", "final", "content", "speaker"]
TEMPLATES: list[dict[str, Any]] = [
    {"message": "AudioAdded", "seq_no": 1},
    {"message": "ChannelAudioAdded", "channel": "left", "seq_no": 1},
    {"message": "AddTranscript", "format": "2.9", "metadata": {"start_time": 0.0, "end_time": 1.0, "transcript": "hi "},
     "results": [{"type": "word", "start_time": 0.1, "end_time": 0.4,
                  "alternatives": [{"content": "hi", "confidence": 0.9, "speaker": "S1"}]}]},
    {"message": "AddPartialTranscript", "metadata": {"start_time": 0, "end_time": 0, "transcript": ""}, "results": []},
    {"message": "EndOfUtterance", "metadata": {"start_time": 1.0, "end_time": 1.0}},
    {"message": "AddTranslation", "language": "de", "results": [{"content": "hallo", "start_time": 0, "end_time": 1}]},
    {"message": "AudioEventStarted", "event": {"type": "music", "start_time": 1.0, "confidence": 0.5}},
    {"message": "SpeakersResult", "speakers": [{"label": "S1", "speaker_identifiers": ["x"]}]},
    {"message": "Info", "type": "recognition_quality", "reason": "ok", "quality": "broadcast"},
    {"message": "Warning", "type": "idle_timeout", "reason": "soon"},
    {"message": "Error", "type": "job_error", "reason": "fuzzed"},
    {"message": "RecognitionStarted", "id": "again"},
    {"message": "EndOfTranscript"},
]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=4),
                           max_leaves=16)
message_like = st.builds(lambda kind, fields: {**fields, "message": kind},
                         st.sampled_from(KINDS) | st.text(max_size=10),
                         st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), json_values, max_size=5))
spoiled = st.builds(lambda template, key, value: {**template, key: value},
                    st.sampled_from(TEMPLATES), st.sampled_from(FIELDS), json_values)


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


text_frames = st.one_of(
    st.sampled_from(TEMPLATES).map(_dumps),
    spoiled.map(_dumps),
    message_like.map(_dumps),
    json_values.map(_dumps),
    st.tuples(message_like.map(_dumps), st.integers(min_value=0, max_value=60)).map(lambda t: t[0][:t[1]]),
    st.integers(min_value=1, max_value=2000).map(lambda digits: '{"message": "AudioAdded", "seq_no": 1' + "0" * digits
                                                 + "}"),
    st.sampled_from(['{"message": "AddTranscript", "metadata": {"start_time": 1e999, "end_time": -1e999, '
                     '"transcript": ""}, "results": []}', '{"message": "Info", "type": "x", "code": 1e400}',
                     '{"message": "AudioAdded", "seq_no": -5}', '{"message": "AudioAdded", "seq_no": 1.5}',
                     '{"message": "AudioAdded", "seq_no": true}', "null", "", " ", "\u2028"]),
    st.integers(min_value=1, max_value=50_000).map(
        lambda depth: '{"message": "AddTranscript", "results": ' + "[" * depth + "]" * depth + "}"),
    st.integers(min_value=1, max_value=600).map(
        lambda depth: '{"message": "AddTranscript", "metadata": {"start_time": 0, "end_time": 1}, "results": ['
                      + '{"type": "entity", "start_time": 0, "end_time": 1, "spoken_form": [' * depth
                      + "]}" * depth + "]}"),
)
frames = st.one_of(text_frames, st.binary(max_size=64))


@dataclass(frozen=True)
class Ending:
    how: str  # "close", "abort", "end_of_transcript", "error_then_close"
    code: int


endings = st.builds(Ending, st.sampled_from(["close", "abort", "end_of_transcript", "error_then_close"]),
                    st.sampled_from(CLOSE_CODES))


async def _scenario(before: list[str | bytes], after: list[str | bytes], ending: Ending) -> list[str]:
    """Runs one session; returns the problems seen (an empty list is a pass)."""
    problems: list[str] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: problems.append(f"unhandled: {context.get('message')}"))

    async def service(ws: ServerConnection) -> None:
        await ws.recv()  # StartRecognition
        for frame in before:
            await ws.send(frame)
        await ws.send(STARTED)
        for frame in after:
            await ws.send(frame)
        if ending.how == "abort":
            ws.transport.abort()
            return
        if ending.how == "error_then_close":
            await ws.send(json.dumps({"message": "Error", "type": "protocol_error", "reason": "fuzz"}))
        if ending.how == "end_of_transcript":
            await ws.send(json.dumps({"message": "EndOfTranscript"}))
            await ws.wait_closed()
            return
        await ws.close(ending.code)

    options = RealtimeOptions(start_timeout=2.0, end_timeout=2.0, close_timeout=0.5, ack_timeout=2.0,
                              max_in_flight=2, ping_interval=None)
    async with serve(service, "127.0.0.1", 0, compression=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        client = RealtimeClient(f"ws://127.0.0.1:{port}/v2", options=options)

        async def drive() -> None:
            try:
                session = await client.start(AudioFormat(), TranscriptionConfig())
            except ApiError:
                return
            try:
                for _ in range(3):
                    await session.send_audio(bytes(320))
                async for message in session:
                    if not isinstance(message, ServerMessage):
                        problems.append(f"not a typed message: {message!r}")
                await session.end()
            except ApiError:
                pass
            finally:
                await session.close()

        try:
            await asyncio.wait_for(drive(), 10.0)
        except TimeoutError:
            problems.append("the client hung")
        except Exception as exc:  # the property: nothing but ApiError may come out
            problems.append(f"{type(exc).__name__}: {exc}")
    gc.collect()  # a task that died with an exception nobody retrieved reports it to the handler now
    return problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(before=st.lists(st.one_of(st.sampled_from(TEMPLATES[8:10]).map(_dumps), frames), max_size=2),
       after=st.lists(frames, max_size=6), ending=endings)
def test_the_client_survives_whatever_the_service_sends(before: list[str | bytes], after: list[str | bytes],
                                                        ending: Ending) -> None:
    assert asyncio.run(_scenario(before, after, ending)) == []
