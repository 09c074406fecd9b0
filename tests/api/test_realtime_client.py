"""The realtime client against the real local server over real sockets, and against small fake servers where
the test needs to see the wire or make the service misbehave in ways the local server does not."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from studio.api import messages as m
from studio.api.auth import StaticKey, TemporaryKeys
from studio.api.config import AudioFormat, TranscriptionConfig, TranslationConfig
from studio.api.errors import (
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    HttpError,
    NetworkError,
    ProtocolError,
    QuotaExceededError,
    RateLimitedError,
    RealtimeError,
    SessionLimitError,
)
from studio.api.http import SDK_ID
from studio.api.realtime import RealtimeClient, RealtimeOptions, RealtimeSession
from studio.local.server import Limits, LocalServer
from tests.fakes.server import SERVER_KEY

KEY = SERVER_KEY
PCM = AudioFormat("pcm_s16le", 16000)
FRAME = bytes(3200)  # 100 ms
TIMEOUT = 5.0
FAST = RealtimeOptions(close_timeout=1.0, end_timeout=TIMEOUT, start_timeout=TIMEOUT)


def client(server: LocalServer, path: str = "/v2", *, key: str | None = KEY, **options: Any) -> RealtimeClient:
    base = {"close_timeout": 1.0, "end_timeout": TIMEOUT, "start_timeout": TIMEOUT, **options}
    return RealtimeClient(f"ws://{server.host}:{server.port}{path}", StaticKey(key) if key else None,
                          RealtimeOptions(**base))


async def stream(session: RealtimeSession, frames: int, frame: bytes = FRAME) -> None:
    for _ in range(frames):
        await session.send_audio(frame)


async def collect(session: RealtimeSession, into: list[m.ServerMessage] | None = None) -> list[m.ServerMessage]:
    received = [] if into is None else into
    async for message in session:
        received.append(message)
    return received


async def stream_and_end(session: RealtimeSession, frames: int) -> None:
    await stream(session, frames)
    await session.end()


async def eventually(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


# -- a fake service, for the wire and for misbehaviour ----------------------------------------------------------

Behaviour = Callable[[ServerConnection, "Fake"], Awaitable[None]]
STARTED = json.dumps({"message": "RecognitionStarted", "id": "fake-session",
                      "language_pack_info": {"word_delimiter": " "}})


class Fake:
    """A plain ``websockets`` server: records what arrives; ``behaviour`` plays the service."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.received: list[Any] = []
        self.port = 0

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.paths.append(ws.request.path)
        self.headers.append({k.lower(): v for k, v in ws.request.headers.raw_items()})
        await self.behaviour(ws, self)

    async def next(self, ws: ServerConnection) -> Any:
        frame = await ws.recv()
        message = json.loads(frame) if isinstance(frame, str) else frame
        self.received.append(message)
        return message

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v2"


@asynccontextmanager
async def fake(behaviour: Behaviour) -> AsyncIterator[Fake]:
    service = Fake(behaviour)
    async with serve(service.handler, "127.0.0.1", 0, compression=None) as running:
        service.port = next(iter(running.sockets)).getsockname()[1]
        yield service


async def starts(ws: ServerConnection, service: Fake, *before: str) -> None:
    """Waits for StartRecognition and answers it (after ``before``)."""
    assert (await service.next(ws))["message"] == "StartRecognition"
    for frame in before:
        await ws.send(frame)
    await ws.send(STARTED)


async def echo_session(ws: ServerConnection, service: Fake) -> None:
    """Acks audio, records control messages and finishes the transcript on EndOfStream."""
    await starts(ws, service)
    seq_no = 0
    while True:
        message = await service.next(ws)
        if isinstance(message, bytes):
            seq_no += 1
            await ws.send(json.dumps({"message": "AudioAdded", "seq_no": seq_no}))
        elif message["message"] == "EndOfStream":
            await ws.send(json.dumps({"message": "EndOfTranscript"}))
            await ws.wait_closed()
            return


