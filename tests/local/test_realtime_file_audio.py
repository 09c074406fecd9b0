"""Realtime ``{"type": "file"}`` audio is decoded as it arrives: partials and finals come back while the file is
still being sent (before EndOfStream), for WAV and every compressed container the protocol lists."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection

from studio.local.file_audio import FileAudioError, FileDecoder
from studio.local.server import LocalServer
from tests.local.media_files import FORMATS, encoded
from tests.local.test_realtime_server_raw import Message, closing, opened, recv, started, until

CHUNK = 4096  # the SDKs' chunk size; a small file (AMR: 6 kB for 27 s) goes in smaller pieces
PART = 0.6  # of the file sent before results are awaited
STREAMED = [name for name in FORMATS if name != "m4a-index-last"]


def media(tmp_path: Path, shared_audio: Path, name: str) -> bytes:
    wav = shared_audio / "audio_05_16kHz.wav"
    if name == "wav":
        return wav.read_bytes()  # with RIFF metadata chunks after its data
    return encoded(tmp_path / f"talk.{name.split('-')[0]}", wav, name).read_bytes()


def chunk_size(data: bytes) -> int:
    return min(CHUNK, max(256, len(data) // 50))


async def send_part_then_wait(ws: ClientConnection, data: bytes) -> tuple[list[Message], int]:
    """Sends the first ``PART`` of the file, then — sending nothing more, and no EndOfStream — waits for a final
    with words: it can only come if the server decodes the file as it arrives. Returns what came back by then
    and the chunks sent."""
    size = chunk_size(data)
    offsets = range(0, len(data), size)
    sent = int(len(offsets) * PART)
    for offset in offsets[:sent]:
        await ws.send(data[offset:offset + size])
    seen: list[Message] = []
    async with asyncio.timeout(60):  # generous: a loaded machine decodes slowly, but it must decode
        while not any(m["message"] == "AddTranscript" and m["results"] for m in seen):
            seen.append(json.loads(await ws.recv()))
    return seen, sent


@pytest.mark.parametrize("name", ["wav", *STREAMED])
async def test_file_audio_is_transcribed_while_it_streams(server: LocalServer, shared_audio: Path, tmp_path: Path,
                                                         name: str) -> None:
    data = media(tmp_path, shared_audio, name)
    size = chunk_size(data)
    chunks = -(-len(data) // size)
    async with opened(server) as ws:
        await started(ws, audio_format={"type": "file"}, enable_partials=True)
        before_end, sent = await send_part_then_wait(ws, data)
        assert any(m["message"] == "AddPartialTranscript" and m["results"] for m in before_end)
        for offset in range(sent * size, len(data), size):
            await ws.send(data[offset:offset + size])
        await ws.send(json.dumps({"message": "EndOfStream", "last_seq_no": chunks}))
        after = await until(ws, "EndOfTranscript", skip_acks=False)
    acks = [m["seq_no"] for m in before_end + after if m["message"] == "AudioAdded"]
    assert acks == list(range(1, chunks + 1))
    await asyncio.wait_for(_usage(server), 5)
    assert server.usage[0].seconds == pytest.approx(27.5, abs=0.15)  # the whole file, and nothing after its data


async def test_an_mp4_with_its_index_last_is_transcribed_once_complete(server: LocalServer, shared_audio: Path,
                                                                       tmp_path: Path) -> None:
    data = media(tmp_path, shared_audio, "m4a-index-last")
    chunks = -(-len(data) // CHUNK)
    async with opened(server) as ws:
        await started(ws, audio_format={"type": "file"})
        for offset in range(0, len(data), CHUNK):
            await ws.send(data[offset:offset + CHUNK])
        await ws.send(json.dumps({"message": "EndOfStream", "last_seq_no": chunks}))
        messages = await until(ws, "EndOfTranscript")
    assert any(m["message"] == "AddTranscript" and m["results"] for m in messages)


async def test_a_file_stream_that_is_not_audio(server: LocalServer) -> None:
    async with opened(server) as ws:
        await started(ws, audio_format={"type": "file"})
        await ws.send(b"this is not a media file" * 1000)
        await ws.send(json.dumps({"message": "EndOfStream", "last_seq_no": 1}))
        messages, code, _ = await closing(ws)
    assert messages[-1]["type"] == "invalid_audio_type" and code == 1003
    assert "/" not in messages[-1]["reason"]  # no path of the server's


async def test_a_client_that_leaves_mid_file_stops_the_decoder(server: LocalServer, shared_audio: Path) -> None:
    data = (shared_audio / "audio_05_16kHz.wav").read_bytes()
    async with opened(server) as ws:
        await started(ws, audio_format={"type": "file"})
        await ws.send(data[:100_000])
        assert (await recv(ws))["message"] == "AudioAdded"
        async with asyncio.timeout(5):
            while not any(t.name == "file-audio-decoder" for t in threading.enumerate()):
                await asyncio.sleep(0.01)
    async with asyncio.timeout(5):  # the decoder thread was waiting for more bytes; it ends with the session
        while any(t.name == "file-audio-decoder" for t in threading.enumerate()):
            await asyncio.sleep(0.01)


async def test_the_decoder_reports_an_empty_stream() -> None:
    decoder = FileDecoder(lambda pcm: None)
    decoder.end()
    with pytest.raises(FileAudioError, match="no audio was received"):
        await decoder.finished()


async def _usage(server: LocalServer) -> None:
    while not server.usage:
        await asyncio.sleep(0.01)
