"""Voice previews: synthesis streamed into a clip the player is already playing, through the cache.

Public API (every coroutine runs on the studio's event loop)::

    service = PreviewService(connect, cache=PreviewCache(...))     # connect: () -> awaitable Connection
    clip = Clip(PreviewRequest(text, "sarah", engine="builtin"))   # play clip.pcm now; it fills as audio comes
    await service.fill(clip)              # from the cache, else streamed from the engine (then cached)
    await service.fill_all([a, b])        # A/B: one after the other, so the first plays soonest
    await service.aclose()

``fill`` checks the request first (``check_request``: empty text, the character limit, a voice the engine
does not have — nothing is sent), then streams: every chunk is handed to the clip the moment it arrives,
so playback starts with the first chunk. Cancelling the task drops the connection at once and marks the
clip cancelled. Errors are the protocol's (``studio.api.errors``), with two made plainer: the service's
"unknown voice" answer becomes ``VoiceUnavailableError``, and a clip left without audio a ``ProtocolError``.
The TTS client is kept between previews while the engine stays the same, so a Speechmatics connection
(TLS and all) is made once, not per preview.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import cast

from studio.api.errors import HttpError
from studio.api.tts import TtsClient
from studio.services.connections import Connection
from studio.services.voices.cache import PreviewCache
from studio.services.voices.catalogue import VoiceInfo
from studio.services.voices.clip import CancelledPreview, Clip, VoiceUnavailableError, check_request

log = logging.getLogger(__name__)

Connect = Callable[[], Awaitable[Connection]]
TtsFactory = Callable[[Connection], TtsClient]


def unknown_voice(error: HttpError) -> bool:
    """Whether an error answer means the engine has no such voice."""
    said = f"{error.error} {error.detail}".lower()
    return error.status in (400, 404, 422) and "voice" in said


class PreviewService:
    def __init__(self, connect: Connect, *, cache: PreviewCache | None = None,
                 tts: TtsFactory = lambda connection: connection.tts()) -> None:
        self._connect = connect
        self.cache = cache
        self._make_tts = tts
        self._tts: TtsClient | None = None
        self._tts_for: tuple[str, str | None] | None = None
        self.requests = 0  # requests sent to an engine (cache hits are not)

    async def _client(self) -> TtsClient:
        connection = await self._connect()
        identity = (connection.endpoints.tts, connection.api_key)
        if self._tts is None or self._tts_for != identity:
            if self._tts is not None:
                await self._tts.aclose()
            self._tts = self._make_tts(connection)
            self._tts_for = identity
        return self._tts

    async def fill(self, clip: Clip, voices: Sequence[VoiceInfo] | None = None) -> Clip:
        """Fills ``clip`` (see the module's documentation); raises what went wrong, with the clip marked."""
        request = clip.request
        try:
            check_request(request, voices)
            cached = await asyncio.to_thread(self.cache.get, request) if self.cache is not None else None
            if cached is not None:
                clip.load(cached)
                return clip
            tts = await self._client()
            self.requests += 1
            # An async generator (typed as an iterator): closed below, so stopping early drops the connection.
            body = cast(AsyncGenerator[bytes, None],
                        tts.stream(request.text, voice=request.voice, output_format=request.output_format))
            try:
                async for chunk in body:
                    clip.feed(chunk)
            except HttpError as exc:
                if unknown_voice(exc):
                    raise VoiceUnavailableError(request.voice, request.engine) from None
                raise
            finally:
                await body.aclose()
            clip.finish()
            if clip.error is not None:
                raise clip.error
        except asyncio.CancelledError:
            clip.fail(CancelledPreview())
            raise
        except Exception as exc:
            if clip.error is None:
                clip.fail(exc)
            raise
        if self.cache is not None:
            cache = self.cache
            samples = clip.pcm.samples()
            await asyncio.to_thread(cache.put, request, samples)
        return clip

    async def fill_all(self, clips: Sequence[Clip], voices: Sequence[VoiceInfo] | None = None) -> list[Clip]:
        """Fills each clip in turn. A failure is kept in its clip (``clip.error``) and the others still go;
        cancelling cancels the rest."""
        for index, clip in enumerate(clips):
            try:
                await self.fill(clip, voices)
            except asyncio.CancelledError:
                for rest in clips[index + 1:]:
                    rest.fail(CancelledPreview())
                raise
            except Exception as exc:
                log.info("preview of %s failed: %s", clip.request.voice, exc)
        return list(clips)

    async def aclose(self) -> None:
        if self._tts is not None:
            tts, self._tts = self._tts, None
            await tts.aclose()
