"""The exporters: plain text variants, WebVTT voice tags and escaping, json-v2 round trip, Word documents read
back with python-docx, and the user's speaker names in every format."""

from __future__ import annotations

import io
import json
import re

import pytest
from docx import Document

from studio.core.exporters import (
    FORMATS,
    DocxOptions,
    JsonOptions,
    SubtitleOptions,
    TextOptions,
    export,
)
from studio.core.transcript import Transcript
from tests.core.test_subtitles import (
    HEBREW,
    JAPANESE,
    dialogue,
    language_transcript,
    monologue,
    result,
    spoken,
    utterance,
)


def meeting() -> Transcript:
    """Two speakers; the first renamed to a name with markup characters; a long pause in the second's turn."""
    a, end = utterance("I think <b>bold</b> & 5 > 3 is fine.", 0.5, "S1")
    b, end = utterance("Agreed, let's ship it.", end + 0.2, "S2")
    c, end = utterance("Good.", end + 0.3, "S2")
    d, _ = utterance("One more thing.", end + 5.0, "S2")
    transcript = spoken([(a, None), (b, None), (c, None), (d, None)], pending=[result("typing", 30.0, 30.4, "S1")])
    transcript.speakers.rename("S1", "Ana <Chair> & Co")
    return transcript


# -- TXT ---------------------------------------------------------------------------------------------------------


def test_text_paragraphs_follow_the_speakers() -> None:
    text = export(meeting(), "txt").decode()
    assert text == ("Ana <Chair> & Co: I think <b>bold</b> & 5 > 3 is fine.\n\n"
                    "Speaker 2: Agreed, let's ship it. Good.\n\n"
                    "Speaker 2: One more thing.\n")


def test_text_with_timestamps_one_line_a_sentence() -> None:
    text = export(meeting(), "txt", TextOptions(timestamps=True, paragraphs=False)).decode()
    assert text.splitlines() == [
        "[00:00:00] Ana <Chair> & Co: I think <b>bold</b> & 5 > 3 is fine.",
        "[00:00:03] Speaker 2: Agreed, let's ship it.",
        "[00:00:05] Speaker 2: Good.",
        "[00:00:10] Speaker 2: One more thing.",
    ]


def test_plain_text_has_neither_names_nor_times_nor_partials() -> None:
    text = export(meeting(), "txt", TextOptions(speakers=False)).decode()
    assert text == "I think <b>bold</b> & 5 > 3 is fine.\n\nAgreed, let's ship it. Good.\n\nOne more thing.\n"
    assert "typing" not in export(meeting(), "txt").decode()


def test_text_of_an_undiarized_monologue_has_no_labels_and_long_paragraphs_end() -> None:
    transcript = monologue(minutes=4)
    paragraphs = export(transcript, "txt", TextOptions(timestamps=True)).decode().split("\n\n")
    assert len(paragraphs) > 3
    assert all(re.fullmatch(r"\[\d\d:\d\d:\d\d\] [A-Z][^\n]*\n?", p) for p in paragraphs), paragraphs[:3]
    assert not any("Unknown speaker" in p for p in paragraphs)
    assert all(len(p) < 1000 + 400 for p in paragraphs), "a paragraph ends at the sentence after 1000 characters"
    times = [p[1:9] for p in paragraphs]
    assert times == sorted(times)


def test_text_hours_and_languages_without_spaces() -> None:
    transcript = language_transcript("ja", JAPANESE, repeat=1)
    text = export(transcript, "txt", TextOptions(paragraphs=False)).decode()
    assert text.splitlines()[0] == "Speaker 1: 今日はとても良い天気ですね。"
    late, _ = utterance("Still here.", 3 * 3600 + 62.5)
    assert export(spoken([(late, None)]), "txt", TextOptions(timestamps=True)).decode() == "[03:01:02] Still here.\n"


# -- SRT and VTT -------------------------------------------------------------------------------------------------


def test_vtt_names_speakers_with_voice_tags_and_escapes_markup() -> None:
    text = export(meeting(), "vtt").decode()
    blocks = text.split("\n\n")
    assert blocks[0] == "WEBVTT"
    assert blocks[1] == ("00:00:00.500 --> 00:00:03.195\n"
                         "<v Ana &lt;Chair&gt; &amp; Co>I think &lt;b&gt;bold&lt;/b&gt; &amp; 5 &gt; 3 is fine.")
    assert [b.splitlines()[1] for b in blocks[2:]] == ["<v Speaker 2>Agreed, let's ship it.", "<v Speaker 2>Good.",
                                                       "<v Speaker 2>One more thing."]
    assert "<b>" not in text and " & " not in text
    arrows = [line for line in text.splitlines() if "-->" in line]
    assert len(arrows) == len(blocks) - 1, "no text line looks like a cue timing"


