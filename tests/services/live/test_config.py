"""LiveConfig → what StartRecognition and SetRecognitionConfig carry, for each choice of sources and engine."""

from __future__ import annotations

import pytest

from studio.api.config import VocabEntry
from studio.api.errors import ConfigurationError
from studio.core.settings import LiveSettings
from studio.services.capabilities import SPEECHMATICS, capabilities
from studio.services.engine import ActiveEngine, EngineKind
from studio.services.live import LiveConfig

BUILTIN = capabilities(ActiveEngine(EngineKind.LOCAL, "", None, True), english_only=True)


def test_microphone_and_system_audio_are_two_labelled_channels() -> None:
    config = LiveConfig(diarization="speaker", max_speakers=4, speaker_sensitivity=0.7)
    cloud = config.transcription_config("both", SPEECHMATICS).to_dict()
    assert cloud["diarization"] == "channel_and_speaker"
    assert cloud["channel_diarization_labels"] == ["Me", "Them"]
    assert cloud["speaker_diarization_config"] == {"max_speakers": 4, "speaker_sensitivity": 0.7}
    local = config.transcription_config("both", BUILTIN).to_dict()
    assert local["diarization"] == "channel" and local["channel_diarization_labels"] == ["Me", "Them"]
    assert "speaker_diarization_config" not in local
    assert LiveConfig(diarization="none").transcription_config("both", SPEECHMATICS).diarization == "channel"


def test_one_source_follows_the_diarization_asked_for() -> None:
    assert LiveConfig(diarization="speaker").transcription_config("mic", SPEECHMATICS).diarization == "speaker"
    assert LiveConfig(diarization="speaker").transcription_config("mic", BUILTIN).diarization is None
    labelled = LiveConfig(diarization="channel").transcription_config("system", BUILTIN)
    assert labelled.diarization == "channel" and labelled.channel_diarization_labels == ("Them",)
    plain = LiveConfig(diarization="none").transcription_config("mic", SPEECHMATICS).to_dict()
    assert "diarization" not in plain and "channel_diarization_labels" not in plain


def test_every_session_setting_reaches_the_wire() -> None:
    config = LiveConfig(language="de", operating_point="enhanced", max_delay=1.5, enable_partials=False,
                        vocab=(VocabEntry("gnocchi", ("nyokee",)),), enable_entities=True,
                        translation_targets=("fr", "es"), end_of_utterance_silence=0.6)
    wire = config.transcription_config("mic", SPEECHMATICS).to_dict()
    assert wire["language"] == "de" and wire["operating_point"] == "enhanced" and wire["max_delay"] == 1.5
    assert wire["enable_partials"] is False and wire["enable_entities"] is True
    assert wire["additional_vocab"] == [{"content": "gnocchi", "sounds_like": ["nyokee"]}]
    assert wire["conversation_config"] == {"end_of_utterance_silence_trigger": 0.6}
    translation = config.translation_config(SPEECHMATICS)
    assert translation is not None and translation.to_dict() == {"target_languages": ["fr", "es"],
                                                                 "enable_partials": False}
    assert config.translation_config(BUILTIN) is None  # the built-in engine does not translate
    problems = config.problems(BUILTIN)
    assert any("English only" in p for p in problems) and any("cannot translate" in p for p in problems)


def test_what_may_change_mid_session_and_why_the_rest_may_not() -> None:
    assert {f for f in ("max_delay", "enable_partials", "end_of_utterance_silence", "language", "vocab",
                        "diarization", "translation_targets") if LiveConfig.changeable_mid_session(f)} == {
        "max_delay", "enable_partials", "end_of_utterance_silence"}
    assert LiveConfig.why_fixed("max_delay") is None
    for field in ("language", "operating_point", "diarization", "max_speakers", "speaker_sensitivity", "vocab",
                  "enable_entities", "translation_targets"):
        reason = LiveConfig.why_fixed(field)
        assert reason is not None and "stop and start again" in reason
    old = LiveConfig()
    assert LiveConfig.changed_fields(old, old.replace(max_delay=1.0, language="fr")) == {"max_delay", "language"}
    # The mid-session message carries only what SetRecognitionConfig allows.
    mid = old.replace(max_delay=1.0).transcription_config("both", SPEECHMATICS).mid_session()
    assert set(mid) <= {"language", "max_delay", "max_delay_mode", "audio_filtering_config", "enable_partials",
                        "conversation_config"}


def test_bad_settings_are_refused_with_a_sentence() -> None:
    for bad, message in ((LiveConfig(language=" "), "Choose a language"),
                         (LiveConfig(max_speakers=1), "at least 2"),
                         (LiveConfig(translation_targets=("a", "b", "c", "d", "e", "f")), "At most 5"),
                         (LiveConfig(vocab=(VocabEntry(" "),)), "custom word is empty")):
        with pytest.raises(ConfigurationError, match=message):
            bad.transcription_config("mic", SPEECHMATICS)


def test_settings_round_trip() -> None:
    live = LiveSettings(language="", diarization="speaker", max_speakers=0, vocab=("gnocchi|nyokee|nokey", "Qt"))
    config = LiveConfig.from_settings(live, "en")
    assert config.language == "en" and config.max_speakers is None
    assert config.vocab == (VocabEntry("gnocchi", ("nyokee", "nokey")), VocabEntry("Qt"))
    again = config.replace(max_speakers=3).to_settings(live)
    assert again.vocab == live.vocab and again.max_speakers == 3 and again.language == "en"