# -- the happy path ----------------------------------------------------------------------------------------------

async def test_a_session_from_start_to_end_of_transcript(server: LocalServer) -> None:
    session = await client(server).start(PCM, TranscriptionConfig(enable_partials=True))
    heard: list[m.ServerMessage] = []
    remove = session.add_listener(heard.append)
    reading = asyncio.create_task(collect(session))
    await stream(session, 100)
    await session.end()
    received = await reading
    assert session.closed and session.error is None
    assert session.frames_sent == session.frames_acked == 100 and session.in_flight == 0
    assert session.bytes_sent == 320_000 and session.audio_seconds_sent == 10.0
    assert isinstance(received[0], m.Info) and received[0].type == "concurrent_session_usage"
    started = next(x for x in received if isinstance(x, m.RecognitionStarted))
    assert received.index(started) < next(i for i, x in enumerate(received) if isinstance(x, m.Transcript))
    assert session.started is started and session.session_id == started.id and session.session_id
    assert session.language_pack_info.word_delimiter == " "
    assert isinstance(received[-1], m.EndOfTranscript)
    transcripts = [x for x in received if isinstance(x, m.Transcript)]
    finals = [t for t in transcripts if not t.partial]
    assert finals and any(t.partial for t in transcripts)
    assert all(t.format == "2.9" and t.channel is None for t in transcripts)
    assert any(not t.results and t.metadata.transcript == "" for t in finals), "empty finals arrive too"
    assert "Welcome to the studio. " in "".join(t.metadata.transcript for t in finals)
    assert not any(isinstance(x, m.AudioAdded) for x in received), "acks are not delivered by default"
    listened = [x for x in heard if not isinstance(x, m.Info | m.RecognitionStarted)]
    assert listened == [x for x in received if not isinstance(x, m.Info | m.RecognitionStarted)]
    remove()
    await eventually(lambda: bool(server.usage))
    assert (server.usage[0].mode, server.usage[0].seconds) == ("realtime", 10.0)


async def test_the_context_manager_closes_the_session(server: LocalServer) -> None:
    async with client(server).session(PCM, TranscriptionConfig()) as session:
        await stream(session, 5)
    assert session.closed
    with pytest.raises(ConfigurationError):
        await session.send_audio(FRAME)
    await eventually(lambda: server.active_sessions == 0)


async def test_acks_can_be_delivered_and_listeners_suffice(server: LocalServer) -> None:
    session = await client(server, deliver_acks=True, message_buffer=0).start(PCM, TranscriptionConfig())
    heard: list[m.ServerMessage] = []
    session.add_listener(heard.append)
    with pytest.raises(ConfigurationError):
        aiter(session)
    await stream(session, 30)
    await session.end()
    assert [x.seq_no for x in heard if isinstance(x, m.AudioAdded)] == list(range(1, 31))
    assert isinstance(heard[-1], m.EndOfTranscript)


