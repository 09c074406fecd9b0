"""Tokens — words, punctuation and entities as the transcript shows them — and how they join into text.

A token comes from one Speechmatics result (realtime or batch json-v2, which share the shape). An entity is
shown by its written form; its spoken form is kept. Punctuation attaches as ``attaches_to`` says
(``previous`` when absent, as the SDKs assume); words are joined by the language pack's delimiter
(``" "``, or ``""`` for Japanese, Chinese and Thai).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "punctuation", "entity" (other kinds may appear; they are kept as given)
    text: str  # what is shown: the content, or an entity's written form
    start: float
    end: float
    confidence: float = 1.0
    speaker: str | None = None  # "S1", "S2", "UU", or an enrolled label
    channel: str | None = None
    language: str | None = None
    attaches_to: str | None = None  # punctuation: "previous" (default), "next", "both", "none"
    is_eos: bool = False
    tags: tuple[str, ...] = ()
    entity_class: str | None = None
    spoken: tuple[str, ...] = field(default=())  # an entity's spoken words

    @property
    def is_punctuation(self) -> bool:
        return self.kind == "punctuation"

    @property
    def glue_before(self) -> bool:
        """No delimiter before this token."""
        return self.is_punctuation and (self.attaches_to or "previous") in ("previous", "both")

    @property
    def glue_after(self) -> bool:
        """No delimiter after this token."""
        return self.is_punctuation and self.attaches_to in ("next", "both")


def _number(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def token_from_result(result: Mapping[str, Any], channel: str | None = None) -> Token | None:
    """A token from one json result; None for a result with nothing to show."""
    alternatives = result.get("alternatives") or []
    best = alternatives[0] if alternatives and isinstance(alternatives[0], Mapping) else {}
    kind = str(result.get("type") or "word")
    text = best.get("content")
    spoken: tuple[str, ...] = ()
    if kind == "entity":
        written = [_first_content(part) for part in result.get("written_form") or []]
        spoken = tuple(c for c in (_first_content(p) for p in result.get("spoken_form") or []) if c)
        if not text and written:
            text = " ".join(w for w in written if w)
    if not isinstance(text, str) or not text:
        return None
    tags = best.get("tags") or ()
    return Token(
        kind=kind, text=text, start=_number(result.get("start_time")), end=_number(result.get("end_time")),
        confidence=_number(best.get("confidence"), 1.0), speaker=best.get("speaker"),
        channel=result.get("channel") if isinstance(result.get("channel"), str) else channel,
        language=best.get("language"), attaches_to=result.get("attaches_to"), is_eos=bool(result.get("is_eos")),
        tags=tuple(str(t) for t in tags), entity_class=result.get("entity_class"), spoken=spoken)


def _first_content(part: Any) -> str:
    if not isinstance(part, Mapping):
        return ""
    alternatives = part.get("alternatives") or []
    if alternatives and isinstance(alternatives[0], Mapping):
        content = alternatives[0].get("content")
        return content if isinstance(content, str) else ""
    return ""


def tokens_from_results(results: Iterable[Any], channel: str | None = None) -> list[Token]:
    tokens = []
    for result in results:
        if isinstance(result, Mapping):
            token = token_from_result(result, channel)
            if token is not None:
                tokens.append(token)
    return tokens


def token_to_result(token: Token) -> dict[str, Any]:
    """The json-v2 result for a token (the inverse of ``token_from_result``)."""
    alternative: dict[str, Any] = {"content": token.text, "confidence": token.confidence}
    if token.language is not None:
        alternative["language"] = token.language
    if token.speaker is not None:
        alternative["speaker"] = token.speaker
    if token.tags:
        alternative["tags"] = list(token.tags)
    result: dict[str, Any] = {"type": token.kind, "start_time": token.start, "end_time": token.end,
                              "alternatives": [alternative]}
    if token.is_punctuation:
        result["attaches_to"] = token.attaches_to or "previous"
        result["is_eos"] = token.is_eos
    if token.channel is not None:
        result["channel"] = token.channel
    if token.kind == "entity":
        if token.entity_class is not None:
            result["entity_class"] = token.entity_class
        result["written_form"] = [{"type": "word", "start_time": token.start, "end_time": token.end,
                                   "alternatives": [dict(alternative)]}]
        if token.spoken:
            step = (token.end - token.start) / len(token.spoken)
            result["spoken_form"] = [
                {"type": "word", "start_time": round(token.start + i * step, 3),
                 "end_time": round(token.start + (i + 1) * step, 3),
                 "alternatives": [{**alternative, "content": word}]}
                for i, word in enumerate(token.spoken)]
    return result


def render(tokens: Sequence[Token], delimiter: str = " ") -> str:
    """The text of ``tokens``: punctuation attached as it says, words joined by ``delimiter``."""
    parts: list[str] = []
    glue = True  # nothing before the first token
    for token in tokens:
        if parts and not glue and not token.glue_before:
            parts.append(delimiter)
        parts.append(token.text)
        glue = token.glue_after
    return "".join(parts)
