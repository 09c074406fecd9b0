"""The local server's text-to-speech API (``speechmatics-protocol.md`` §3).

``POST /generate/{voice}?output_format=wav_16000|pcm_16000`` with ``{"text": "…"}`` (and
``Authorization: Bearer <key>`` or a ``type=tts`` temporary key). The answer is 200 with the audio sent
with chunked transfer encoding as ``server.synthesizer`` produces it — never buffered whole.

- ``wav_16000`` (the default when ``output_format`` is omitted): a complete, valid WAV — a 44-byte RIFF/WAVE
  header (PCM, mono, 16 kHz, 16-bit) with the real RIFF and ``data`` sizes, then the samples. A header can
  only carry real sizes once the length is known. A synthesizer that can ``prepare`` a text
  (``studio.local.engines.PreparingSynthesizer``: eSpeak NG, the tones) says how long it is before streaming
  it: eSpeak synthesises the whole text at its own rate first — about a millisecond per second of speech, a
  paragraph in 20–30 ms — and the resampling to 16 kHz, the costlier part, happens as the samples are sent.
  Any other synthesizer's output is collected to its end in a spooled temporary file (memory, then disk), then
  streamed. The file a client saves as it arrives (what the official SDK's examples do) is therefore valid as
  is: Python's ``wave`` reads its real length.
- ``pcm_16000``: the bare samples, 16 kHz mono signed 16-bit little-endian, sent as they are made (the
  lowest latency; what the official SDK asks for by default and what players stream from).

Errors are JSON ``{"code", "error", "detail"}`` (the TTS service documents no error schema, so the batch
API's shape is used): 401 not authorised, 400 a body that is not a JSON object, 422 an unknown voice or
format or an empty ``text``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from studio.local.engines import PreparingSynthesizer
from studio.local.server import error_response

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FORMATS = ("wav_16000", "pcm_16000")
DEFAULT_FORMAT = "wav_16000"
UNKNOWN_SIZE = 0xFFFFFFFF
MAX_TEXT_CHARS = 100_000
SPOOL_BYTES = 32 * 1024**2  # a WAV being made stays in memory up to this size (17 min of audio), then on disk
WRITE_BYTES = 64 * 1024
MAX_WAV_DATA = UNKNOWN_SIZE - 36  # the most a RIFF size field can say
HANGUP_CHECK = 0.05  # seconds between looks at the connection while a text is prepared


def wav_header(data_size: int = UNKNOWN_SIZE, *, sample_rate: int = SAMPLE_RATE, channels: int = 1,
               bits: int = 16) -> bytes:
    """A canonical 44-byte PCM WAV header; ``UNKNOWN_SIZE`` marks a stream whose length is not known yet."""
    block_align = channels * bits // 8
    riff_size = UNKNOWN_SIZE if data_size == UNKNOWN_SIZE else 36 + data_size
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block_align,
                                    block_align, bits)
            + b"data" + struct.pack("<I", data_size))


async def _write_wav(request: web.Request, response: web.StreamResponse, chunks: AsyncIterator[bytes]) -> None:
    """The whole synthesis first (so the header has the real sizes), then the header and the samples. A
    listener that hangs up meanwhile stops the synthesis."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        size = 0
        async for chunk in chunks:
            if request.transport is None or request.transport.is_closing():
                raise ConnectionResetError("the listener went away")
            spool.write(chunk)
            size += len(chunk)
            if size > MAX_WAV_DATA:
                raise ConnectionResetError("longer than a WAV file can be")
        size -= size % 2  # whole samples only
        spool.seek(0)
        await response.write(wav_header(size))
        left = size
        while left > 0:
            piece = spool.read(min(WRITE_BYTES, left))
            if not piece:
                break
            left -= len(piece)
            await response.write(piece)


async def _write_prepared(request: web.Request, response: web.StreamResponse, synthesizer: PreparingSynthesizer,
                          text: str, voice: str) -> None:
    """A WAV whose length the synthesizer knew before the first sample: the header at once, then the samples
    as they are made ready. A listener that hangs up while the text is prepared stops the preparation."""
    preparing = asyncio.ensure_future(synthesizer.prepare(text, voice))
    while not preparing.done():
        await asyncio.wait([preparing], timeout=HANGUP_CHECK)
        if not preparing.done() and (request.transport is None or request.transport.is_closing()):
            preparing.cancel()
            await asyncio.gather(preparing, return_exceptions=True)
            raise ConnectionResetError("the listener went away")
    prepared = preparing.result()
    chunks = prepared.chunks
    try:
        size = 2 * prepared.samples
        if size > MAX_WAV_DATA:
            raise ConnectionResetError("longer than a WAV file can be")
        await response.write(wav_header(size))
        sent = 0
        async for chunk in chunks:
            if sent + len(chunk) > size:
                raise RuntimeError(f"the synthesizer sent more than the {prepared.samples} samples it announced")
            sent += len(chunk)
            await response.write(chunk)
        if sent != size:
            raise RuntimeError(f"the synthesizer sent {sent // 2} of the {prepared.samples} samples it announced")
    finally:
        if isinstance(chunks, AsyncGenerator):
            await chunks.aclose()


def add_routes(app: web.Application, server: LocalServer) -> None:
    async def generate(request: web.Request) -> web.StreamResponse:
        if not server.authorised(request, "tts"):
            return error_response(401, "Permission Denied")
        voice = request.match_info["voice"]
        voices = list(server.synthesizer.voices())
        if voice not in voices:
            return error_response(422, "Unprocessable Entity",
                                  f"Unknown voice {voice!r}; the voices are {', '.join(voices)}")
        output_format = request.query.get("output_format", DEFAULT_FORMAT)
        if output_format not in FORMATS:
            return error_response(422, "Unprocessable Entity",
                                  f"Unknown output_format {output_format!r}; use {' or '.join(FORMATS)}")
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "Bad Request", "The body must be a JSON object with a text field")
        if not isinstance(body, dict):
            return error_response(400, "Bad Request", "The body must be a JSON object with a text field")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return error_response(422, "Unprocessable Entity", "text must be a non-empty string")
        if len(text) > MAX_TEXT_CHARS:
            return error_response(422, "Unprocessable Entity", f"text must be at most {MAX_TEXT_CHARS} characters")

        content_type = "audio/wav" if output_format == "wav_16000" else "audio/pcm"
        response = web.StreamResponse(status=200, headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        synthesizer = server.synthesizer
        if output_format == "wav_16000" and isinstance(synthesizer, PreparingSynthesizer):
            try:
                await _write_prepared(request, response, synthesizer, text, voice)
                await response.write_eof()
            except ConnectionResetError:  # the listener went away: stop synthesising
                log.debug("text-to-speech client disconnected")
            return response
        chunks = synthesizer.synthesize(text, voice)
        try:
            if output_format == "wav_16000":
                await _write_wav(request, response, chunks)
            else:
                async for chunk in chunks:
                    if chunk:
                        await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:  # the listener went away: stop synthesising
            log.debug("text-to-speech client disconnected")
        finally:
            if isinstance(chunks, AsyncGenerator):
                await chunks.aclose()
        return response

    app.router.add_post("/generate/{voice}", generate)