def test_vtt_prefix_and_no_speaker_styles() -> None:
    prefixed = export(meeting(), "vtt", SubtitleOptions(speaker_style="prefix")).decode()
    assert "\nAna &lt;Chair&gt; &amp; Co: I think" in prefixed and "<v " not in prefixed
    bare = export(meeting(), "vtt", SubtitleOptions(speaker_style="none")).decode()
    assert "Ana" not in bare and "Speaker 2" not in bare and "<v " not in bare


def test_srt_numbers_cues_and_names_speakers_in_a_prefix() -> None:
    text = export(meeting(), "srt").decode()
    blocks = text.rstrip("\n").split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [str(n) for n in range(1, len(blocks) + 1)]
    assert blocks[0].splitlines()[1] == "00:00:00,500 --> 00:00:03,315"
    assert blocks[0].splitlines()[2:] == ["Ana <Chair> & Co: I think", "<b>bold</b> & 5 > 3 is fine."]
    assert blocks[1].splitlines()[2] == "Speaker 2: Agreed, let's ship it. Good."
    assert blocks[2].splitlines()[2] == "One more thing.", "the same speaker goes on: no name"


def test_subtitle_limits_are_options() -> None:
    text = export(dialogue(minutes=1), "srt", SubtitleOptions(max_chars_per_line=20, max_lines=1,
                                                             speaker_style="none")).decode()
    lines = [line for block in text.split("\n\n") for line in block.splitlines()[2:]]
    assert lines and max(len(line) for line in lines) <= 20


# -- JSON --------------------------------------------------------------------------------------------------------


def test_json_round_trips_with_the_renamed_speaker() -> None:
    original = meeting()
    data = export(original, "json")
    assert "Ana <Chair> & Co" in data.decode(), "UTF-8, not ASCII escapes"
    doc = json.loads(data)
    assert doc["format"] == "2.9" and doc["results"]
    loaded = Transcript.from_json_v2(doc)
    assert loaded.all_finals() == original.all_finals()
    assert loaded.speakers.display("S1") == "Ana <Chair> & Co"
    assert export(loaded, "srt") == export(original, "srt")
    assert export(loaded, "json") == data
    assert b"\n  " not in export(original, "json", JsonOptions(indent=None))


@pytest.mark.parametrize(("language", "sentences"), [("ja", JAPANESE), ("he", HEBREW)])
def test_json_keeps_how_the_language_is_written(language: str, sentences: tuple[str, ...]) -> None:
    original = language_transcript(language, sentences, repeat=1)
    loaded = Transcript.from_json_v2(json.loads(export(original, "json")))
    assert (loaded.word_delimiter, loaded.rtl) == (original.word_delimiter, original.rtl)
    assert export(loaded, "vtt") == export(original, "vtt")


# -- DOCX --------------------------------------------------------------------------------------------------------


def test_docx_has_a_title_and_speaker_paragraphs_with_times() -> None:
    transcript = meeting()
    document = Document(io.BytesIO(export(transcript, "docx", DocxOptions(title="Board meeting"))))
    first, *paragraphs = document.paragraphs
    assert first.style is not None
    assert (first.style.name, first.text) == ("Title", "Board meeting")
    assert document.core_properties.title == "Board meeting"
    assert [p.text for p in paragraphs] == [
        "[00:00:00] Ana <Chair> & Co: I think <b>bold</b> & 5 > 3 is fine.",
        "[00:00:03] Speaker 2: Agreed, let's ship it. Good.",
        "[00:00:10] Speaker 2: One more thing.",
    ]
    for paragraph, name in zip(paragraphs, ["Ana <Chair> & Co", "Speaker 2", "Speaker 2"], strict=True):
        bold = [run.text for run in paragraph.runs if run.bold]
        assert bold == [name]
        assert not paragraph.runs[-1].bold


def test_docx_of_right_to_left_text_has_right_to_left_paragraphs() -> None:
    transcript = language_transcript("he", HEBREW, repeat=1)
    data = export(transcript, "docx", DocxOptions(timestamps=False))
    document = Document(io.BytesIO(data))
    paragraphs = document.paragraphs[1:]
    assert paragraphs[0].text == "Speaker 1: " + HEBREW[0]
    qualified = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    assert all(p._p.pPr is not None and p._p.pPr.find(f"{qualified}bidi") is not None for p in paragraphs)
    ltr = Document(io.BytesIO(export(meeting(), "docx")))
    assert all(p._p.pPr is None or p._p.pPr.find(f"{qualified}bidi") is None for p in ltr.paragraphs)