async def test_a_failing_listener_does_not_stop_the_session(server: LocalServer,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    session = await client(server).start(PCM, TranscriptionConfig())

    def broken(message: m.ServerMessage) -> None:
        raise RuntimeError("listener bug")

    session.add_listener(broken)
    await stream(session, 40)
    await session.end()
    assert session.error is None
    assert "a message listener failed" in caplog.text


async def test_a_file_stream(server: LocalServer, shared_audio: Path) -> None:
    data = (shared_audio / "audio_04_16kHz.wav").read_bytes()
    session = await client(server).start(AudioFormat(None), TranscriptionConfig())
    reading = asyncio.create_task(collect(session))
    for start in range(0, len(data), 4096):
        await session.send_audio(data[start:start + 4096])
    assert session.audio_seconds_sent is None
    await session.end()
    received = await reading
    assert any(isinstance(x, m.Transcript) and x.results for x in received)
    await eventually(lambda: bool(server.usage))
    assert server.usage[0].seconds == pytest.approx(9.9, abs=0.1)


# -- configuration and connection -------------------------------------------------------------------------------

@pytest.mark.parametrize(("audio", "config", "extra"), [
    (PCM, TranscriptionConfig(max_delay=9.0), {}),
    (PCM, TranscriptionConfig(language="auto"), {}),
    (PCM, TranscriptionConfig(diarization="channel"), {}),
    (PCM, TranscriptionConfig(diarization="channel", channel_diarization_labels=("a", "a")), {}),
    (AudioFormat("pcm_s16le", 100), TranscriptionConfig(), {}),
    (PCM, TranscriptionConfig(), {"translation_config": TranslationConfig(("a", "b", "c", "d", "e", "f"))}),
])
async def test_configuration_is_checked_before_connecting(audio: AudioFormat, config: TranscriptionConfig,
                                                          extra: dict[str, Any]) -> None:
    nowhere = RealtimeClient("ws://127.0.0.1:9/v2", StaticKey(KEY))  # nothing listens: connecting would fail
    with pytest.raises(ConfigurationError):
        await nowhere.start(audio, config, **extra)


async def test_bad_urls_and_options() -> None:
    with pytest.raises(ConfigurationError, match="ws://"):
        await RealtimeClient("https://eu.rt.speechmatics.com/v2").start(PCM, TranscriptionConfig())
    with pytest.raises(ConfigurationError):
        await RealtimeClient("ws://127.0.0.1:9/v2", options=RealtimeOptions(max_in_flight=0)).start(
            PCM, TranscriptionConfig())


async def test_nothing_listening_is_a_network_error() -> None:
    with pytest.raises(NetworkError) as error:
        await RealtimeClient("ws://127.0.0.1:9/v2").start(PCM, TranscriptionConfig())
    assert type(error.value) is NetworkError and error.value.retryable


async def test_a_bad_or_missing_key_is_an_authentication_error(server: LocalServer) -> None:
    with pytest.raises(AuthenticationError, match="rejected"):
        await client(server, key="wrong-key-0123456").start(PCM, TranscriptionConfig())
    with pytest.raises(AuthenticationError):
        await client(server, key=None).start(PCM, TranscriptionConfig())


async def test_temporary_keys_from_the_servers_key_service(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.base_url, ttl=60)
    rt = RealtimeClient(server.urls.realtime, keys, FAST)
    for _ in range(2):
        async with rt.session(PCM, TranscriptionConfig()) as session:
            await stream(session, 3)
            await session.end()
    assert keys.requests == 1, "the temporary key is cached between sessions"


async def test_a_token_in_the_query_works_with_the_server(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.base_url, ttl=60)
    rt = RealtimeClient(server.urls.realtime, keys, RealtimeOptions(token_in_query=True))
    async with rt.session(PCM, TranscriptionConfig()) as session:
        await stream(session, 3)
        await session.end()
    assert session.error is None


async def test_what_goes_on_the_wire_for_auth_and_the_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "jwt-secret-value-0123456789"
    async with fake(echo_session) as service:
        header = RealtimeClient(service.url + "?sm-app=mine", StaticKey(secret), FAST)
        query = RealtimeClient(service.url + "/en?sm-app=mine", StaticKey(secret),
                               RealtimeOptions(token_in_query=True, close_timeout=1.0))
        for rt in (header, query):
            async with rt.session(PCM, TranscriptionConfig()) as session:
                await session.end()
    by_header, by_query = service.paths
    assert by_header.startswith("/v2?") and f"sm-sdk={SDK_ID}" in by_header and "sm-app=mine" in by_header
    assert "jwt" not in by_header and service.headers[0]["authorization"] == f"Bearer {secret}"
    assert by_query.startswith("/v2/en?") and f"jwt={secret}" in by_query and "sm-app=mine" in by_query
    assert "authorization" not in service.headers[1]
    assert service.received[0] == {"message": "StartRecognition",
                                   "audio_format": {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000},
                                   "transcription_config": {"language": "en"}}
    assert service.received[-1] == {"message": "EndOfStream", "last_seq_no": 0}
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server"))
    assert "> GET /v2/en?" in ours, "the library's debug log of the handshake is kept, with the key masked"
    assert secret not in ours and "[REDACTED]" in ours


@pytest.mark.parametrize(("status", "error", "retryable"), [
    (503, HttpError, True), (429, RateLimitedError, True), (403, AuthenticationError, False),
    (404, HttpError, False)])
async def test_a_refused_handshake(server: LocalServer, status: int, error: type[Exception], retryable: bool) -> None:
    server.faults.realtime.reject_handshake = status
    with pytest.raises(error) as refused:
        await client(server).start(PCM, TranscriptionConfig())
    assert getattr(refused.value, "retryable", None) is retryable
    if isinstance(refused.value, HttpError):
        assert refused.value.status == status


@pytest.mark.parametrize("limits", [Limits(max_sessions=1)])
async def test_the_concurrent_quota(server: LocalServer) -> None:
    async with client(server).session(PCM, TranscriptionConfig()):
        with pytest.raises(QuotaExceededError) as refused:
            await client(server).start(PCM, TranscriptionConfig())
    error = refused.value
    assert (error.type, error.code, error.retryable) == ("quota_exceeded", 4005, True)
    assert str(error) == ("Concurrent session quota reached — close other sessions or wait: "
                          "Concurrent Quota Exceeded")


async def test_errors_that_end_the_start(server: LocalServer) -> None:
    with pytest.raises(RealtimeError) as unsupported:
        await client(server).start(PCM, TranscriptionConfig(language="de"))
    assert (unsupported.value.type, unsupported.value.code) == ("invalid_language", 4004)
    with pytest.raises(RealtimeError) as mismatch:
        await client(server, "/v2/fr").start(PCM, TranscriptionConfig(language="en"))
    assert (mismatch.value.type, mismatch.value.code) == ("invalid_config", 1003)
    assert "'fr'" in str(mismatch.value)


# -- flow control and faults ---------------------------------------------------------------------------------------

async def test_back_pressure_holds_at_the_window(server: LocalServer) -> None:
    server.faults.realtime.ack_delay = 0.05
    session = await client(server, max_in_flight=4).start(PCM, TranscriptionConfig())
    seen: list[int] = []

    async def send() -> None:
        for _ in range(12):
            await session.send_audio(FRAME)
            seen.append(session.in_flight)

    sender = asyncio.create_task(send())
    await eventually(lambda: session.in_flight == 4)
    assert session.frames_sent == 4 and not sender.done(), "the fifth frame waits for an ack"
    await sender
    assert max(seen) == 4 and session.frames_sent == 12
    server.faults.realtime.ack_delay = 0.0
    await session.end()
    assert session.frames_acked == 12


async def test_no_acks_at_all_times_out(server: LocalServer) -> None:
    server.faults.realtime.ack_delay = 1.0
    session = await client(server, max_in_flight=1, ack_timeout=0.2).start(PCM, TranscriptionConfig())
    await session.send_audio(FRAME)
    with pytest.raises(ApiTimeoutError, match="acknowledged no audio"):
        await session.send_audio(FRAME)
    assert session.error is not None


async def test_a_dropped_connection_is_a_network_error(server: LocalServer) -> None:
    server.faults.realtime.drop_after_frames = 5
    session = await client(server).start(PCM, TranscriptionConfig())
    with pytest.raises(NetworkError) as dropped:
        await stream_and_end(session, 50)
    assert type(dropped.value) is NetworkError and "lost" in str(dropped.value)
    with pytest.raises(NetworkError):
        await collect(session)


async def test_a_connection_dropped_after_seconds(server: LocalServer) -> None:
    server.faults.realtime.drop_after_seconds = 0.3
    session = await client(server).start(PCM, TranscriptionConfig())
    with pytest.raises(NetworkError) as dropped:
        await collect(session)
    assert type(dropped.value) is NetworkError
    with pytest.raises(NetworkError):
        await session.wait_closed()


@pytest.mark.parametrize(("fault", "error", "code", "retryable"), [
    (("job_error", "the engine fell over"), RealtimeError, 4013, True),
    (("not_authorised", "key revoked"), AuthenticationError, None, False),
    (("invalid_model", "model withdrawn"), RealtimeError, 4004, False),
    (("timelimit_exceeded", "used up"), RealtimeError, 4006, False),
    (("data_error", "too much data at once"), RealtimeError, 1011, False),
])
async def test_an_injected_error(server: LocalServer, fault: tuple[str, str], error: type[Exception],
                                 code: int | None, retryable: bool) -> None:
    server.faults.realtime.error_after_frames = (3, *fault)
    session = await client(server).start(PCM, TranscriptionConfig())
    with pytest.raises(error) as raised:
        await stream_and_end(session, 20)
    assert fault[1] in str(raised.value)
    assert raised.value is session.error and raised.value.retryable is retryable
    if isinstance(raised.value, RealtimeError):
        assert (raised.value.type, raised.value.reason, raised.value.code) == (fault[0], fault[1], code)


async def test_warnings_are_tolerated(server: LocalServer) -> None:
    server.faults.realtime.warning_after_frames = (2, "duration_limit_exceeded", "limit reached")
    session = await client(server).start(PCM, TranscriptionConfig())
    reading = asyncio.create_task(collect(session))
    await stream(session, 40)
    await session.end()
    warnings = [x for x in await reading if isinstance(x, m.ServerWarning)]
    assert [(w.type, w.reason) for w in warnings] == [("duration_limit_exceeded", "limit reached")]
    assert session.error is None


# -- control messages -------------------------------------------------------------------------------------------

async def test_set_recognition_config(server: LocalServer) -> None:
    session = await client(server).start(PCM, TranscriptionConfig(enable_partials=False))
    reading = asyncio.create_task(collect(session))
    await stream(session, 30)
    with pytest.raises(ConfigurationError, match="language"):
        await session.set_recognition_config(TranscriptionConfig(language="fr", enable_partials=True))
    await session.set_recognition_config(TranscriptionConfig(enable_partials=True, max_delay=1.0,
                                                             max_delay_mode="fixed", diarization="speaker"))
    await stream(session, 60)
    await session.end()
    received = await reading
    transcripts = [x for x in received if isinstance(x, m.Transcript)]
    assert any(t.partial for t in transcripts)
    assert not any(t.partial for t in transcripts if t.metadata.end_time < 2.5), "partials only once asked for"


async def test_force_end_of_utterance_on_the_server(server: LocalServer) -> None:
    session = await client(server).start(PCM, TranscriptionConfig(enable_partials=True))
    await stream(session, 16)
    async for message in session:
        if isinstance(message, m.Transcript) and message.partial and message.results:
            break
    await session.force_end_of_utterance(1.2)
    async for message in session:
        if isinstance(message, m.EndOfUtterance):
            assert message.forced and (message.start_time, message.end_time) == (1.2, 1.2)
            break
        if isinstance(message, m.Transcript) and not message.partial:
            assert message.forced and [r.content for r in message.results] == ["Welcome"]
    await session.end()


async def test_force_end_of_utterance_timestamps_on_the_wire() -> None:
    async with fake(echo_session) as service:
        rt = RealtimeClient(service.url, options=FAST)
        async with rt.session(PCM, TranscriptionConfig()) as session:
            await stream(session, 16)
            await session.force_end_of_utterance()
            await session.force_end_of_utterance(None)
            await session.force_end_of_utterance(0.5)
            with pytest.raises(ConfigurationError):
                await session.force_end_of_utterance(-1.0)
            await session.end()
        async with rt.session(AudioFormat(None), TranscriptionConfig()) as session:
            await session.send_audio(b"RIFF....")
            await session.force_end_of_utterance()
            await session.end()
    forced = [x for x in service.received if isinstance(x, dict) and x["message"] == "ForceEndOfUtterance"]
    assert forced == [{"message": "ForceEndOfUtterance", "timestamp": 1.6}, {"message": "ForceEndOfUtterance"},
                      {"message": "ForceEndOfUtterance", "timestamp": 0.5}, {"message": "ForceEndOfUtterance"}]
    assert {"message": "EndOfStream", "last_seq_no": 16} in service.received


async def test_get_speakers_now_and_final(server: LocalServer) -> None:
    session = await client(server).start(PCM, TranscriptionConfig(diarization="speaker"))
    await stream(session, 40)
    async for message in session:
        if isinstance(message, m.Transcript) and not message.partial and message.results:
            break
    now = await session.get_speakers()
    assert now is not None and [(s.label, s.speaker_identifiers) for s in now.speakers] == [("S1", ("S1-voiceprint",))]
    assert await session.get_speakers(final=True) is None
    reading = asyncio.create_task(collect(session))
    await stream(session, 60)
    await session.end()
    received = await reading
    assert session.final_speakers is not None
    assert {s.label for s in session.final_speakers.speakers} == {"S1", "S2"}
    assert received[-2] is session.final_speakers and isinstance(received[-1], m.EndOfTranscript)


async def test_speakers_that_never_come_time_out() -> None:
    async with fake(echo_session) as service, RealtimeClient(service.url, options=FAST).session(
            PCM, TranscriptionConfig()) as session:
        with pytest.raises(ApiTimeoutError):
            await session.get_speakers(timeout=0.1)
    assert {"message": "GetSpeakers"} in service.received


async def test_multichannel(server: LocalServer) -> None:
    config = TranscriptionConfig(diarization="channel", channel_diarization_labels=("left", "right"),
                                 enable_partials=True)
    session = await client(server, max_in_flight=8).start(PCM, config)
    assert session.channels == ("left", "right") and session.started is not None
    assert session.started.channel_ids == ("left", "right")
    with pytest.raises(ConfigurationError):
        await session.send_audio(FRAME)
    with pytest.raises(ConfigurationError):
        await session.send_channel_audio("centre", FRAME)
    reading = asyncio.create_task(collect(session))
    for _ in range(30):
        await session.send_channel_audio("left", FRAME)
        await session.send_channel_audio("right", FRAME)
    await session.send_channel_audio("right", FRAME)
    await session.force_end_of_utterance(channel="right")
    await session.end_channel("left")
    with pytest.raises(ConfigurationError):
        await session.send_channel_audio("left", FRAME)
    await session.end()
    received = await reading
    assert session.frames_sent == session.frames_acked == 61
    transcripts = [x for x in received if isinstance(x, m.Transcript)]
    assert {t.channel for t in transcripts} == {"left", "right"}
    forced = [x for x in received if isinstance(x, m.EndOfUtterance) and x.forced]
    assert [(x.channel, x.start_time) for x in forced] == [("right", 3.1)]
    await eventually(lambda: bool(server.usage))
    assert server.usage[0].seconds == pytest.approx(6.1)


# -- limits --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("limits", [Limits(idle_timeout=0.5, idle_warnings=(0.25,))])
async def test_the_idle_limit(server: LocalServer) -> None:
    session = await client(server).start(PCM, TranscriptionConfig())
    await stream(session, 2)
    received: list[m.ServerMessage] = []
    with pytest.raises(SessionLimitError) as ended:
        await collect(session, received)
    assert [w.type for w in received if isinstance(w, m.ServerWarning)] == ["idle_timeout"]
    assert (ended.value.type, ended.value.code) == ("idle_timeout", 1008)
    assert "no audio arrived" in str(ended.value)


@pytest.mark.parametrize("limits", [Limits(session_timeout=0.4, session_warnings=(0.2,))])
async def test_the_session_limit(server: LocalServer) -> None:
    session = await client(server).start(PCM, TranscriptionConfig())
    with pytest.raises(SessionLimitError) as ended:
        await collect(session)
    assert (ended.value.type, ended.value.code) == ("session_timeout", 1008)


@pytest.mark.parametrize("limits", [Limits(keepalive_timeout=0.3)])
async def test_the_keepalive_limit(server: LocalServer) -> None:
    quiet = await client(server, ping_interval=None).start(PCM, TranscriptionConfig())
    with pytest.raises(SessionLimitError) as ended:
        await quiet.wait_closed()
    assert (ended.value.type, ended.value.code) == ("policy_violation", 1008)
    pinging = await client(server, ping_interval=0.05, ping_timeout=1.0).start(PCM, TranscriptionConfig())
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pinging.wait_closed(), 0.9)  # three keepalive limits pass
    assert not pinging.closed and pinging.latency >= 0.0
    await pinging.end()


