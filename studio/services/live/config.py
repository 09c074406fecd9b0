"""A live session's settings (``LiveConfig``) and what they become on the wire.

``LiveConfig`` holds every setting of the Live workspace's session; ``transcription_config(kind, caps)`` and
``translation_config(caps)`` turn it into the ``StartRecognition`` configs for the chosen sources on the
active engine (``studio.services.capabilities``):

* **Microphone + system audio** is one session with two channels labelled ``Me`` and ``Them``
  (``channel_diarization_labels``): ``diarization: channel_and_speaker`` where the engine tells speakers
  apart (Speechmatics), so the people inside "Them" are told apart too, unless the user chose ``channel``
  or ``none``; plain ``channel`` on the built-in engine.
* One source: ``speaker`` diarization as asked (with ``max_speakers`` — 0 means no limit — and the
  sensitivity); ``channel`` labels every word with the source's name (``Me`` or ``Them``).
* What the engine cannot do is not asked for (speaker diarization and translation on the built-in engine):
  ``caps.problems`` already told the user before Start. A language the engine does not know *is* sent: the
  engine's own ``invalid_language`` error then says so, in its words and ours.

Mid-session changes: ``LiveConfig.changeable_mid_session(field)`` is True for the fields
``SetRecognitionConfig`` may change (§1.4 of the protocol: ``max_delay``, ``enable_partials``,
``end_of_utterance_silence`` — the language must stay the same); ``LiveConfig.why_fixed(field)`` is the
tooltip for the others; ``changed_fields(old, new)`` lists what differs.

``from_settings(settings.live, default_language)`` / ``to_settings(live_settings)`` keep it in the
``live`` section of the settings file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from studio.api.config import SpeakerDiarizationConfig, TranscriptionConfig, TranslationConfig, VocabEntry
from studio.api.errors import ConfigurationError
from studio.core.settings import LiveSettings
from studio.services.capabilities import Capabilities

Diarization = Literal["none", "speaker", "channel"]
DIARIZATIONS: tuple[str, ...] = ("none", "speaker", "channel")
OPERATING_POINTS: tuple[str, ...] = ("standard", "enhanced")
ME, THEM = "Me", "Them"
SESSION_RATE = 16000

#: The fields SetRecognitionConfig may change while a session runs.
MID_SESSION_FIELDS = frozenset({"max_delay", "enable_partials", "end_of_utterance_silence"})

_FIXED_REASONS = {
    "language": "The language is fixed when the session starts (the service loads that language's model); "
                "stop and start again to change it.",
    "operating_point": "The operating point is chosen when the session starts; stop and start again to change it.",
    "diarization": "How speakers are told apart is set when the session starts; stop and start again to "
                   "change it.",
    "max_speakers": "Speaker settings are fixed when the session starts; stop and start again to change them.",
    "speaker_sensitivity": "Speaker settings are fixed when the session starts; stop and start again to "
                           "change them.",
    "vocab": "Custom words are loaded when the session starts; stop and start again to use new ones.",
    "enable_entities": "Entity formatting is set when the session starts; stop and start again to change it.",
    "translation_targets": "Translation languages are set when the session starts; stop and start again to "
                           "change them.",
}


@dataclass(frozen=True)
class LiveConfig:
    language: str = "en"
    operating_point: str = "standard"  # "standard" | "enhanced"
    max_delay: float = 2.0  # seconds, 0.7–4: how long the service may wait before a word is final
    enable_partials: bool = True
    diarization: Diarization = "speaker"
    max_speakers: int | None = None  # None (or 0): no limit; otherwise 2 or more
    speaker_sensitivity: float = 0.5  # 0–1
    vocab: tuple[VocabEntry, ...] = ()  # custom words, each with its sounds-like spellings
    enable_entities: bool = False
    translation_targets: tuple[str, ...] = ()  # at most 5 languages
    end_of_utterance_silence: float = 0.0  # seconds, 0–2; 0: no EndOfUtterance markers

    def replace(self, **changes: object) -> LiveConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    # -- mid-session changes ---------------------------------------------------------------------------------
    @staticmethod
    def changeable_mid_session(field: str) -> bool:
        return field in MID_SESSION_FIELDS

    @staticmethod
    def why_fixed(field: str) -> str | None:
        """The tooltip of a control that is greyed out while a session runs (None: it may change)."""
        if field in MID_SESSION_FIELDS:
            return None
        return _FIXED_REASONS.get(field, "This is fixed when the session starts; stop and start again to "
                                         "change it.")

    @staticmethod
    def changed_fields(old: LiveConfig, new: LiveConfig) -> set[str]:
        return {f.name for f in dataclasses.fields(LiveConfig) if getattr(old, f.name) != getattr(new, f.name)}

    # -- checks ----------------------------------------------------------------------------------------------
    def validate(self) -> None:
        """``ConfigurationError`` with a sentence for the user, before anything is sent."""
        if not self.language.strip():
            raise ConfigurationError("Choose a language")
        if self.diarization not in DIARIZATIONS:
            raise ConfigurationError(f"Unknown diarization {self.diarization!r}")
        if self.operating_point not in OPERATING_POINTS:
            raise ConfigurationError(f"Unknown operating point {self.operating_point!r}")
        if self.max_speakers and self.max_speakers < 2:
            raise ConfigurationError("The maximum number of speakers must be at least 2 (or no limit)")
        if len(self.translation_targets) > 5:
            raise ConfigurationError("At most 5 translation languages are allowed")
        if any(not entry.content.strip() for entry in self.vocab):
            raise ConfigurationError("A custom word is empty")

    def problems(self, caps: Capabilities, kind: str = "mic") -> list[str]:
        """What this configuration asks of the engine that it cannot do (``Capabilities.problems``)."""
        return caps.problems(language=self.language, diarization=self._diarization(kind, caps, asked=True),
                             translation=self.translation_targets, operating_point=self.operating_point)

    # -- the wire --------------------------------------------------------------------------------------------
    def _diarization(self, kind: str, caps: Capabilities, *, asked: bool = False) -> str:
        if kind == "both":
            if self.diarization == "speaker" and (caps.speaker_diarization or asked):
                return "channel_and_speaker"
            return "channel"
        if self.diarization == "speaker" and not caps.speaker_diarization and not asked:
            return "none"
        return self.diarization

    def channel_labels(self, kind: str) -> tuple[str, ...]:
        """The channels of a session on these sources (empty: one unlabelled stream)."""
        if kind == "both":
            return (ME, THEM)
        if self.diarization == "channel":
            return (THEM,) if kind == "system" else (ME,)
        return ()

    def transcription_config(self, kind: str, caps: Capabilities) -> TranscriptionConfig:
        """``kind``: ``"mic"``, ``"system"`` or ``"both"`` (``SourceKind`` values)."""
        self.validate()
        diarization = self._diarization(kind, caps)
        speakers = None
        if diarization in ("speaker", "channel_and_speaker"):
            speakers = SpeakerDiarizationConfig(max_speakers=self.max_speakers or None,
                                                speaker_sensitivity=self.speaker_sensitivity)
        return TranscriptionConfig(
            language=self.language, operating_point=self.operating_point, max_delay=self.max_delay,
            enable_partials=self.enable_partials, enable_entities=self.enable_entities,
            additional_vocab=tuple(self.vocab), diarization=None if diarization == "none" else diarization,
            speaker_diarization=speakers, channel_diarization_labels=self.channel_labels(kind),
            end_of_utterance_silence_trigger=self.end_of_utterance_silence)

    def translation_config(self, caps: Capabilities) -> TranslationConfig | None:
        targets = tuple(t for t in self.translation_targets if t)
        if not targets or not caps.translation:
            return None
        return TranslationConfig(targets, enable_partials=self.enable_partials)

    # -- settings --------------------------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, live: LiveSettings, default_language: str = "en") -> LiveConfig:
        diarization = live.diarization if live.diarization in DIARIZATIONS else "speaker"
        return cls(language=live.language or default_language, operating_point=live.operating_point,
                   max_delay=live.max_delay, enable_partials=live.enable_partials,
                   diarization=diarization,  # type: ignore[arg-type]
                   max_speakers=live.max_speakers or None, speaker_sensitivity=live.speaker_sensitivity,
                   vocab=parse_vocab(live.vocab), enable_entities=live.enable_entities,
                   translation_targets=tuple(live.translation_targets),
                   end_of_utterance_silence=live.end_of_utterance_silence)

    def to_settings(self, live: LiveSettings) -> LiveSettings:
        return live.replace(language=self.language, operating_point=self.operating_point,
                            max_delay=self.max_delay, enable_partials=self.enable_partials,
                            diarization=self.diarization, max_speakers=self.max_speakers or 0,
                            speaker_sensitivity=self.speaker_sensitivity, vocab=format_vocab(self.vocab),
                            enable_entities=self.enable_entities, translation_targets=self.translation_targets,
                            end_of_utterance_silence=self.end_of_utterance_silence)


def parse_vocab(lines: Sequence[str]) -> tuple[VocabEntry, ...]:
    """Settings keep each custom word as ``word|sounds like|sounds like``."""
    entries = []
    for line in lines:
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            entries.append(VocabEntry(parts[0], tuple(p for p in parts[1:] if p)))
    return tuple(entries)


def format_vocab(entries: Sequence[VocabEntry]) -> tuple[str, ...]:
    return tuple("|".join((entry.content, *entry.sounds_like)) for entry in entries)
