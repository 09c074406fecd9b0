"""What the active engine can do, so the studio says so before a session or job starts, not after.

``capabilities(engine, english_only)`` describes Speechmatics (everything the protocol offers) or the
built-in engine (Whisper: no speaker diarization, no translation, no audio intelligence; English only on an
``.en`` model). ``caps.problems(request)`` lists, in plain words, what a request asks for that the engine
cannot give; an empty list means it can all be done. The workspaces grey out or annotate what is missing
and show these sentences next to the Start / Submit button.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from studio.services.engine import ActiveEngine, EngineKind

#: The batch audio-intelligence features, by the names the studio uses for them.
INTELLIGENCE = ("summary", "sentiment", "topics", "chapters")


@dataclass(frozen=True)
class Capabilities:
    engine: str  # the engine's label, for messages
    local: bool
    english_only: bool  # only English can be recognised (Whisper ``.en`` models)
    speaker_diarization: bool  # speakers told apart inside one channel
    channel_diarization: bool
    translation: bool
    audio_events: bool
    language_identification: bool  # batch "auto"
    operating_points: tuple[str, ...]
    intelligence: frozenset[str] = field(default_factory=frozenset)  # of INTELLIGENCE
    max_realtime_channels: int = 2

    def can_recognise(self, language: str) -> bool:
        return not self.english_only or language in ("en", "auto")

    def problems(self, *, language: str = "en", diarization: str = "none", translation: Iterable[str] = (),
                 intelligence: Iterable[str] = (), audio_events: bool = False,
                 operating_point: str | None = None) -> list[str]:
        """Sentences naming each thing asked for that this engine cannot do (empty: all can be done)."""
        out: list[str] = []
        name = self.engine
        if language == "auto" and not self.language_identification:
            out.append(f"{name} cannot detect the language; choose one.")
        elif not self.can_recognise(language):
            out.append(f"{name} recognises English only; choose English, or a multilingual Whisper model "
                       "in Settings.")
        if diarization in ("speaker", "channel_and_speaker") and not self.speaker_diarization:
            out.append(f"{name} cannot tell speakers apart within one channel; every word will be "
                       "marked as an unknown speaker.")
        if diarization in ("channel", "channel_and_speaker") and not self.channel_diarization:
            out.append(f"{name} cannot keep channels apart.")
        targets = [t for t in translation if t]
        if targets and not self.translation:
            out.append(f"{name} cannot translate; no translation ({', '.join(targets)}) will be made.")
        missing = [f for f in intelligence if f not in self.intelligence]
        if missing:
            out.append(f"{name} does not offer {_listing(missing)}; "
                       f"{'it' if len(missing) == 1 else 'they'} will be marked as not available.")
        if audio_events and not self.audio_events:
            out.append(f"{name} does not detect audio events (music, laughter, applause).")
        if operating_point and operating_point not in self.operating_points:
            out.append(f"{name} has no '{operating_point}' operating point; "
                       f"'{self.operating_points[0]}' will be used.")
        return out


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


SPEECHMATICS = Capabilities(
    engine="Speechmatics", local=False, english_only=False, speaker_diarization=True, channel_diarization=True,
    translation=True, audio_events=True, language_identification=True, operating_points=("standard", "enhanced"),
    intelligence=frozenset(INTELLIGENCE))


def capabilities(engine: ActiveEngine, english_only: bool | None = None) -> Capabilities:
    """The capabilities of ``engine``; ``english_only`` is the built-in model's (None: not known, assumed
    multilingual until the model says otherwise)."""
    if engine.kind is EngineKind.SPEECHMATICS:
        return SPEECHMATICS
    return Capabilities(
        engine="The built-in engine", local=True, english_only=bool(english_only), speaker_diarization=False,
        channel_diarization=True, translation=False, audio_events=False, language_identification=not english_only,
        operating_points=("standard",))