# -- a misbehaving service --------------------------------------------------------------------------------------

async def test_no_recognition_started_times_out() -> None:
    async def silent(ws: ServerConnection, service: Fake) -> None:
        await service.next(ws)
        await ws.wait_closed()

    async with fake(silent) as service:
        rt = RealtimeClient(service.url, options=RealtimeOptions(start_timeout=0.2, close_timeout=1.0))
        with pytest.raises(ApiTimeoutError, match="did not start"):
            await rt.start(PCM, TranscriptionConfig())


async def test_no_end_of_transcript_times_out() -> None:
    async def endless(ws: ServerConnection, service: Fake) -> None:
        await starts(ws, service)
        await ws.wait_closed()

    async with fake(endless) as service:
        session = await RealtimeClient(service.url, options=FAST).start(PCM, TranscriptionConfig())
        with pytest.raises(ApiTimeoutError, match="did not finish"):
            await session.end(timeout=0.2)
    assert session.closed


async def test_unknown_messages_and_fields_are_tolerated(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="studio.api.realtime")
    newer = {"message": "AddTranscript", "format": "2.9", "results": [], "sentiment": "calm",
             "metadata": {"start_time": 0.0, "end_time": 1.0, "transcript": ""}}

    async def chatty(ws: ServerConnection, service: Fake) -> None:
        await starts(ws, service, json.dumps({"message": "Info", "type": "concurrent_session_usage",
                                              "reason": "1 of 2", "usage": 1, "quota": 2}),
                     json.dumps({"message": "Warning", "type": "validation_warning", "reason": "dropped"}))
        for payload in ({"message": "LanguageInfo", "language": "ar"}, newer,
                        {"message": "AudioAdded", "seq_no": 0}, {"message": "EndOfTranscript"}):
            await ws.send(json.dumps(payload))
        await ws.wait_closed()

    async with fake(chatty) as service:
        session = await RealtimeClient(service.url, options=FAST).start(PCM, TranscriptionConfig())
        received = await collect(session)
        await session.end()
    kinds = [type(x).__name__ for x in received]
    assert kinds == ["Info", "ServerWarning", "RecognitionStarted", "UnknownMessage", "Transcript", "EndOfTranscript"]
    assert received[4].unknown_fields == ("sentiment",)
    assert "LanguageInfo" in caplog.text and "sentiment" in caplog.text
    assert session.error is None


