"""What a realtime client sends, as the server takes it: audio frames and ``AddChannelAudio`` (acknowledged at
once, queued for the recogniser, the reader held back while the engine's backlog is full; ``type: file`` audio
decoded as it arrives), and the JSON messages — ``StartRecognition`` (validated, the engine opened once its model
is ready, then ``RecognitionStarted``), ``EndOfStream``, ``EndOfChannel``, ``SetRecognitionConfig``,
``GetSpeakers``, ``ForceEndOfUtterance``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from studio.local.engines import Payload, WarmingRecognizer
from studio.local.file_audio import FileDecoder
from studio.local.realtime_config import (
    BYTES_PER_SAMPLE,
    Rejected,
    config_error,
    is_number,
    validate_audio_events_config,
    validate_audio_format,
    validate_transcription_config,
    validate_translation_config,
)
from studio.local.realtime_state import (
    ACK,
    ENGINE_BACKLOG_BYTES,
    FILE_DECODE_FORMAT,
    FILE_PCM_RATE,
    MAX_FILE_BYTES,
    Channel,
    Command,
)
from studio.local.realtime_worker import RecognizerWorker


class MessageHandlers(RecognizerWorker):
    """The reader's side of ``studio.local.realtime.RealtimeConnection``."""

    # -- audio -----------------------------------------------------------------------------------------------
    async def _binary(self, data: bytes) -> None:
        if not self.started:
            raise Rejected("protocol_error", "audio was sent before StartRecognition")
        if self.multichannel:
            raise Rejected("protocol_error", "a multichannel session takes audio as AddChannelAudio messages")
        await self._audio(self.channels[None], data)

    async def _audio(self, channel: Channel, data: bytes) -> None:
        now = self.loop.time()
        self.last_audio = self.last_activity = now
        if self.idle_warned:
            self.idle_warned.clear()
        if channel.ended:
            if not self.warned_after_eos:
                self.warned_after_eos = True
                await self.send({"message": "Warning", "type": "add_audio_after_eos",
                                 "reason": "Audio received after EndOfStream was ignored"})
            return
        self.frames += 1
        channel.seq_no += 1
        faults = self.server.faults.realtime
        if faults.ack_delay:
            await asyncio.sleep(faults.ack_delay)
        if channel.label is None:
            await self.send_text(ACK % channel.seq_no)
        else:
            await self.send({"message": "ChannelAudioAdded", "channel": channel.label, "seq_no": channel.seq_no})
        if channel.decoder is not None:
            if channel.decoder.received + len(data) > MAX_FILE_BYTES:
                raise Rejected("job_error", "the audio file is too large for this server")
            channel.decoder.push(data)
            await self._wait_for_room()
        else:
            await self._queue_audio(channel, data)
        await self._frame_faults()

    async def _queue_audio(self, channel: Channel, data: bytes) -> None:
        last = self.commands[-1] if self.commands else None
        if last is not None and last.kind == "audio" and last.channel is channel and last.data is not None:
            last.data += data  # coalesce: the recogniser takes everything that piled up in one call
        else:
            self.commands.append(Command("audio", channel, bytearray(data)))
        self.backlog += len(data)
        self.work.set()
        await self._wait_for_room()

    async def _wait_for_room(self) -> None:
        """Stops reading while the recogniser has more than ``ENGINE_BACKLOG_BYTES`` of audio to catch up on."""
        while self.backlog > ENGINE_BACKLOG_BYTES and not self.closed:
            self.room.clear()
            await self.room.wait()

    def _on_decoded(self, channel: Channel) -> Callable[[bytes], None]:
        """What the decoder thread calls with each piece of PCM: hands it to the loop."""
        def deliver(pcm: bytes) -> None:
            self.loop.call_soon_threadsafe(self._decoded, channel, pcm)
        return deliver

    def _decoded(self, channel: Channel, pcm: bytes) -> None:
        """Decoded file audio (called on the loop for the decoder thread): fed to the engine in order."""
        if self.closed or channel.flushed:
            return
        channel.pcm += pcm
        self.backlog += len(pcm)
        if not channel.pcm_queued:
            channel.pcm_queued = True
            self._queue(Command("decoded", channel))

    async def _frame_faults(self) -> None:
        faults = self.server.faults.realtime
        if faults.warning_after_frames is not None and not self.fault_warning_sent:
            frames, kind, reason = faults.warning_after_frames
            if self.frames >= frames:
                self.fault_warning_sent = True
                await self.send({"message": "Warning", "type": kind, "reason": reason})
        if faults.error_after_frames is not None and self.frames >= faults.error_after_frames[0]:
            _, kind, reason = faults.error_after_frames
            raise Rejected(kind, reason)
        if faults.drop_after_frames is not None and self.frames >= faults.drop_after_frames:
            self.drop_connection()

    # -- JSON messages ---------------------------------------------------------------------------------------
    async def _text(self, text: str) -> None:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise Rejected("invalid_message", "the message is not valid JSON") from None
        if not isinstance(data, Mapping) or not isinstance(data.get("message"), str):
            raise Rejected("invalid_message", "a message must be a JSON object with a string 'message'")
        kind = data["message"]
        handler = self._handlers().get(kind)
        if handler is None:
            raise Rejected("invalid_message", f"unknown message type {kind!r}")
        if kind == "StartRecognition":
            if self.started:
                raise Rejected("protocol_error", "StartRecognition was already received")
        elif not self.started:
            raise Rejected("protocol_error", f"{kind} was sent before StartRecognition")
        await handler(data)

    def _handlers(self) -> Mapping[str, Callable[[Mapping[str, Any]], Awaitable[None]]]:
        return {"StartRecognition": self._start, "AddChannelAudio": self._channel_audio,
                "EndOfStream": self._end_of_stream, "EndOfChannel": self._end_of_channel,
                "SetRecognitionConfig": self._set_config, "GetSpeakers": self._get_speakers,
                "ForceEndOfUtterance": self._force}

    async def _start(self, data: Mapping[str, Any]) -> None:
        limits = self.server.config.limits
        audio_format = validate_audio_format(data.get("audio_format"))
        if data.get("transcription_config") is None:
            raise config_error("transcription_config is required")
        warnings = validate_transcription_config(data["transcription_config"], max_channels=limits.max_channels)
        config = dict(data["transcription_config"])
        language = str(config["language"])
        if self.path_language is not None and language != self.path_language:
            raise config_error(f"language {language!r} does not match the endpoint's language "
                                f"{self.path_language!r}")
        translation = data.get("translation_config")
        if translation is not None:
            warnings.extend(validate_translation_config(translation))
        events = data.get("audio_events_config")
        if events is not None:
            validate_audio_events_config(events)
        labels: list[str | None] = list(config.get("channel_diarization_labels") or [])
        self.multichannel = str(config.get("diarization")) in ("channel", "channel_and_speaker")
        if not self.multichannel:
            labels = [None]
        is_file = audio_format["type"] == "file"
        engine_format = FILE_DECODE_FORMAT if is_file else audio_format
        rate = FILE_PCM_RATE if is_file else \
            BYTES_PER_SAMPLE[audio_format["encoding"]] * int(audio_format["sample_rate"])
        recognizer = self.server.recognizer
        if isinstance(recognizer, WarmingRecognizer):
            await recognizer.ready()  # its model may still be loading: RecognitionStarted waits for it
        for label in labels:
            engine = recognizer.open(config, engine_format, translation, events)  # EngineRejection → Error
            channel = self.channels[label] = Channel(label, engine, rate)
            if is_file:
                channel.decoder = FileDecoder(self._on_decoded(channel))
            warnings.extend(engine.warnings)
        self.config, self.audio_format = config, audio_format
        self.translation, self.audio_events = translation, events
        speaker_config = config.get("speaker_diarization_config") or {}
        self.final_speakers = bool(speaker_config.get("get_speakers"))
        if not is_file:
            quality = "broadcast" if int(audio_format["sample_rate"]) >= 12000 else "telephony"
            await self.send({"message": "Info", "type": "recognition_quality", "quality": quality,
                             "reason": f"Running recognition using a {quality} model quality."})
        for warning in warnings:
            await self.send(warning)
        started: Payload = {"message": "RecognitionStarted", "orchestrator_version":
                            self.server.config.orchestrator_version, "id": self.id,
                            "language_pack_info": recognizer.language_pack_info(language)}
        if self.multichannel:
            started["channel_ids"] = [label for label in labels if label is not None]
        await self.send(started)
        self.started = True
        self.tasks.append(asyncio.create_task(self._work()))

    def _channel(self, data: Mapping[str, Any]) -> Channel:
        if not self.multichannel:
            raise Rejected("protocol_error", f"{data['message']} needs a multichannel session")
        label = data.get("channel")
        if not isinstance(label, str) or label not in self.channels:
            raise Rejected("invalid_message", f"unknown channel {label!r}")
        return self.channels[label]

    async def _channel_audio(self, data: Mapping[str, Any]) -> None:
        channel = self._channel(data)
        payload = data.get("data")
        if not isinstance(payload, str):
            raise Rejected("invalid_message", "AddChannelAudio needs base64 'data'")
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise Rejected("invalid_message", "AddChannelAudio 'data' is not base64") from None
        await self._audio(channel, audio)

    @staticmethod
    def _last_seq_no(data: Mapping[str, Any]) -> int:
        value = data.get("last_seq_no")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Rejected("invalid_message", f"{data['message']} needs a whole, non-negative last_seq_no")
        return value

    async def _end_of_stream(self, data: Mapping[str, Any]) -> None:
        self._last_seq_no(data)  # a lower bound only: every frame received is processed
        if self.end_of_stream:
            return
        self.end_of_stream = True
        for channel in self.channels.values():
            channel.ended = True
        self._queue(Command("end"))

    async def _end_of_channel(self, data: Mapping[str, Any]) -> None:
        channel = self._channel(data)
        self._last_seq_no(data)
        if channel.ended:
            return
        channel.ended = True
        self._queue(Command("end_channel", channel))
        if all(c.ended for c in self.channels.values()):
            self.end_of_stream = True
            self._queue(Command("end"))

    async def _set_config(self, data: Mapping[str, Any]) -> None:
        update = data.get("transcription_config")
        if update is None:
            raise config_error("SetRecognitionConfig needs a transcription_config")
        validate_transcription_config(update, mid_session=True)
        language = update.get("language")
        if language is not None and language != self.config.get("language"):
            raise config_error(f"the language cannot change during a session ({self.config.get('language')!r} "
                                f"to {language!r})")
        self._queue(Command("config", value=dict(update)))

    async def _get_speakers(self, data: Mapping[str, Any]) -> None:
        final = data.get("final", False)
        if not isinstance(final, bool):
            raise Rejected("invalid_message", "GetSpeakers 'final' must be true or false")
        if final:
            self.final_speakers = True
        else:
            self._queue(Command("speakers"))

    async def _force(self, data: Mapping[str, Any]) -> None:
        timestamp = data.get("timestamp")
        if timestamp is not None and (not is_number(timestamp) or timestamp < 0):
            raise Rejected("invalid_message", "ForceEndOfUtterance 'timestamp' must be a number of seconds >= 0")
        targets = [self._channel(data)] if "channel" in data and self.multichannel else list(self.channels.values())
        for channel in targets:
            self._queue(Command("force", channel, value=timestamp))
