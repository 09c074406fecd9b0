from __future__ import annotations

import pytest

from studio.api.config import (
    AudioEventsConfig,
    AudioFormat,
    JobConfig,
    SpeakerDiarizationConfig,
    TranscriptionConfig,
    TranslationConfig,
    VocabEntry,
)
from studio.api.errors import ConfigurationError


def test_audio_formats() -> None:
    assert AudioFormat().to_dict() == {"type": "raw", "encoding": "pcm_s16le", "sample_rate": 16000}
    assert AudioFormat("pcm_f32le", 44100).bytes_per_second == 176400
    assert AudioFormat("mulaw", 8000).bytes_per_second == 8000
    assert AudioFormat(None).to_dict() == {"type": "file"}
    with pytest.raises(ConfigurationError):
        AudioFormat("pcm_s16le", 100).validate()


def test_unset_fields_are_omitted() -> None:
    assert TranscriptionConfig().to_dict() == {"language": "en"}


def test_every_realtime_field_serialises_where_the_api_wants_it() -> None:
    config = TranscriptionConfig(
        language="en", model="enhanced", domain="finance", output_locale="en-GB",
        additional_vocab=("gnocchi", VocabEntry("bucatini", ("boo ka tee nee",))), diarization="speaker",
        speaker_diarization=SpeakerDiarizationConfig(max_speakers=3, speaker_sensitivity=0.6,
                                                     speakers=(("Alice", ("id1",)),)),
        max_delay=1.5, max_delay_mode="fixed", enable_partials=True, enable_entities=True,
        punctuation_permitted_marks=(".", "?"), punctuation_sensitivity=0.4, volume_threshold=3.4,
        remove_disfluencies=True, replacements=(("hello", "hi"),), end_of_utterance_silence_trigger=0.5,
        extra={"streaming_mode": True})
    data = config.to_dict()
    assert data["additional_vocab"] == ["gnocchi", {"content": "bucatini", "sounds_like": ["boo ka tee nee"]}]
    assert data["speaker_diarization_config"] == {"max_speakers": 3, "speaker_sensitivity": 0.6,
                                                  "speakers": [{"label": "Alice", "speaker_identifiers": ["id1"]}]}
    assert data["punctuation_overrides"] == {"permitted_marks": [".", "?"], "sensitivity": 0.4}
    assert data["audio_filtering_config"] == {"volume_threshold": 3.4}
    assert data["transcript_filtering_config"] == {"remove_disfluencies": True,
                                                   "replacements": [{"from": "hello", "to": "hi"}]}
    assert data["conversation_config"] == {"end_of_utterance_silence_trigger": 0.5}
    assert data["streaming_mode"] is True
    assert config.mid_session() == {"language": "en", "max_delay": 1.5, "max_delay_mode": "fixed",
                                    "enable_partials": True, "audio_filtering_config": {"volume_threshold": 3.4},
                                    "conversation_config": {"end_of_utterance_silence_trigger": 0.5}}
    batch = config.to_dict(batch=True)
    assert "max_delay" not in batch and "enable_partials" not in batch and "conversation_config" not in batch
    assert batch["additional_vocab"][0] == {"content": "gnocchi"}  # batch takes objects only
    assert "max_speakers" not in batch["speaker_diarization_config"]


@pytest.mark.parametrize(("config", "message"), [
    (TranscriptionConfig(language=""), "Choose a language"),
    (TranscriptionConfig(language="auto"), "batch jobs only"),
    (TranscriptionConfig(model="enhanced", operating_point="standard"), "not both"),
    (TranscriptionConfig(model="turbo"), "Unknown model"),
    (TranscriptionConfig(diarization="speaker_change"), "Unknown diarization"),
    (TranscriptionConfig(diarization="channel"), "label for each channel"),
    (TranscriptionConfig(max_delay=5.0), "between 0.7 and 4"),
    (TranscriptionConfig(end_of_utterance_silence_trigger=3.0), "between 0 and 2"),
    (TranscriptionConfig(punctuation_sensitivity=1.5), "punctuation sensitivity"),
    (TranscriptionConfig(volume_threshold=101), "volume threshold"),
])
def test_invalid_configs_are_explained(config: TranscriptionConfig, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        config.validate()


def test_batch_allows_auto_language_but_not_channel_and_speaker() -> None:
    TranscriptionConfig(language="auto").validate(batch=True)
    with pytest.raises(ConfigurationError):
        TranscriptionConfig(diarization="channel_and_speaker", channel_diarization_labels=("a",)).validate(batch=True)


def test_job_config() -> None:
    job = JobConfig(transcription=TranscriptionConfig(language="de", diarization="speaker"),
                    fetch_url="https://example.com/a.mp3", fetch_auth_headers=("Authorization: Bearer x",),
                    translation=TranslationConfig(("en", "fr"), enable_partials=True),
                    audio_events=AudioEventsConfig(("music",)), sentiment_analysis=True, topic_detection=[],
                    auto_chapters=True, summarization={"summary_length": "brief"},
                    notification=[{"url": "https://collector.example/cb", "contents": ["jobinfo"]}],
                    srt_overrides={"max_line_length": 37, "max_lines": 2})
    data = job.to_dict()
    assert data["type"] == "transcription"
    assert data["fetch_data"] == {"url": "https://example.com/a.mp3", "auth_headers": ["Authorization: Bearer x"]}
    assert data["translation_config"] == {"target_languages": ["en", "fr"]}  # partials are realtime-only
    assert data["sentiment_analysis_config"] == {} and data["auto_chapters_config"] == {}
    assert data["topic_detection_config"] == {}
    assert data["output_config"] == {"srt_overrides": {"max_line_length": 37, "max_lines": 2}}
    assert data["notification_config"][0]["contents"] == ["jobinfo"]
    with pytest.raises(ConfigurationError, match="5 translation"):
        JobConfig(translation=TranslationConfig(("a", "b", "c", "d", "e", "f"))).validate()