@pytest.mark.parametrize("frame", [
    json.dumps({"message": "AddTranscript", "results": []}),
    json.dumps({"message": "AudioAdded", "seq_no": 99}),
    json.dumps({"message": "ChannelAudioAdded", "channel": "x", "seq_no": 1}),
    "not json at all",
    "[" * 100_000,
    b"\x00\x01binary",
])
async def test_malformed_frames_are_protocol_errors(frame: str | bytes) -> None:
    async def broken(ws: ServerConnection, service: Fake) -> None:
        await starts(ws, service)
        await service.next(ws)  # the first audio frame
        await ws.send(frame)
        await ws.wait_closed()

    async with fake(broken) as service:
        session = await RealtimeClient(service.url, options=FAST).start(PCM, TranscriptionConfig())
        await session.send_audio(FRAME)
        with pytest.raises(ProtocolError):
            await collect(session)
        with pytest.raises(ProtocolError):
            await session.send_audio(FRAME)


@pytest.mark.parametrize(("code", "error", "error_type"), [
    (4001, AuthenticationError, None), (4005, QuotaExceededError, "quota_exceeded"),
    (1011, RealtimeError, "internal_error"), (1008, SessionLimitError, "policy_violation"),
    (4013, RealtimeError, "job_error"), (1000, NetworkError, None), (4999, NetworkError, None)])
