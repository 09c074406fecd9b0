"""The recogniser's side of a realtime connection: one task per session takes the queued commands in order (audio,
decoded file audio, a forced end of utterance, speakers, a config change, the end of a channel or of the stream),
feeds the engine, and sends what it returns as the client asked for it (``_shape``: partials, markers, audio
events only when wanted; ``format`` and ``channel`` added).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from studio.api.messages import JSON_FORMAT
from studio.local.engines import EngineRejection, Payload
from studio.local.file_audio import FileAudioError
from studio.local.realtime_config import (
    Rejected,
)
from studio.local.realtime_state import (
    ENGINE_BACKLOG_BYTES,
    Channel,
    Command,
    SessionState,
)

log = logging.getLogger("studio.local.realtime")  # one logger for the realtime API, whichever module speaks


class RecognizerWorker(SessionState):
    """The recogniser worker of ``studio.local.realtime.RealtimeConnection``."""

    async def _work(self) -> None:
        try:
            while not self.closed:
                if not self.commands:
                    self.work.clear()
                    await self.work.wait()
                    continue
                command = self.commands.popleft()
                await self._do(command)
        except (Rejected, EngineRejection) as rejection:
            await self.fail(rejection.type, rejection.reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("realtime session %s: the recogniser failed", self.id)
            await self.fail("job_error", f"the recogniser failed ({exc.__class__.__name__})")

    async def _do(self, command: Command) -> None:
        channel = command.channel
        if command.kind == "audio":
            assert channel is not None and command.data is not None
            await self._feed(channel, bytes(command.data))
        elif command.kind == "decoded":
            assert channel is not None
            channel.pcm_queued = False
            if channel.pcm and not channel.flushed:
                audio, channel.pcm = bytes(channel.pcm), bytearray()
                await self._feed(channel, audio)
        elif command.kind == "force":
            assert channel is not None
            await self._emit(await channel.engine.force_end_of_utterance(command.value), channel)
        elif command.kind == "speakers":
            await self.send(self._speakers())
        elif command.kind == "config":
            self.config.update(command.value)
            for each in self.channels.values():
                each.engine.update_config(command.value)
        elif command.kind == "end_channel":
            assert channel is not None
            await self._flush(channel)
        elif command.kind == "end":
            for each in self.channels.values():
                await self._flush(each)
            if self.final_speakers:
                await self.send(self._speakers())
            await self.send({"message": "EndOfTranscript"})
            self.transcript_sent = True
            self.last_activity = self.loop.time()

    async def _feed(self, channel: Channel, audio: bytes) -> None:
        self.backlog -= len(audio)
        if self.backlog <= ENGINE_BACKLOG_BYTES:
            self.room.set()
        channel.bytes_fed += len(audio)
        channel.audio_seconds = channel.bytes_fed / channel.bytes_per_second
        await self._emit(await channel.engine.feed(audio, channel.audio_seconds), channel)

    async def _flush(self, channel: Channel) -> None:
        if channel.flushed:
            return
        if channel.decoder is not None:  # a file stream: the rest of it decoded, then fed
            channel.decoder.end()
            try:
                await channel.decoder.finished()
            except FileAudioError as exc:
                raise Rejected("invalid_audio_type", str(exc)) from None
            if channel.pcm:
                audio, channel.pcm = bytes(channel.pcm), bytearray()
                await self._feed(channel, audio)
        channel.flushed = True
        await self._emit(await channel.engine.finish(), channel)

    def _speakers(self) -> Payload:
        speakers: list[Payload] = []
        for channel in self.channels.values():
            speakers.extend(channel.engine.speakers())
        return {"message": "SpeakersResult", "speakers": speakers}

    async def _emit(self, payloads: Sequence[Payload], channel: Channel) -> None:
        for payload in payloads:
            message = self._shape(payload, channel.label)
            if message is not None:
                await self.send(message)

    def _shape(self, payload: Payload, channel: str | None) -> Payload | None:
        """What the client gets for an engine payload, or None if it did not ask for it."""
        kind = payload.get("message")
        if kind == "AddPartialTranscript" and not self.config.get("enable_partials"):
            return None
        if kind == "AddPartialTranslation" and not (self.translation or {}).get("enable_partials"):
            return None
        if kind in ("AddTranslation", "AddPartialTranslation") and self.translation is None:
            return None
        if kind == "EndOfUtterance" and not payload.get("forced"):
            conversation = self.config.get("conversation_config") or {}
            if not conversation.get("end_of_utterance_silence_trigger"):
                return None
        if kind in ("AudioEventStarted", "AudioEventEnded"):
            if self.audio_events is None:
                return None
            wanted = self.audio_events.get("types")
            if wanted is not None and (payload.get("event") or {}).get("type") not in wanted:
                return None
        message = dict(payload)
        if kind in ("AddTranscript", "AddPartialTranscript", "EndOfUtterance", "AddTranslation",
                    "AddPartialTranslation"):
            message["format"] = JSON_FORMAT
        if channel is not None and kind not in ("AddTranslation", "AddPartialTranslation"):
            message["channel"] = channel
        return message
