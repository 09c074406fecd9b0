"""The local server's text-to-speech API (``speechmatics-protocol.md`` §3).

``POST /generate/{voice}?output_format=wav_16000|pcm_16000`` with ``{"text": "…"}`` (and
``Authorization: Bearer <key>`` or a ``type=tts`` temporary key). The answer is 200 with the audio sent
with chunked transfer encoding as ``server.synthesizer`` produces it — never buffered whole.

- ``wav_16000`` (the default when ``output_format`` is omitted): a 44-byte RIFF/WAVE header (PCM, mono,
  16 kHz, 16-bit) and then the samples. The length is not known when the header goes out, so both size
  fields (RIFF and ``data``) hold ``0xFFFFFFFF``, the usual marker of a WAV stream of unknown length:
  readers take the data as running to the end of the stream (the ``wave`` module, ffmpeg and the docs'
  ``(len(wav) - 44) / 2 / 16000`` all do). Clients that save the file patch the sizes afterwards
  (``studio.api.tts.patch_wav_sizes``).
- ``pcm_16000``: the bare samples, 16 kHz mono signed 16-bit little-endian.

Errors are JSON ``{"code", "error", "detail"}`` (the TTS service documents no error schema, so the batch
API's shape is used): 401 not authorised, 400 a body that is not a JSON object, 422 an unknown voice or
format or an empty ``text``.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from aiohttp import web

from studio.local.server import error_response

if TYPE_CHECKING:
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FORMATS = ("wav_16000", "pcm_16000")
DEFAULT_FORMAT = "wav_16000"
UNKNOWN_SIZE = 0xFFFFFFFF
MAX_TEXT_CHARS = 100_000


def wav_header(data_size: int = UNKNOWN_SIZE, *, sample_rate: int = SAMPLE_RATE, channels: int = 1,
               bits: int = 16) -> bytes:
    """A canonical 44-byte PCM WAV header; ``UNKNOWN_SIZE`` marks a stream whose length is not known yet."""
    block_align = channels * bits // 8
    riff_size = UNKNOWN_SIZE if data_size == UNKNOWN_SIZE else 36 + data_size
    return (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block_align,
                                    block_align, bits)
            + b"data" + struct.pack("<I", data_size))


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
        chunks = server.synthesizer.synthesize(text, voice)
        try:
            if output_format == "wav_16000":
                await response.write(wav_header())
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