def test_docx_drops_characters_xml_cannot_hold() -> None:
    broken, _ = utterance("bell\x07 and\x00 null", 0.0)
    document = Document(io.BytesIO(export(spoken([(broken, None)]), "docx", DocxOptions(timestamps=False))))
    assert document.paragraphs[1].text == "bell and null"


def test_docx_of_many_turns_reads_back_whole() -> None:
    transcript = dialogue(minutes=12)
    document = Document(io.BytesIO(export(transcript, "docx")))
    paragraphs = document.paragraphs[1:]
    expected = export(transcript, "txt", TextOptions(timestamps=True)).decode().rstrip("\n").split("\n\n")
    assert [p.text for p in paragraphs] == expected
    assert len(paragraphs) > 200


# -- every format ------------------------------------------------------------------------------------------------


def test_renamed_speakers_appear_in_every_format() -> None:
    transcript = dialogue(minutes=1)
    transcript.speakers.rename("S2", "Bartholomew")
    seen = {}
    for fmt in FORMATS:
        data = export(transcript, fmt)
        docx = fmt == "docx"
        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs) if docx else data.decode()
        seen[fmt] = text.count("Bartholomew")
    assert all(count > 0 for count in seen.values()), seen
    assert seen["vtt"] >= seen["srt"]
    voiced, prefixed = export(meeting(), "vtt").decode(), export(meeting(), "srt").decode()
    assert voiced.count("Speaker 2") == 3 and prefixed.count("Speaker 2") == 1, "a prefix only starts a turn"


def test_an_empty_transcript_exports_in_every_format() -> None:
    empty = Transcript()
    assert export(empty, "txt") == b""
    assert export(empty, "srt") == b""
    assert export(empty, "vtt") == b"WEBVTT\n"
    assert Transcript.from_json_v2(json.loads(export(empty, "json"))).all_finals() == []
    assert [p.text for p in Document(io.BytesIO(export(empty, "docx"))).paragraphs] == ["Transcript"]


def test_unknown_formats_and_wrong_options_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format 'pdf'"):
        export(Transcript(), "pdf")
    with pytest.raises(TypeError, match="SubtitleOptions given where TextOptions"):
        export(Transcript(), "txt", SubtitleOptions())
    with pytest.raises(TypeError):
        export(Transcript(), "srt", TextOptions())
    assert export(meeting(), "docx", TextOptions(timestamps=False))  # text options lay out a document too


# -- bookmarks ---------------------------------------------------------------------------------------------------


def bookmarked() -> Transcript:
    transcript = meeting()
    transcript.add_bookmark(4.0, "decision <made>")
    transcript.add_bookmark(0.1)
    transcript.add_bookmark(99.0, "after the end")
    return transcript


def test_bookmarks_are_lines_of_their_own_in_text() -> None:
    lines = export(bookmarked(), "txt").decode().split("\n\n")
    assert lines == [
        "[00:00:00] ★ Bookmark",  # before anything was said
        "Ana <Chair> & Co: I think <b>bold</b> & 5 > 3 is fine.",
        "Speaker 2: Agreed, let's ship it. Good.",
        "[00:00:04] ★ Bookmark: decision <made>",
        "Speaker 2: One more thing.",
        "[00:01:39] ★ Bookmark: after the end\n",
    ]


def test_bookmarks_in_docx_and_json_round_trip() -> None:
    transcript = bookmarked()
    document = Document(io.BytesIO(export(transcript, "docx")))
    texts = [p.text for p in document.paragraphs]
    assert "[00:00:04] ★ Bookmark: decision <made>" in texts
    assert texts.index("[00:00:04] ★ Bookmark: decision <made>") == texts.index(
        "[00:00:10] Speaker 2: One more thing.") - 1
    back = Transcript.from_json_v2(json.loads(export(transcript, "json")))
    assert [(b.time, b.label) for b in back.bookmarks] == [(0.1, ""), (4.0, "decision <made>"),
                                                           (99.0, "after the end")]
    assert back.speakers.display("S1") == "Ana <Chair> & Co"


def test_bookmark_changes_are_told_to_observers() -> None:
    from studio.core.transcript.changes import BookmarksChanged

    transcript = Transcript()
    seen: list[object] = []
    transcript.changes.subscribe(seen.append)
    first = transcript.add_bookmark(2.0)
    transcript.add_bookmark(1.0, "earlier")
    renamed = transcript.relabel_bookmark(first, "named")
    transcript.remove_bookmark(renamed)
    assert [tuple((b.time, b.label) for b in c.bookmarks) for c in seen if isinstance(c, BookmarksChanged)] == [
        ((2.0, ""),), ((1.0, "earlier"), (2.0, "")), ((1.0, "earlier"), (2.0, "named")), ((1.0, "earlier"),)]
