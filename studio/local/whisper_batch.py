"""Batch recognition with Whisper: a whole file through faster-whisper, as a json-v2 body.

The file is decoded with PyAV to 16 kHz float32 (mono, or one track per channel with
``diarization: "channel"``), transcribed with word timestamps in a worker thread (``additional_vocab``
respells what was heard, ``studio.local.vocabulary``; it is never a prompt) and mapped to results
(``studio.local.whisper_results``); every alternative carries ``speaker: "UU"`` as SaaS output does. What the
engine cannot do is reported the way the service reports it: a language the model does not know rejects
the job; translation, summaries, sentiment, topics and chapters come back as the spec's
``metadata.<feature>_errors`` entries instead of silently missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from studio.local.engines import EngineRejection, Payload
from studio.local.vocabulary import Vocabulary
from studio.local.whisper_model import SAMPLE_RATE, WhisperRuntime
from studio.local.whisper_results import ResultOptions, language_pack_info, to_results

INVALID_AUDIO = "Job rejected due to invalid audio"
#: Whisper codes whose Speechmatics code differs.
_SPEECHMATICS_CODES = {"zh": "cmn"}
_FEATURE_ERRORS = {
    "summarization_config": ("summarization_errors", "summarization_failed", "Summaries are"),
    "sentiment_analysis_config": ("sentiment_analysis_errors", "sentiment_analysis_failed",
                                  "Sentiment analysis is"),
    "topic_detection_config": ("topic_detection_errors", "topic_detection_failed", "Topic detection is"),
    "auto_chapters_config": ("auto_chapters_errors", "auto_chapters_failed", "Chapters are"),
}


def load_media(path: Path, *, split_channels: bool) -> np.ndarray:
    """The audio of a media file as float32 at 16 kHz: shape (channels, samples), one row unless split."""
    import av

    rows: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise EngineRejection(INVALID_AUDIO, "the file has no audio stream")
            stream = container.streams.audio[0]
            layout = stream.layout if split_channels else "mono"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for converted in resampler.resample(frame):
                    rows.append(converted.to_ndarray())
            for converted in resampler.resample(None):
                rows.append(converted.to_ndarray())
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise EngineRejection(INVALID_AUDIO, f"the file could not be decoded ({exc.__class__.__name__})") from None
    if not rows:
        raise EngineRejection(INVALID_AUDIO, "the file holds no audio")
    return np.ascontiguousarray(np.concatenate(rows, axis=1), dtype=np.float32)


def _channel_labels(config: Mapping[str, Any], channels: int) -> list[str]:
    labels = [str(label) for label in config.get("channel_diarization_labels") or []]
    if not labels:
        return [f"channel_{n + 1}" for n in range(channels)]
    if len(labels) != channels:
        raise EngineRejection("Job rejected", f"channel_diarization_labels names {len(labels)} channels but the "
                                              f"file has {channels}")
    return labels


def _merge(channels: list[list[Payload]]) -> list[Payload]:
    """Results of several channels in time order; punctuation stays right after its word."""
    keyed: list[tuple[float, int, int, Payload]] = []
    for index, results in enumerate(channels):
        anchor = 0.0
        for position, result in enumerate(results):
            if result["type"] == "word" or result.get("attaches_to") == "next":
                anchor = float(result["start_time"])
            keyed.append((anchor, index, position, result))
    keyed.sort(key=lambda item: item[:3])
    return [item[3] for item in keyed]


class WhisperBatchRecognizer:
    def __init__(self, runtime: WhisperRuntime) -> None:
        self.runtime = runtime

    async def transcribe(self, media: Path, config: Mapping[str, Any]) -> Payload:
        transcription = dict(config.get("transcription_config") or {})
        language = str(transcription.get("language") or "en")
        await asyncio.to_thread(self.runtime.load_for_use, "Job error")  # waits for a load under way
        whisper_language = self.runtime.whisper_language(language, allow_auto=True)
        split = str(transcription.get("diarization") or "none") == "channel"
        audio = await asyncio.to_thread(load_media, media, split_channels=split)
        labels = _channel_labels(transcription, audio.shape[0]) if split else [None]
        vocabulary = Vocabulary.from_config(transcription)  # corrects what was heard; never a Whisper prompt
        per_channel: list[list[Payload]] = []
        detected = language
        for row, label in zip(audio, labels, strict=True):
            decoded = await asyncio.to_thread(self.runtime.transcribe, row, whisper_language)
            detected = _SPEECHMATICS_CODES.get(decoded.language, decoded.language) if language == "auto" \
                else language
            options = ResultOptions.from_config(transcription, language=detected, always_speaker=True)
            words = vocabulary.apply(decoded.words) if vocabulary is not None else decoded.words
            results = to_results(words, options)
            if label is not None:
                for result in results:
                    result["channel"] = label
            per_channel.append(results)
        metadata: Payload = {"type": "transcription", "transcription_config": transcription,
                             "language_pack_info": language_pack_info(detected)}
        self._unsupported(config, metadata, detected)
        return {"format": "2.9", "metadata": metadata, "results": _merge(per_channel)}

    @staticmethod
    def _unsupported(config: Mapping[str, Any], metadata: Payload, language: str) -> None:
        translation = config.get("translation_config")
        if isinstance(translation, Mapping):
            metadata["translation_errors"] = [
                {"type": "unsupported_translation_pair",
                 "message": f"The built-in engine does not translate ({language} to {target})"}
                for target in translation.get("target_languages") or []]
        for key, (field, kind, what) in _FEATURE_ERRORS.items():
            if config.get(key) is not None:
                metadata[field] = [{"type": kind, "message": f"{what} not available in the built-in engine"}]
