"""Which voices an engine has: the Speechmatics voices, and on the built-in engine its eSpeak NG voices too.

Public API::

    SPEECHMATICS_VOICES                 # sarah, theo, megan, jack (speechmatics-protocol.md §3.2)
    voices = catalogue(local=True)      # on the built-in engine: those four, then every eSpeak voice by its name
    find(voices, "fr-fr"), languages(voices) -> [("English", 4), ...]

Each ``VoiceInfo`` has the id the service takes (``/generate/<id>``), a display name, the language (name
and code), the accent and gender where they are known, and a short description. The built-in engine's
list comes from the same eSpeak NG library and naming rule its server uses (``studio.local.espeak``), so
what is listed is what the server speaks; loading the library takes a few tens of milliseconds, so call
``catalogue(local=True)`` off the GUI thread. Without eSpeak NG the built-in engine has the four only.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # the path segment the service takes
    name: str  # "Sarah", "French (France)"
    language: str  # "English"
    language_code: str  # "en", "fr-fr"
    accent: str = ""  # "UK", "Belgium", "Received Pronunciation"
    gender: str = ""  # "female", "male", or "" when not known
    description: str = ""
    speechmatics: bool = False  # one of the service's own voices (on the built-in engine: its stand-in)

    @property
    def summary(self) -> str:
        """"English (UK), female" — the language, accent and gender that are known."""
        where = f"{self.language} ({self.accent})" if self.accent else self.language
        return f"{where}, {self.gender}" if self.gender else where


SPEECHMATICS_VOICES: tuple[VoiceInfo, ...] = (
    VoiceInfo("sarah", "Sarah", "English", "en-gb", "UK", "female",
              "Speechmatics' British English female voice; the service's default.", speechmatics=True),
    VoiceInfo("theo", "Theo", "English", "en-gb", "UK", "male",
              "Speechmatics' British English male voice.", speechmatics=True),
    VoiceInfo("megan", "Megan", "English", "en-us", "US", "female",
              "Speechmatics' American English female voice.", speechmatics=True),
    VoiceInfo("jack", "Jack", "English", "en-us", "US", "male",
              "Speechmatics' American English male voice.", speechmatics=True),
)

#: What the four names are on the built-in engine (eSpeak NG voices with a variant, see ``studio.local.espeak``).
_BUILTIN_STAND_INS = {
    "sarah": "eSpeak NG British English, female variant, standing in for Speechmatics' Sarah.",
    "theo": "eSpeak NG Received Pronunciation, male variant, standing in for Speechmatics' Theo.",
    "megan": "eSpeak NG American English, female variant, standing in for Speechmatics' Megan.",
    "jack": "eSpeak NG American English, male variant, standing in for Speechmatics' Jack.",
}

_NAME = re.compile(r"^\s*(?P<language>[^(]+?)\s*(?:\((?P<accent>[^)]*)\))?\s*$")


def speechmatics_catalogue() -> list[VoiceInfo]:
    return list(SPEECHMATICS_VOICES)


def builtin_catalogue() -> list[VoiceInfo]:
    """The built-in engine's voices: the four names, then each eSpeak NG voice under its own name."""
    four = [VoiceInfo(v.id, v.name, v.language, v.language_code, v.accent, v.gender, _BUILTIN_STAND_INS[v.id],
                      speechmatics=True) for v in SPEECHMATICS_VOICES]
    try:
        from studio.local.espeak import EspeakLibrary, EspeakUnavailableError, local_voice_names

        try:
            library = EspeakLibrary.shared()
        except (EspeakUnavailableError, OSError) as exc:
            log.info("no eSpeak NG voices: %s", exc)
            return four
    except ImportError:  # pragma: no cover - the local package is part of the studio
        return four
    by_identifier = {voice.identifier: voice for voice in library.voices}
    extra = []
    for name, identifier in sorted(local_voice_names(library.voices).items()):
        espeak = by_identifier[identifier]
        extra.append(_espeak_voice(name, espeak.name))
    return four + extra


def _espeak_voice(voice_id: str, espeak_name: str) -> VoiceInfo:
    match = _NAME.match(espeak_name)
    language = (match.group("language") if match else espeak_name).strip() or voice_id
    accent = (match.group("accent") or "").strip() if match else ""
    where = f"{language} ({accent})" if accent else language
    return VoiceInfo(voice_id, espeak_name.strip() or voice_id, language, voice_id, accent, "",
                     f"eSpeak NG voice for {where}; synthetic-sounding, works offline.")


def catalogue(*, local: bool) -> list[VoiceInfo]:
    """The voices of the built-in engine (``local``) or of Speechmatics."""
    return builtin_catalogue() if local else speechmatics_catalogue()


def find(voices: Sequence[VoiceInfo], voice_id: str) -> VoiceInfo | None:
    return next((voice for voice in voices if voice.id == voice_id), None)


def languages(voices: Sequence[VoiceInfo]) -> list[tuple[str, int]]:
    """Each language with its number of voices, the most common first, then by name."""
    counts = Counter(voice.language for voice in voices)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def display_name(voices: Sequence[VoiceInfo], voice_id: str) -> str:
    found = find(voices, voice_id)
    return found.name if found is not None else voice_id