async def test_close_codes_without_an_error_message(code: int, error: type[Exception], error_type: str | None) -> None:
    async def closes(ws: ServerConnection, service: Fake) -> None:
        await starts(ws, service)
        await ws.close(code, "")

    async with fake(closes) as service:
        session = await RealtimeClient(service.url, options=FAST).start(PCM, TranscriptionConfig())
        with pytest.raises(error) as closed:
            await session.wait_closed()
    assert getattr(closed.value, "type", None) == error_type


async def test_an_error_before_recognition_started() -> None:
    async def refuses(ws: ServerConnection, service: Fake) -> None:
        await service.next(ws)
        await ws.send(json.dumps({"message": "Error", "type": "invalid_model", "reason": "no melia for you"}))
        await ws.close(4004, "invalid_model")

    async with fake(refuses) as service:
        with pytest.raises(RealtimeError) as refused:
            await RealtimeClient(service.url, options=FAST).start(PCM, TranscriptionConfig(model="melia-1"))
    assert (refused.value.type, refused.value.code, refused.value.reason) == ("invalid_model", 4004,
                                                                              "no melia for you")


async def test_an_error_without_a_close() -> None:
    async def lingers(ws: ServerConnection, service: Fake) -> None:
        await starts(ws, service)
        await ws.send(json.dumps({"message": "Error", "type": "unknown_error", "reason": "oops"}))
        await ws.wait_closed()

    async with fake(lingers) as service:
        options = RealtimeOptions(close_timeout=0.2)
        session = await RealtimeClient(service.url, options=options).start(PCM, TranscriptionConfig())
        with pytest.raises(RealtimeError) as failed:
            await session.wait_closed()
    assert (failed.value.type, failed.value.code) == ("unknown_error", None)


