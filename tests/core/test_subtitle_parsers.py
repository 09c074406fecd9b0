"""Our subtitle files read back with independent readers: SRT with ``srt``, WebVTT with ``webvtt-py`` (in strict
mode); the cues, their times and their texts (voice names included) come back as we built them."""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
import srt
import webvtt

from studio.core.exporters import SpeakerStyle, SubtitleOptions, export
from studio.core.exporters.subtitles import RLM, build_cues
from studio.core.transcript import Transcript
from tests.core.test_subtitles import (
    ARABIC,
    CHINESE,
    HEBREW,
    JAPANESE,
    channels,
    dialogue,
    language_transcript,
    monologue,
    spoken,
    utterance,
)


def markup() -> Transcript:
    """Text that looks like markup or like subtitle syntax, and a name that does too."""
    a, end = utterance("Type <i>x</i> && y --> z, then 1 < 2 > 0.", 0.2, "S1")
    b, end = utterance("2", end + 0.5, "S2")
    c, _ = utterance("00:00:01,000 --> 00:00:02,000", end + 1.5, "S2")
    transcript = spoken([(a, None), (b, None), (c, None)])
    transcript.speakers.rename("S1", "<Ed> & co")
    return transcript


TRANSCRIPTS: dict[str, Callable[[], Transcript]] = {
    "monologue": lambda: monologue(minutes=5),
    "dialogue": lambda: dialogue(minutes=2),
    "channels": channels,
    "japanese": lambda: language_transcript("ja", JAPANESE),
    "chinese": lambda: language_transcript("cmn", CHINESE),
    "hebrew": lambda: language_transcript("he", HEBREW),
    "arabic": lambda: language_transcript("ar", ARABIC),
    "markup": markup,
}


def _ms(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
def test_srt_parses_back_with_the_srt_library(name: str) -> None:
    transcript = TRANSCRIPTS[name]()
    options = SubtitleOptions()
    cues = build_cues(transcript, options)
    mark = RLM if transcript.rtl else ""
    parsed = list(srt.parse(export(transcript, "srt", options).decode("utf-8")))
    assert len(parsed) == len(cues) > 0
    for number, (subtitle, cue) in enumerate(zip(parsed, cues, strict=True), 1):
        assert subtitle.index == number
        assert (_ms(subtitle.start), _ms(subtitle.end)) == (cue.start_ms, cue.end_ms)
        assert subtitle.content == "\n".join(mark + line for line in cue.lines)
    assert all(a.end <= b.start for a, b in itertools.pairwise(parsed))


@pytest.mark.parametrize("name", list(TRANSCRIPTS))
@pytest.mark.parametrize("style", ["voice", "prefix"])
def test_vtt_parses_back_with_webvtt_py(name: str, style: SpeakerStyle) -> None:
    transcript = TRANSCRIPTS[name]()
    options = SubtitleOptions(speaker_style=style)
    cues = build_cues(transcript, options, voice_tags=True)
    mark = RLM if transcript.rtl else ""
    parsed = webvtt.from_string(export(transcript, "vtt", options).decode("utf-8"), strict=True).captions
    assert len(parsed) == len(cues) > 0
    for caption, cue in zip(parsed, cues, strict=True):
        assert (caption.start_time.in_milliseconds(), caption.end_time.in_milliseconds()) == (cue.start_ms,
                                                                                                cue.end_ms)
        assert html.unescape(caption.text) == "\n".join(mark + line for line in cue.lines)
        voice = caption.voice
        assert (html.unescape(voice) if voice else None) == cue.voice
    named = [caption.voice for caption in parsed]
    if style == "prefix" or name == "monologue":  # a prefix, or no speakers to tell apart
        assert not any(named)
    else:
        assert all(named)


def test_markup_survives_both_readers_as_text() -> None:
    transcript = markup()
    subtitles = list(srt.parse(export(transcript, "srt").decode()))
    assert subtitles[0].content.startswith("<Ed> & co: Type <i>x</i> && y")
    assert [s.content for s in subtitles[1:]] == ["Speaker 2: 2", "00:00:01,000 --> 00:00:02,000"]
    captions = webvtt.from_string(export(transcript, "vtt").decode(), strict=True).captions
    assert html.unescape(captions[0].voice or "") == "<Ed> & co"
    assert html.unescape(captions[0].text).startswith("Type <i>x</i> && y --> z,")
    assert [html.unescape(c.text) for c in captions[1:]] == ["2", "00:00:01,000 --> 00:00:02,000"]
