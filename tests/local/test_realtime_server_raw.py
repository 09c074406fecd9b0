"""The local server's realtime API, driven with a plain ``websockets`` client and raw JSON/bytes only.

Nothing from ``studio.api`` is used here, so these tests check the server against the protocol reference
(speechmatics-protocol.md §1, §7) independently of the studio's own client.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from studio.local.server import Limits, LocalServer, ServerConfig
from tests.fakes.server import SERVER_KEY

KEY = SERVER_KEY
RAW = {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
FRAME = bytes(3200)  # 100 ms of 16 kHz s16le silence
TIMEOUT = 5.0

Message = dict[str, Any]


def start(**config: Any) -> str:
    audio_format = config.pop("audio_format", RAW)
    extra = {k: config.pop(k) for k in ("translation_config", "audio_events_config") if k in config}
    return json.dumps({"message": "StartRecognition", "audio_format": audio_format,
                       "transcription_config": {"language": "en", **config}, **extra})


@asynccontextmanager
async def opened(server: LocalServer, path: str = "/v2", *, auth: bool = True,
                 ping_interval: float | None = None) -> AsyncIterator[ClientConnection]:
    headers = {"Authorization": f"Bearer {KEY}"} if auth else {}
    url = f"ws://{server.host}:{server.port}{path}"
    async with connect(url, additional_headers=headers, ping_interval=ping_interval, compression=None) as ws:
        yield ws


async def recv(ws: ClientConnection) -> Message:
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(frame, str), "the server sends only text frames"
    message = json.loads(frame)
    assert isinstance(message, dict) and isinstance(message.get("message"), str)
    return message


async def until(ws: ClientConnection, kind: str, *, skip_acks: bool = True) -> list[Message]:
    """Messages up to and including the first of type ``kind``."""
    seen: list[Message] = []
    while True:
        message = await recv(ws)
        if skip_acks and message["message"] in ("AudioAdded", "ChannelAudioAdded"):
            continue
        seen.append(message)
        if message["message"] == kind:
            return seen


async def started(ws: ClientConnection, **config: Any) -> list[Message]:
    """Sends StartRecognition; returns what came before RecognitionStarted, and it."""
    info = await recv(ws)
    assert info["message"] == "Info" and info["type"] == "concurrent_session_usage"
    await ws.send(start(**config))
    return [info, *await until(ws, "RecognitionStarted")]


async def closing(ws: ClientConnection) -> tuple[list[Message], int | None, str]:
    """Everything until the server closes, and its close code and reason (None: no close frame)."""
    seen: list[Message] = []
    try:
        while True:
            seen.append(await recv(ws))
    except ConnectionClosed as closed:
        if closed.rcvd is None:
            return seen, None, ""
        return seen, closed.rcvd.code, closed.rcvd.reason


async def stream(ws: ClientConnection, frames: int, frame: bytes = FRAME) -> None:
    for _ in range(frames):
        await ws.send(frame)


async def transcript(ws: ClientConnection, frames: int) -> list[Message]:
    """Streams ``frames`` frames, ends the stream and returns every message up to EndOfTranscript (acks too)."""
    await stream(ws, frames)
    await ws.send(json.dumps({"message": "EndOfStream", "last_seq_no": frames}))
    return await until(ws, "EndOfTranscript", skip_acks=False)


async def eventually(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


# -- handshake and ordering -------------------------------------------------------------------------------

async def test_info_comes_before_recognition_started(server: LocalServer) -> None:
    async with opened(server) as ws:
        before = await started(ws)
    info, quality, recognition = before
    assert info["usage"] == 1 and "1 concurrent sessions active" in info["reason"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["last_updated"])
    assert quality == {"message": "Info", "type": "recognition_quality", "quality": "broadcast",
                       "reason": quality["reason"]}
    assert recognition["message"] == "RecognitionStarted"
    uuid.UUID(recognition["id"])
    assert recognition["orchestrator_version"] == server.config.orchestrator_version
    assert recognition["language_pack_info"]["word_delimiter"] == " "
    assert "channel_ids" not in recognition


async def test_session_info_can_be_turned_off(server: LocalServer) -> None:
    server.config.send_session_info = False
    async with opened(server) as ws:
        await ws.send(start(audio_format={"type": "raw", "encoding": "mulaw", "sample_rate": 8000}))
        first = await recv(ws)
        assert first["message"] == "Info" and first["quality"] == "telephony"
        assert (await recv(ws))["message"] == "RecognitionStarted"


async def test_acks_transcripts_and_the_realtime_quirks(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, enable_partials=True, conversation_config={"end_of_utterance_silence_trigger": 0.5})
        messages = await transcript(ws, 120)
    acks = [m["seq_no"] for m in messages if m["message"] == "AudioAdded"]
    assert acks == list(range(1, 121)), "AudioAdded counts every frame from 1"
    results = [m for m in messages if m["message"] != "AudioAdded"]
    assert results[-1] == {"message": "EndOfTranscript"}
    kinds = [m["message"] for m in results]
    assert {"AddTranscript", "AddPartialTranscript", "EndOfUtterance"} <= set(kinds)
    for message in results[:-1]:
        assert message["format"] == "2.9"
        assert "channel" not in message, "channel is only sent in multichannel sessions"
    for index, kind in enumerate(kinds):
        if kind == "AddTranscript":
            assert kinds[index + 1] == "AddPartialTranscript", "a partial follows every final"
    finals = [m for m in results if m["message"] == "AddTranscript"]
    assert any(m["results"] == [] and m["metadata"]["transcript"] == "" for m in finals), "empty finals are sent"
    words = [m for m in finals if m["results"]]
    assert words and all(set(m["metadata"]) == {"start_time", "end_time", "transcript"} for m in words)
    markers = [m for m in results if m["message"] == "EndOfUtterance"]
    assert all(m["metadata"]["start_time"] == m["metadata"]["end_time"] for m in markers)
    assert "forced" not in markers[0]


async def test_partials_only_when_enabled(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws)
        messages = await transcript(ws, 80)
    kinds = {m["message"] for m in messages}
    assert "AddTranscript" in kinds and "AddPartialTranscript" not in kinds
    assert "EndOfUtterance" not in kinds, "no end-of-utterance markers without a silence trigger"


async def test_usage_is_recorded_when_a_session_ends(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, model="enhanced")
        await transcript(ws, 25)
    await eventually(lambda: bool(server.usage))
    record = server.usage[0]
    assert (record.mode, record.language, record.operating_point, record.seconds) == ("realtime", "en",
                                                                                        "enhanced", 2.5)
    assert server.active_sessions == 0


@pytest.mark.parametrize("path", ["/v2", "/v2/", "/v2/en", "/v2/en?sm-sdk=test&unknown=1&jwt="])
async def test_accepted_paths(server: LocalServer, path: str) -> None:
    async with opened(server, path) as ws:
        before = await started(ws)
    assert before[-1]["message"] == "RecognitionStarted"


async def test_the_path_language_must_match_the_config(server: LocalServer) -> None:
    async with opened(server, "/v2/de") as ws:
        await recv(ws)
        await ws.send(start())
        messages, code, reason = await closing(ws)
    assert messages[-1]["type"] == "invalid_config" and "'de'" in messages[-1]["reason"]
    assert (code, reason) == (1003, "protocol_error")


async def test_the_batch_paths_are_not_realtime(server: LocalServer) -> None:
    app = server.make_app()

    async def resolve(path: str) -> str | None:
        match = await app.router.resolve(make_mocked_request("GET", path, app=app))
        return match.route.resource.canonical if match.route.resource is not None else None

    assert await resolve("/v2/en") == "/v2/{lang}"
    assert await resolve("/v2/cmn_en") == "/v2/{lang}"
    assert await resolve("/v2/jobs") != "/v2/{lang}"
    assert await resolve("/v2/usage") != "/v2/{lang}"


# -- authentication --------------------------------------------------------------------------------------------

async def test_a_missing_or_bad_key_gets_401_before_the_upgrade(server: LocalServer) -> None:
    url = f"ws://{server.host}:{server.port}/v2"
    with pytest.raises(InvalidStatus) as missing:
        await connect(url)
    assert missing.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as bad:
        await connect(url, additional_headers={"Authorization": "Bearer not-the-key"})
    assert bad.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as bad_jwt:
        await connect(url + "?jwt=not-a-key")
    assert bad_jwt.value.response.status_code == 401


async def test_a_temporary_key_works_in_the_query(server: LocalServer) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(
            f"{server.base_url}/v1/api_keys", params={"type": "rt"}, json={"ttl": 60},
            headers={"Authorization": f"Bearer {KEY}"}) as response:
        assert response.status == 201
        key = (await response.json())["key_value"]
    url = f"ws://{server.host}:{server.port}/v2?sm-app=x&jwt={key}"
    async with connect(url) as ws:
        before = await started(ws)
    assert before[-1]["message"] == "RecognitionStarted"


async def test_a_rejected_handshake_fault(server: LocalServer) -> None:
    server.faults.realtime.reject_handshake = 503
    with pytest.raises(InvalidStatus) as rejected:
        async with opened(server):
            pass
    assert rejected.value.response.status_code == 503


@pytest.mark.parametrize("limits", [Limits(max_sessions=1)])
async def test_the_concurrent_quota(server: LocalServer) -> None:
    async with opened(server) as first:
        await started(first)
        async with opened(server) as second:
            messages, code, reason = await closing(second)
    assert messages == [{"message": "Error", "type": "quota_exceeded", "reason": "Concurrent Quota Exceeded"}]
    assert (code, reason) == (4005, "quota_exceeded")
    await eventually(lambda: server.active_sessions == 0)
    async with opened(server) as third:
        assert (await started(third))[-1]["message"] == "RecognitionStarted"


# -- errors ---------------------------------------------------------------------------------------------------

BAD_STARTS: list[tuple[str, str, int]] = [
    (json.dumps({"message": "StartRecognition", "transcription_config": {"language": "en"}}),
     "invalid_audio_type", 1003),
    (start(audio_format={"type": "raw", "encoding": "pcm_s24le", "sample_rate": 16000}), "invalid_audio_type", 1003),
    (start(audio_format={"type": "raw", "encoding": "pcm_s16le"}), "invalid_audio_type", 1003),
    (start(audio_format={"type": "mp3"}), "invalid_audio_type", 1003),
    (json.dumps({"message": "StartRecognition", "audio_format": RAW}), "invalid_config", 1003),
    (start(max_delay=5), "invalid_config", 1003),
    (start(max_delay_mode="eventually"), "invalid_config", 1003),
    (start(diarization="speaker_change"), "invalid_config", 1003),
    (start(model="turbo"), "invalid_config", 1003),
    (start(model="enhanced", operating_point="enhanced"), "invalid_config", 1003),
    (start(enable_partials="yes"), "invalid_config", 1003),
    (start(punctuation_overrides={"permitted_marks": ["!!"]}), "invalid_config", 1003),
    (start(conversation_config={"end_of_utterance_silence_trigger": 3}), "invalid_config", 1003),
    (start(speaker_diarization_config={"speakers": [{"label": "S1", "speaker_identifiers": ["x"]}]}),
     "invalid_config", 1003),
    (start(additional_vocab=["x"] * 1001), "invalid_config", 1003),
    (start(unheard_of_field=True), "invalid_config", 1003),
    (start(diarization="channel"), "invalid_config", 1003),
    (start(diarization="channel", channel_diarization_labels=["a", "b", "c"]), "invalid_config", 1003),
    (start(channel_diarization_labels=["a", "a"], diarization="channel"), "invalid_config", 1003),
    (start(translation_config={"target_languages": ["de", "es", "fr", "it", "pt", "nl"]}), "invalid_config", 1003),
    (start(audio_events_config={"types": ["barking"]}), "invalid_config", 1003),
    (start(language=""), "invalid_config", 1003),
    (start(language="de"), "invalid_language", 4004),
    ("{not json", "invalid_message", 1003),
    ("[1, 2]", "invalid_message", 1003),
    (json.dumps({"message": "MakeCoffee"}), "invalid_message", 1003),
    (json.dumps({"message": "EndOfStream", "last_seq_no": 0}), "protocol_error", 1003),
]


@pytest.mark.parametrize(("first", "error_type", "code"), BAD_STARTS)
async def test_errors_before_the_session_starts(server: LocalServer, first: str, error_type: str, code: int) -> None:
    async with opened(server) as ws:
        await recv(ws)
        await ws.send(first)
        messages, close_code, reason = await closing(ws)
    assert [m["message"] for m in messages] == ["Error"]
    assert messages[0]["type"] == error_type and messages[0]["reason"]
    assert (close_code, reason) == (code, {1003: "protocol_error", 4004: "invalid_model"}[code])
    assert server.usage == [], "a session that never started is not billed"


async def test_audio_before_start_recognition(server: LocalServer) -> None:
    async with opened(server) as ws:
        await recv(ws)
        await ws.send(FRAME)
        messages, code, _ = await closing(ws)
    assert messages[0]["type"] == "protocol_error" and code == 1003


AFTER_START: list[tuple[Any, str]] = [
    (start(), "protocol_error"),
    (json.dumps({"message": "SetRecognitionConfig",
                 "transcription_config": {"language": "en", "diarization": "speaker"}}), "invalid_config"),
    (json.dumps({"message": "SetRecognitionConfig", "transcription_config": {"language": "fr"}}), "invalid_config"),
    (json.dumps({"message": "SetRecognitionConfig", "transcription_config": {"max_delay": 0.1}}), "invalid_config"),
    (json.dumps({"message": "SetRecognitionConfig"}), "invalid_config"),
    (json.dumps({"message": "AddChannelAudio", "channel": "left", "data": ""}), "protocol_error"),
    (json.dumps({"message": "EndOfStream"}), "invalid_message"),
    (json.dumps({"message": "ForceEndOfUtterance", "timestamp": -1}), "invalid_message"),
    (json.dumps({"message": "GetSpeakers", "final": "yes"}), "invalid_message"),
]


@pytest.mark.parametrize(("message", "error_type"), AFTER_START)
async def test_errors_during_a_session(server: LocalServer, message: str, error_type: str) -> None:
    async with opened(server) as ws:
        await started(ws)
        await stream(ws, 3)
        await ws.send(message)
        messages, code, reason = await closing(ws)
    errors = [m for m in messages if m["message"] == "Error"]
    assert len(errors) == 1 and errors[0]["type"] == error_type
    assert messages[-1] is errors[0], "the Error is the last message before the close"
    assert (code, reason) == (1003, "protocol_error")


async def test_audio_after_end_of_stream_is_ignored_with_a_warning(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws)
        messages = await transcript(ws, 10)
        await ws.send(FRAME)
        await ws.send(FRAME)
        warning = await recv(ws)
    assert messages[-1]["message"] == "EndOfTranscript"
    assert warning["message"] == "Warning" and warning["type"] == "add_audio_after_eos"
    await eventually(lambda: bool(server.usage))
    assert server.usage[0].seconds == 1.0


# -- control messages ---------------------------------------------------------------------------------------

async def test_set_recognition_config_turns_partials_on(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, enable_partials=False)
        await stream(ws, 40)
        await ws.send(json.dumps({"message": "SetRecognitionConfig",
                                  "transcription_config": {"language": "en", "enable_partials": True,
                                                           "max_delay": 2.0, "max_delay_mode": "fixed"}}))
        before = await until(ws, "AddTranscript")
        after = await transcript(ws, 60)
    assert all(m["message"] != "AddPartialTranscript" for m in before)
    assert any(m["message"] == "AddPartialTranscript" for m in after)


async def test_get_speakers_now_and_at_the_end(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, diarization="speaker")
        await stream(ws, 40)
        await until(ws, "AddTranscript")
        await ws.send(json.dumps({"message": "GetSpeakers"}))
        now = (await until(ws, "SpeakersResult"))[-1]
        await ws.send(json.dumps({"message": "GetSpeakers", "final": True}))
        messages = await transcript(ws, 60)
    assert now["speakers"] == [{"label": "S1", "speaker_identifiers": ["S1-voiceprint"]}]
    kinds = [m["message"] for m in messages if m["message"] != "AudioAdded"]
    assert kinds.count("SpeakersResult") == 1 and kinds[-2:] == ["SpeakersResult", "EndOfTranscript"]
    final = next(m for m in messages if m["message"] == "SpeakersResult")
    assert {s["label"] for s in final["speakers"]} == {"S1", "S2"}


async def test_speakers_from_the_config_at_the_end(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, diarization="speaker", speaker_diarization_config={"get_speakers": True})
        messages = await transcript(ws, 40)
    assert [m["message"] for m in messages[-2:]] == ["SpeakersResult", "EndOfTranscript"]


async def test_force_end_of_utterance(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, enable_partials=True)
        await stream(ws, 16)
        await until(ws, "AddPartialTranscript")
        await ws.send(json.dumps({"message": "ForceEndOfUtterance", "timestamp": 1.2}))
        messages = await until(ws, "EndOfUtterance")
    final = next(m for m in messages if m["message"] == "AddTranscript")
    marker = messages[-1]
    assert final["forced"] is True and final["format"] == "2.9" and final["results"]
    assert marker == {"message": "EndOfUtterance", "forced": True, "format": "2.9",
                      "metadata": {"start_time": 1.2, "end_time": 1.2}}
    kinds = [m["message"] for m in messages]
    assert kinds[kinds.index("AddTranscript") + 1] == "AddPartialTranscript"


async def test_pre_start_warnings(server: LocalServer) -> None:
    long_entry = "one two three four five six seven"
    async with opened(server) as ws:
        before = await started(ws, additional_vocab=["gnocchi", {"content": long_entry}],
                               translation_config={"target_languages": []})
    warnings = [m for m in before if m["message"] == "Warning"]
    assert [w["type"] for w in warnings] == ["validation_warning", "empty_translation_target_list"]
    assert "one two three" in warnings[0]["reason"]
    assert before[-1]["message"] == "RecognitionStarted"


async def test_translations(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, translation_config={"target_languages": ["fr"], "enable_partials": False})
        messages = await transcript(ws, 60)
    translations = [m for m in messages if m["message"].endswith("Translation")]
    assert translations and {m["message"] for m in translations} == {"AddTranslation"}
    assert all(m["language"] == "fr" and m["format"] == "2.9" for m in translations)


# -- multichannel ---------------------------------------------------------------------------------------------

async def test_multichannel(server: LocalServer) -> None:
    import base64

    chunk = base64.b64encode(FRAME).decode()
    async with opened(server) as ws:
        before = await started(ws, diarization="channel", channel_diarization_labels=["left", "right"],
                               enable_partials=True, translation_config={"target_languages": ["de"]})
        assert before[-1]["channel_ids"] == ["left", "right"]
        for _ in range(50):
            for label in ("left", "right"):
                await ws.send(json.dumps({"message": "AddChannelAudio", "channel": label, "data": chunk}))
        await ws.send(json.dumps({"message": "EndOfChannel", "channel": "left", "last_seq_no": 50}))
        await ws.send(json.dumps({"message": "AddChannelAudio", "channel": "right", "data": chunk}))
        await ws.send(json.dumps({"message": "EndOfChannel", "channel": "right", "last_seq_no": 51}))
        messages = await until(ws, "EndOfTranscript", skip_acks=False)
    acks: dict[str, list[int]] = {"left": [], "right": []}
    for message in messages:
        if message["message"] == "ChannelAudioAdded":
            acks[message["channel"]].append(message["seq_no"])
    assert acks == {"left": list(range(1, 51)), "right": list(range(1, 52))}
    assert not any(m["message"] == "AudioAdded" for m in messages)
    transcripts = [m for m in messages if m["message"] in ("AddTranscript", "AddPartialTranscript")]
    assert {m["channel"] for m in transcripts} == {"left", "right"}, "channel is at the top level"
    assert all("channel" not in r for m in transcripts for r in m["results"])
    translations = [m for m in messages if m["message"] == "AddTranslation"]
    assert translations and all("channel" not in m for m in translations)
    await eventually(lambda: bool(server.usage))
    assert server.usage[0].seconds == pytest.approx(10.1)


async def test_multichannel_takes_no_binary_audio(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, diarization="channel", channel_diarization_labels=["a", "b"])
        await ws.send(FRAME)
        messages, code, _ = await closing(ws)
    assert messages[-1]["type"] == "protocol_error" and code == 1003


async def test_multichannel_unknown_channel(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, diarization="channel_and_speaker", channel_diarization_labels=["a", "b"])
        await ws.send(json.dumps({"message": "AddChannelAudio", "channel": "c", "data": ""}))
        messages, code, _ = await closing(ws)
    assert messages[-1]["type"] == "invalid_message" and code == 1003


# -- file audio -------------------------------------------------------------------------------------------------

# (realtime file audio: tests/local/test_realtime_file_audio.py)


# -- timers -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("limits", [Limits(idle_timeout=0.6, idle_warnings=(0.4, 0.2))])
async def test_idle_warnings_then_idle_timeout(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws)
        await stream(ws, 2)
        messages, code, reason = await closing(ws)
    notices = [m for m in messages if m["message"] in ("Warning", "Error")]
    assert [(m["message"], m["type"]) for m in notices] == [("Warning", "idle_timeout"), ("Warning", "idle_timeout"),
                                                           ("Error", "idle_timeout")]
    assert notices[0]["reason"] == ("Session will timeout in 0.0067m due to inactivity, "
                                    "no audio sent within the last 0.0033m")
    assert notices[1]["reason"] == ("Session will timeout in 0.0033m due to inactivity, "
                                    "no audio sent within the last 0.0067m")
    assert (code, reason) == (1008, "policy_violation")


@pytest.mark.parametrize("limits", [Limits(session_timeout=0.5, session_warnings=(0.25,))])
async def test_session_warning_then_session_timeout(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws)
        messages, code, _ = await closing(ws)
    notices = [(m["message"], m["type"]) for m in messages if m["message"] in ("Warning", "Error")]
    assert notices == [("Warning", "session_timeout"), ("Error", "session_timeout")]
    warning = next(m for m in messages if m["message"] == "Warning")
    assert re.fullmatch(r"Session will timeout in 0\.0042m due to max duration, session has been active for "
                        r"0\.0042m", warning["reason"])
    assert code == 1008


def test_warning_minutes_read_like_the_service() -> None:
    from studio.local.realtime import minutes

    assert (minutes(900), minutes(3300), minutes(170100), minutes(30)) == ("15", "55", "2835", "0.5")


@pytest.mark.parametrize("limits", [Limits(keepalive_timeout=0.3)])
async def test_no_audio_and_no_ping_closes_with_1008(server: LocalServer) -> None:
    async with opened(server, ping_interval=None) as ws:
        await started(ws)
        messages, code, reason = await closing(ws)
    assert not any(m["message"] == "Error" for m in messages)
    assert (code, reason) == (1008, "policy_violation")


@pytest.mark.parametrize("limits", [Limits(keepalive_timeout=0.3)])
async def test_pings_keep_a_quiet_session_open(server: LocalServer) -> None:
    async with opened(server, ping_interval=0.05) as ws:
        await started(ws)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.9)  # three keepalive limits pass without a close
        await ws.send(json.dumps({"message": "EndOfStream", "last_seq_no": 0}))
        assert (await until(ws, "EndOfTranscript"))[-1]["message"] == "EndOfTranscript"


async def test_the_server_shutting_down_closes_sessions(limits: Limits) -> None:
    server = LocalServer(config=ServerConfig(require_auth=False, limits=limits))
    await server.start()
    try:
        async with opened(server, auth=False) as ws:
            await started(ws)
            stopping = asyncio.create_task(server.stop())
            _, code, _ = await closing(ws)
            await stopping
    finally:
        await server.stop()
    assert code == 1001


# -- faults -------------------------------------------------------------------------------------------------------

async def test_fault_drop_after_frames(server: LocalServer) -> None:
    server.faults.realtime.drop_after_frames = 3
    async with opened(server) as ws:
        await started(ws)
        await stream(ws, 3)
        messages, code, _ = await closing(ws)
    assert [m["seq_no"] for m in messages if m["message"] == "AudioAdded"] == [1, 2, 3]
    assert code is None, "the connection is dropped without a close frame"


async def test_fault_drop_after_seconds(server: LocalServer) -> None:
    server.faults.realtime.drop_after_seconds = 0.2
    async with opened(server) as ws:
        await started(ws)
        _, code, _ = await closing(ws)
    assert code is None


async def test_fault_error_and_warning_after_frames(server: LocalServer) -> None:
    server.faults.realtime.warning_after_frames = (2, "duration_limit_exceeded", "limit reached")
    server.faults.realtime.error_after_frames = (4, "job_error", "the engine fell over")
    async with opened(server) as ws:
        await started(ws)
        await stream(ws, 4)
        messages, code, reason = await closing(ws)
    kinds = [(m["message"], m.get("seq_no"), m.get("type")) for m in messages]
    assert kinds[:3] == [("AudioAdded", 1, None), ("AudioAdded", 2, None),
                         ("Warning", None, "duration_limit_exceeded")]
    assert messages[-1] == {"message": "Error", "type": "job_error", "reason": "the engine fell over"}
    assert (code, reason) == (4013, "job_error")


async def test_fault_ack_delay_slows_acks(server: LocalServer) -> None:
    server.faults.realtime.ack_delay = 0.1
    async with opened(server) as ws:
        await started(ws)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await stream(ws, 3)
        seen = [await recv(ws) for _ in range(3)]
        elapsed = loop.time() - began
    assert [m["seq_no"] for m in seen] == [1, 2, 3]
    assert elapsed >= 0.3


async def test_acks_are_not_held_up_by_a_slow_recogniser(server: LocalServer) -> None:
    from studio.local.engines import Payload, RecognitionSession
    from studio.local.scripted import ScriptedRecognizer

    release = asyncio.Event()

    class Stuck:
        """The scripted recogniser, stuck in its first ``feed`` until the test releases it."""

        def __init__(self, inner: RecognitionSession) -> None:
            self.inner = inner
            self.warnings = inner.warnings

        async def feed(self, audio: bytes, audio_seconds: float) -> Sequence[Payload]:
            await release.wait()
            return await self.inner.feed(audio, audio_seconds)

        async def force_end_of_utterance(self, timestamp: float | None) -> Sequence[Payload]:
            return await self.inner.force_end_of_utterance(timestamp)

        def update_config(self, transcription_config: Mapping[str, Any]) -> None:
            self.inner.update_config(transcription_config)

        def speakers(self) -> Sequence[Payload]:
            return self.inner.speakers()

        async def finish(self) -> Sequence[Payload]:
            return await self.inner.finish()

    class SlowRecognizer(ScriptedRecognizer):
        def open(self, transcription_config: Mapping[str, Any], audio_format: Mapping[str, Any],
                 translation_config: Mapping[str, Any] | None,
                 audio_events_config: Mapping[str, Any] | None) -> Any:
            return Stuck(super().open(transcription_config, audio_format, translation_config, audio_events_config))

    server.recognizer = SlowRecognizer()
    async with opened(server) as ws:
        await started(ws)
        await stream(ws, 30)
        acks = [await recv(ws) for _ in range(30)]
        assert [m["seq_no"] for m in acks] == list(range(1, 31)), "acks flow while the recogniser is stuck"
        release.set()
        messages = await transcript(ws, 10)
    assert any(m["message"] == "AddTranscript" for m in messages)

