"""Loading a batch json-v2 transcript into the model, and writing the model back out in the same shape.

Everything the model does not interpret (summary, sentiment, topics, chapters, audio events, job and
metadata blocks) is kept and written back; speaker names the user gave and bookmarks travel in a
``studio`` block that other readers ignore, so a saved transcript reopens with its names and bookmarks.
Names are keyed by ``speaker_key`` (``Them/S1`` in a channel-and-speaker transcript); a file written before
speakers were keyed per channel names ``S1`` for every channel, and is read that way
(``SpeakerRegistry.rename``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studio.core.transcript.changes import Bookmark, Reloaded
from studio.core.transcript.model import Sentence, Transcript
from studio.core.transcript.tokens import token_to_result, tokens_from_results

FORMAT = "2.9"
EXTRA_KEYS = ("summary", "sentiment_analysis", "topics", "chapters", "audio_events", "audio_event_summary",
              "speakers", "job")


def from_json_v2(doc: Mapping[str, Any], factory: type[Transcript] = Transcript) -> Transcript:
    metadata = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    config = metadata.get("transcription_config") if isinstance(metadata.get("transcription_config"), Mapping) else {}
    assert isinstance(config, Mapping)
    pack = metadata.get("language_pack_info") if isinstance(metadata.get("language_pack_info"), Mapping) else {}
    assert isinstance(pack, Mapping)
    transcript = factory(str(config.get("language") or "en"), pack.get("word_delimiter"),
                            pack.get("writing_direction"))
    transcript.metadata = dict(metadata)
    for token in tokens_from_results(doc.get("results") or []):
        track = transcript.track(token.channel)
        track.finals.append(token)
        track.final_end = max(track.final_end, token.end)
        transcript.speakers.of(token)
    for track in transcript.tracks.values():
        track.finals.sort(key=lambda t: (t.start, -t.end))
    translations = doc.get("translations")
    if isinstance(translations, Mapping):
        for language, sentences in translations.items():
            transcript.translations[str(language)] = [
                Sentence(str(s.get("content", "")), float(s.get("start_time", 0.0)), float(s.get("end_time", 0.0)),
                         s.get("speaker"), s.get("channel"))
                for s in sentences or [] if isinstance(s, Mapping)]
    for key in EXTRA_KEYS:
        if key in doc:
            transcript.extras[key] = doc[key]
    studio = doc.get("studio")
    if isinstance(studio, Mapping) and isinstance(studio.get("speaker_names"), Mapping):
        for key, name in studio["speaker_names"].items():
            transcript.speakers.rename(str(key), str(name))
    if isinstance(studio, Mapping) and isinstance(studio.get("bookmarks"), list):
        for item in studio["bookmarks"]:
            if isinstance(item, Mapping) and isinstance(item.get("time"), int | float):
                transcript.bookmarks.append(Bookmark(float(item["time"]), str(item.get("label") or "")))
        transcript.bookmarks.sort(key=lambda b: b.time)
    transcript.changes.emit(Reloaded())
    return transcript


def to_json_v2(transcript: Transcript) -> dict[str, Any]:
    metadata = dict(transcript.metadata)
    metadata.setdefault("type", "transcription")
    config = dict(metadata.get("transcription_config") or {})
    config.setdefault("language", transcript.language)
    metadata["transcription_config"] = config
    pack = dict(metadata.get("language_pack_info") or {})
    pack.update(word_delimiter=transcript.word_delimiter, writing_direction=transcript.writing_direction)
    metadata["language_pack_info"] = pack
    doc: dict[str, Any] = {"format": FORMAT, "metadata": metadata,
                           "results": [token_to_result(t) for t in transcript.all_finals()]}
    doc["job"] = transcript.extras.get("job", {})
    if transcript.translations:
        doc["translations"] = {
            language: [{"content": s.text, "start_time": s.start, "end_time": s.end,
                        **({"speaker": s.speaker} if s.speaker else {}),
                        **({"channel": s.channel} if s.channel else {})} for s in sentences]
            for language, sentences in transcript.translations.items()}
    for key in EXTRA_KEYS:
        if key != "job" and key in transcript.extras:
            doc[key] = transcript.extras[key]
    studio: dict[str, Any] = {}
    names = transcript.speakers.names()
    if names:
        studio["speaker_names"] = names
    if transcript.bookmarks:
        studio["bookmarks"] = [{"time": b.time, **({"label": b.label} if b.label else {})}
                               for b in transcript.bookmarks]
    if studio:
        doc["studio"] = studio
    return doc