async def test_an_abrupt_close_is_a_network_error() -> None:
    async def vanishes(ws: ServerConnection, service: Fake) -> None:
        await starts(ws, service)
        ws.transport.abort()

    async with fake(vanishes) as service:
        session = await RealtimeClient(service.url, options=FAST).start(PCM, TranscriptionConfig())
        with pytest.raises(NetworkError) as lost:
            await session.wait_closed()
    assert type(lost.value) is NetworkError


async def test_a_service_that_stops_answering_pings() -> None:
    """A hand-made WebSocket server that completes the handshake, starts the session, then reads nothing."""
    writers: list[asyncio.StreamWriter] = []

    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        payload = STARTED.encode()
        writer.write(bytes([0x81, len(payload)]) + payload)  # one unmasked text frame (< 126 bytes)
        await writer.drain()

    listener = await asyncio.start_server(deaf, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        options = RealtimeOptions(ping_interval=0.05, ping_timeout=0.1, close_timeout=0.2)
        session = await RealtimeClient(f"ws://127.0.0.1:{port}/v2", options=options).start(
            PCM, TranscriptionConfig())
        with pytest.raises(ApiTimeoutError, match="keepalive"):
            await session.wait_closed()
    finally:
        for writer in writers:
            writer.close()
        listener.close()
        await listener.wait_closed()
