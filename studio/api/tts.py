"""Asyncio client of the Speechmatics text-to-speech API (``speechmatics-protocol.md`` §3), on httpx. No Qt.

Public API::

    tts = TtsClient(auth, url="https://preview.tts.speechmatics.com")       # or ``async with``
    async for chunk in tts.stream("Hello there", voice="sarah", output_format="wav_16000"):
        play(chunk)                                                         # chunks as they arrive
    audio = await tts.synthesize("Hello there", voice="theo")               # the whole body
    size  = await tts.save("Hello there", Path("hello.wav"), voice="megan") # WAV sizes patched
    VOICES, voice("jack"), FORMATS, DEFAULT_FORMAT, parse_wav_header(data), patch_wav_sizes(path)
    await tts.aclose()

The request is ``POST {url}/generate/{voice}?output_format=wav_16000|pcm_16000`` with ``{"text": …}`` and
``Authorization: Bearer`` (a token of kind ``"tts"``). ``wav_16000`` (the service's default) is a 44-byte
WAV header and 16 kHz mono 16-bit PCM; ``pcm_16000`` the bare samples. A streamed WAV may carry
``0xFFFFFFFF`` as its sizes (length unknown when the header was sent); ``save`` writes the real ones.

Errors as the SDK maps them (§3.3): 401 and 403 are ``AuthenticationError``, any other error status an
``HttpError`` (429 ``RateLimitedError``), plus ``NetworkError``/``ApiTimeoutError``/``ProtocolError``.
Opening the stream is retried on 429, 5xx and timeouts (honouring ``Retry-After``); once audio has
started to arrive nothing is retried, so a listener never hears the start twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx

from studio.api.auth import Auth
from studio.api.endpoints import TTS_URL
from studio.api.errors import (
    ConfigurationError,
    ProtocolError,
)
from studio.api.http import RetryPolicy, iter_body, open_stream
from studio.api.service import ServiceClient

log = logging.getLogger(__name__)

SERVICE = "The text-to-speech service"
SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
WAV_HEADER_SIZE = 44
UNKNOWN_SIZE = 0xFFFFFFFF

OutputFormat = Literal["wav_16000", "pcm_16000"]
FORMATS: tuple[OutputFormat, ...] = ("wav_16000", "pcm_16000")
DEFAULT_FORMAT: OutputFormat = "wav_16000"


@dataclass(frozen=True)
class Voice:
    id: str  # the path segment, lower case
    description: str  # as the documentation's table says it


#: The real voices (docs table; the SDK's docstring calls megan UK, the newer docs say US).
VOICES: tuple[Voice, ...] = (
    Voice("sarah", "English Female (UK)"),
    Voice("theo", "English Male (UK)"),
    Voice("megan", "English Female (US)"),
    Voice("jack", "English Male (US)"),
)
DEFAULT_VOICE = "sarah"
_VOICE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def voice(voice_id: str) -> Voice | None:
    """The known voice with this id, or None."""
    return next((v for v in VOICES if v.id == voice_id), None)


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_rate: int
    bits: int
    data_size: int  # UNKNOWN_SIZE for a stream of unknown length


def parse_wav_header(data: bytes) -> WavInfo:
    """The format of a canonical 44-byte PCM WAV header; ``ProtocolError`` if it is not one."""
    if len(data) < WAV_HEADER_SIZE or data[:4] != b"RIFF" or data[8:12] != b"WAVE" or data[12:16] != b"fmt ":
        raise ProtocolError(f"{SERVICE} sent audio without a WAV header")
    fmt_size, audio_format, channels, rate, _byte_rate, _align, bits = struct.unpack("<IHHIIHH", data[16:36])
    if fmt_size != 16 or audio_format != 1 or data[36:40] != b"data":
        raise ProtocolError(f"{SERVICE} sent a WAV header this studio cannot read")
    (data_size,) = struct.unpack("<I", data[40:44])
    return WavInfo(channels, rate, bits, data_size)


def patch_wav_sizes(path: str | os.PathLike[str]) -> None:
    """Writes the real RIFF and ``data`` sizes into a saved 44-byte-header WAV file."""
    with Path(path).open("r+b") as wav:
        size = wav.seek(0, os.SEEK_END)
        data_size = max(0, size - WAV_HEADER_SIZE)
        wav.seek(4)
        wav.write(struct.pack("<I", min(UNKNOWN_SIZE, 36 + data_size)))
        wav.seek(40)
        wav.write(struct.pack("<I", min(UNKNOWN_SIZE, data_size)))


class TtsClient(ServiceClient):
    """The TTS service at ``url`` (the base URL, without ``/generate``)."""

    kind = "tts"
    service = SERVICE

    def __init__(self, auth: Auth, *, url: str = TTS_URL, client: httpx.AsyncClient | None = None,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 timeout: float = 300.0, connect_timeout: float = 30.0) -> None:
        super().__init__(auth, url=url, client=client, retry=retry, sleep=sleep, timeout=timeout,
                         connect_timeout=connect_timeout)

    async def __aenter__(self) -> TtsClient:
        return self

    @staticmethod
    def voices() -> tuple[Voice, ...]:
        return VOICES

    async def _open(self, text: str, voice_id: str, output_format: str) -> httpx.Response:
        if not text.strip():
            raise ConfigurationError("Enter some text to speak")
        if not _VOICE_ID.match(voice_id):
            raise ConfigurationError(f"{voice_id!r} is not a voice id (e.g. {', '.join(v.id for v in VOICES)})")
        if output_format not in FORMATS:
            raise ConfigurationError(f"Unknown audio format {output_format!r} (use {' or '.join(FORMATS)})")
        url = f"{self._base}/generate/{quote(voice_id, safe='')}"

        return await self._retrying(lambda headers: self._send(url, text, output_format, headers),
                                    "Generating speech")

    async def _send(self, url: str, text: str, output_format: str, headers: dict[str, str]) -> httpx.Response:
        request = self._client.build_request("POST", url, params={"output_format": output_format},
                                             json={"text": text}, headers=headers)
        return await open_stream(self._client, request, SERVICE)

    async def stream(self, text: str, *, voice: str = DEFAULT_VOICE,
                     output_format: OutputFormat = DEFAULT_FORMAT) -> AsyncIterator[bytes]:
        """The audio body in chunks as they arrive (the WAV header, if any, is in the first bytes). A consumer
        that stops early should close the iterator (``contextlib.aclosing``) to drop the connection at once."""
        response = await self._open(text, voice, output_format)
        try:
            async for chunk in iter_body(response, SERVICE):
                yield chunk
        finally:
            await response.aclose()

    async def synthesize(self, text: str, *, voice: str = DEFAULT_VOICE,
                         output_format: OutputFormat = DEFAULT_FORMAT) -> bytes:
        """The whole body (for short texts; use ``stream`` to start playing sooner)."""
        parts = [chunk async for chunk in self.stream(text, voice=voice, output_format=output_format)]
        return b"".join(parts)

    async def save(self, text: str, path: str | os.PathLike[str], *, voice: str = DEFAULT_VOICE,
                   output_format: OutputFormat = DEFAULT_FORMAT) -> int:
        """Streams the audio into ``path`` (a WAV gets its real sizes at the end); returns the bytes written."""
        target = Path(path)
        size = 0
        try:
            with target.open("wb") as sink:
                async for chunk in self.stream(text, voice=voice, output_format=output_format):
                    await asyncio.to_thread(sink.write, chunk)
                    size += len(chunk)
            if output_format == "wav_16000":
                patch_wav_sizes(target)
        except OSError as exc:
            raise ConfigurationError(f"{target.name} cannot be written ({exc.strerror or exc})") from None
        return size
