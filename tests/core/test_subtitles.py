"""Subtitle cue rules on realistic traffic: a long monologue, fast two-speaker dialogue, Japanese and Chinese
(no word delimiter), Hebrew and Arabic (right to left), two overlapping channels.

The builders here (``monologue``, ``dialogue``, ``spoken``…) feed ``Transcript.apply`` realtime messages,
partials included, and are shared by the exporter and parser tests.
"""

from __future__ import annotations

import gc
import itertools
import random
from collections.abc import Iterable, Sequence
from typing import Any

import pytest

from studio.core.exporters import SubtitleOptions, export
from studio.core.exporters.subtitles import NO_LINE_START, RLM, Cue, build_cues, text_width
from studio.core.transcript import Transcript, render, speaker_key
from studio.local.scripted import synthetic_script

Payload = dict[str, Any]
MARKS = ".,?!;:。、？！،؟"
SENTENCE_MARKS = ".?!。？！؟"

# -- builders ---------------------------------------------------------------------------------------------------


def result(text: str, start: float, end: float, speaker: str | None = None, *, kind: str = "word",
           eos: bool = False, attaches_to: str = "previous") -> Payload:
    alternative: Payload = {"content": text, "confidence": 0.95}
    if speaker is not None:
        alternative["speaker"] = speaker
    out: Payload = {"type": kind, "start_time": round(start, 3), "end_time": round(end, 3),
                    "alternatives": [alternative]}
    if kind == "punctuation":
        out.update(attaches_to=attaches_to, is_eos=eos)
    return out


def utterance(text: str, start: float, speaker: str | None = None, *, word_seconds: float | None = None,
              gap: float = 0.05, delimiter: str = " ", rng: random.Random | None = None) -> tuple[list[Payload], float]:
    """The results of ``text`` spoken from ``start`` (marks split off and attached to the word before), and
    when it ends. Without ``delimiter`` (Japanese, Chinese) ``text`` is given with spaces between words."""
    results: list[Payload] = []
    clock = last = start
    for raw in text.split():
        word, mark = raw, ""
        while word and word[-1] in MARKS:
            word, mark = word[:-1], word[-1] + mark
        if word:
            seconds = word_seconds or 0.12 + 0.045 * len(word) * (2 if not delimiter else 1)
            if rng is not None:
                seconds *= rng.uniform(0.7, 1.3)
            results.append(result(word, clock, clock + seconds, speaker))
            clock += seconds
        for ch in mark:
            results.append(result(ch, clock, clock, speaker, kind="punctuation", eos=ch in SENTENCE_MARKS))
        last = clock
        clock += gap if rng is None else rng.uniform(0.0, 2 * gap)
    return results, last


def spoken(utterances: Iterable[tuple[list[Payload], str | None]], transcript: Transcript | None = None,
           *, pending: Sequence[Payload] = ()) -> Transcript:
    """A transcript fed the way a realtime session is: for each final, a partial of its first half, then
    the final and an empty partial; ``pending`` stays as the last partial (never exported)."""
    transcript = transcript or Transcript()
    for results, channel in utterances:
        extra = {"channel": channel} if channel else {}
        end = max((r["end_time"] for r in results), default=0.0)
        transcript.apply({"message": "AddPartialTranscript", "results": results[: len(results) // 2],
                          "metadata": {"start_time": 0.0, "end_time": end}, **extra})
        transcript.apply({"message": "AddTranscript", "results": results,
                          "metadata": {"start_time": 0.0, "end_time": end}, **extra})
        transcript.apply({"message": "AddPartialTranscript", "results": [],
                          "metadata": {"start_time": end, "end_time": end}, **extra})
    if pending:
        transcript.apply({"message": "AddPartialTranscript", "results": list(pending),
                          "metadata": {"start_time": 0.0, "end_time": pending[-1]["end_time"]}})
    return transcript


VOCABULARY = (
    "the", "plan", "for", "next", "quarter", "is", "to", "move", "every", "customer", "onto", "new", "platform",
    "before", "end", "of", "September", "without", "any", "downtime", "we", "will", "need", "infrastructure",
    "team", "support", "documentation", "writers", "working", "together", "on", "this", "from", "day", "one",
    "budget", "review", "schedule", "meeting", "afterwards", "people", "really", "think", "probably", "important",
    "numbers", "customers", "engineering", "release", "candidate", "tomorrow", "morning",
)
LONG_WORDS = ("internationalisation", "https://example.com/a/very/long/path/that/no/line/can/hold/at/all")


def monologue(minutes: float = 10.0, seed: int = 7) -> Transcript:
    """One speaker (no diarization) talking for ``minutes``: long sentences with clauses, short replies,
    pauses from a breath to a few seconds, now and then a long word, one word longer than any line."""
    rng = random.Random(seed)
    clock = 0.4
    utterances = []
    count = 0
    while clock < minutes * 60:
        count += 1
        if rng.random() < 0.15:
            words = [rng.choice(("Yes.", "Right.", "Okay.", "No."))]
        else:
            words = [rng.choice(VOCABULARY) for _ in range(rng.randint(4, 40))]
            for position in range(5, len(words) - 2, rng.randint(5, 9)):
                words[position] += ","
            if rng.random() < 0.2:
                words[rng.randrange(len(words))] = LONG_WORDS[count % 2]
            words[0] = words[0].capitalize()
            words[-1] += rng.choice(".?!")
        results, end = utterance(" ".join(words), clock, rng=rng)
        utterances.append((results, None))
        clock = end + rng.choice((0.15, 0.4, 0.7, 1.2, 2.5))
    return spoken(utterances, pending=[result("unfinished", clock, clock + 0.4)])


def dialogue(minutes: float = 3.0, seed: int = 11) -> Transcript:
    """Two diarized speakers cutting in fast: turns of one to eight quick words, gaps of 0 to 150 ms."""
    rng = random.Random(seed)
    clock = 0.2
    utterances = []
    turn = 0
    while clock < minutes * 60:
        turn += 1
        speaker = f"S{turn % 2 + 1}"
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 8))]
        words[-1] += rng.choice(".?!,")
        results, end = utterance(" ".join(words), clock, speaker, word_seconds=rng.uniform(0.1, 0.22),
                                 gap=0.02, rng=rng)
        utterances.append((results, None))
        clock = end + rng.choice((0.0, 0.03, 0.08, 0.15))
    return spoken(utterances)


JAPANESE = ("今日は とても 良い 天気 ですね 。",
            "明日の 会議では 新しい プロジェクトの 計画について 詳しく 説明します 。",
            "国際化対応プロジェクトマネージャー兼技術責任者 です 。", "はい 、 わかりました 。")
CHINESE = ("我们 今天 讨论 一下 下个 季度 的 计划 。", "所有 客户 都 需要 在 九月 底 之前 迁移 到 新 平台 上 。",
           "好 的 。")
HEBREW = ("שלום לכולם, ברוכים הבאים לפגישה השבועית שלנו.", "היום נדבר על התוכנית לרבעון הבא ועל הלקוחות החדשים.",
          "כן.", "האם יש שאלות לפני שנתחיל?")
ARABIC = ("مرحبا بكم جميعا في اجتماعنا الأسبوعي.", "سنتحدث اليوم عن خطة الربع القادم وعن العملاء الجدد.",
          "هل هناك أي أسئلة؟")


def language_transcript(language: str, sentences: Sequence[str], speakers: Sequence[str] = ("S1", "S2"),
                        repeat: int = 3) -> Transcript:
    """``sentences`` said in turn by ``speakers`` in a session whose language pack says how to join words."""
    transcript = Transcript()
    no_spaces = language in ("ja", "cmn")
    transcript.apply({"message": "RecognitionStarted", "id": "x", "language_pack_info": {
        "word_delimiter": "" if no_spaces else " ",
        "writing_direction": "right-to-left" if language in ("he", "ar") else "left-to-right"}})
    clock = 0.3
    utterances = []
    for index, sentence in enumerate(itertools.islice(itertools.cycle(sentences), repeat * len(sentences))):
        results, end = utterance(sentence, clock, speakers[index % len(speakers)],
                                 delimiter="" if no_spaces else " ")
        utterances.append((results, None))
        clock = end + 0.3
    return spoken(utterances, transcript)


def channels() -> Transcript:
    """Two channels (a microphone and the system audio) talking over each other now and then."""
    rng = random.Random(5)
    utterances = []
    for channel, offset in (("mic", 0.0), ("system", 1.7)):
        clock = 0.5 + offset
        while clock < 120:
            words = [rng.choice(VOCABULARY) for _ in range(rng.randint(2, 12))]
            words[-1] += "."
            results, end = utterance(" ".join(words), clock, rng=rng)
            utterances.append((results, channel))
            clock = end + rng.uniform(0.5, 4.0)
    utterances.sort(key=lambda u: u[0][0]["start_time"])
    return spoken(utterances)


# -- the rules -------------------------------------------------------------------------------------------------


def joined_text(cue: Cue, delimiter: str) -> str:
    """The cue's lines joined back into one text, without the speaker prefix."""
    lines = list(cue.lines)
    if cue.prefixed:
        lines[0] = lines[0].split(": ", 1)[1]
    return delimiter.join(lines)


def check_rules(transcript: Transcript, cues: Sequence[Cue], options: SubtitleOptions) -> None:
    """Every rule that must hold for every cue (the exception: a single word wider than a line)."""
    delimiter = transcript.word_delimiter
    gap, longest = round(options.min_gap * 1000), round(options.max_duration * 1000)
    shortest = round(options.min_duration * 1000)
    check_every_final_once(transcript, cues)
    for index, cue in enumerate(cues):
        following = cues[index + 1] if index + 1 < len(cues) else None
        # text: nothing lost, no word cut (joining the lines back gives what render() gives)
        assert joined_text(cue, delimiter) == render(cue.tokens, delimiter), cue
        assert all(line.strip() == line and line for line in cue.lines), cue
        # size
        assert 1 <= len(cue.lines) <= options.max_lines, cue
        for line in cue.lines:
            if text_width(line, options.wide_width) > options.max_chars_per_line:
                body = line.split(": ", 1)[1] if cue.prefixed and line == cue.lines[0] else line
                assert delimiter and delimiter not in body, f"only a single unbreakable word may overflow: {cue}"
        # one speaker, one channel, no long pause inside
        assert {speaker_key(t) for t in cue.tokens if t.kind != "punctuation"} <= {cue.speaker}, cue
        assert {t.channel for t in cue.tokens} == {cue.channel}, cue
        assert all(b.start - a.end < options.pause + 0.001 for a, b in itertools.pairwise(cue.tokens)), cue
        # times
        assert cue.start_ms >= round(cue.tokens[0].start * 1000), cue
        assert 0 < cue.end_ms - cue.start_ms <= longest, cue
        limit = cue.start_ms + longest
        if following is not None:
            assert following.start_ms - cue.end_ms >= gap, (cue, following)
            limit = min(limit, following.start_ms - gap)
        # reading speed and minimum duration: met, or the cue is shown as long as the next one allows
        shown = sum(text_width(line, options.wide_width) for line in cue.lines)
        duration = cue.end_ms - cue.start_ms
        assert shown * 1000 / duration <= options.max_cps + 0.01 or cue.end_ms >= limit, cue
        assert duration >= shortest or cue.end_ms >= limit, cue
        span = max(t.end for t in cue.tokens) - min(t.start for t in cue.tokens)
        assert len(cue.tokens) == 1 or span <= options.max_duration + 0.001, cue


def check_every_final_once(transcript: Transcript, cues: Sequence[Cue]) -> None:
    shown = [t for cue in cues for t in cue.tokens]
    for channel, track in transcript.tracks.items():
        mine = [t for t in shown if t.channel == channel]
        if transcript.word_delimiter:
            assert mine == track.finals
        else:  # CJK words may be shown cut into their characters
            assert "".join(t.text for t in mine) == "".join(t.text for t in track.finals)


OPTION_SETS = [
    SubtitleOptions(),
    SubtitleOptions(min_duration=0.0, min_gap=0.0, max_cps=40.0, pause=3.0),
    SubtitleOptions(max_chars_per_line=32, max_lines=1, max_duration=4.0, max_cps=12.0, min_gap=0.12),
    SubtitleOptions(max_chars_per_line=37, max_lines=3, max_duration=6.0, min_duration=1.5, max_cps=20.0,
                    speaker_style="prefix", pause=0.5),
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=["broadcast", "no-minimums", "one-line", "three-lines"])
def test_a_long_monologue_keeps_every_limit(options: SubtitleOptions) -> None:
    transcript = monologue()
    cues = build_cues(transcript, options)
    check_rules(transcript, cues, options)
    assert len(cues) > 100
    assert "unfinished" not in {t.text for cue in cues for t in cue.tokens}, "partials are never exported"
    assert not any(cue.prefixed or cue.voice for cue in cues), "no speakers to tell apart: no labels"


@pytest.mark.parametrize("options", OPTION_SETS, ids=["broadcast", "no-minimums", "one-line", "three-lines"])
def test_fast_dialogue_keeps_every_limit(options: SubtitleOptions) -> None:
    transcript = dialogue()
    cues = build_cues(transcript, options)
    check_rules(transcript, cues, options)
    # the fast speech leaves many cues short of time: they are shown right up to the next one
    squeezed = [a for a, b in itertools.pairwise(cues) if b.start_ms - a.end_ms == round(options.min_gap * 1000)]
    assert len(squeezed) > len(cues) // 4


def test_a_word_wider_than_a_line_gets_a_line_of_its_own() -> None:
    cues = build_cues(monologue())
    url = LONG_WORDS[1]
    holding = [cue for cue in cues if any(url in line for line in cue.lines)]
    assert holding
    for cue in holding:
        line = next(line for line in cue.lines if url in line)
        assert line.rstrip(".?!,") == url, "the word alone on its line, with its own mark"
        assert text_width(line) > 42


def test_cues_end_at_sentences_then_clauses() -> None:
    first, end = utterance("We moved every customer onto the new platform last week without any downtime.", 0.0)
    second, end = utterance("The support team and the documentation writers worked on it together.", end + 0.1)
    clause, _ = utterance("Before we start the review of the budget for the next quarter, please look at the "
                          "numbers that engineering sent this morning.", end + 0.1)
    cues = build_cues(spoken([(first, None), (second, None), (clause, None)]))
    texts = [" ".join(cue.lines) for cue in cues]
    assert texts[0] == "We moved every customer onto the new platform last week without any downtime."
    assert texts[1] == "The support team and the documentation writers worked on it together."
    assert texts[2].endswith("for the next quarter,"), texts
    assert texts[3].startswith("please look at the numbers"), texts


def test_short_replies_share_a_cue_rather_than_flash() -> None:
    yes, end = utterance("Yes.", 0.0, word_seconds=0.2)
    right, end = utterance("Right.", end + 0.1, word_seconds=0.2)
    more, _ = utterance("Then we can move on to the budget.", end + 0.1)
    cues = build_cues(spoken([(yes, None), (right, None), (more, None)]))
    assert cues[0].lines[0].startswith("Yes. Right.")
    check_rules(spoken([(yes, None), (right, None), (more, None)]), cues, SubtitleOptions())


def test_a_pause_always_ends_a_cue() -> None:
    before, end = utterance("So the first point", 0.0)
    after, _ = utterance("is the budget.", end + 1.0)
    options = SubtitleOptions(pause=1.0)
    cues = build_cues(spoken([(before, None), (after, None)]), options)
    assert [cue.text for cue in cues] == ["So the first point", "is the budget."]
    joined = build_cues(spoken([(before, None), (after, None)]), SubtitleOptions(pause=1.5))
    assert [cue.text for cue in joined] == ["So the first point is the budget."]


def test_a_change_of_speaker_starts_a_cue_and_the_name_only_at_a_turn() -> None:
    transcript = Transcript()
    for entry in itertools.takewhile(lambda e: e.audio_ts < 60, synthetic_script(diarization=True)):
        transcript.apply(entry.payload)
    transcript.speakers.rename("S1", "Alice")
    options = SubtitleOptions(speaker_style="prefix", max_chars_per_line=30)
    cues = build_cues(transcript, options)
    check_rules(transcript, cues, options)
    for previous, cue in itertools.pairwise(cues):
        assert cue.prefixed == (cue.speaker != previous.speaker), (previous, cue)
    assert cues[0].prefixed
    names = {cue.lines[0].split(": ")[0] for cue in cues if cue.prefixed}
    assert names == {"Alice", "Speaker 2"}
    voiced = build_cues(transcript, SubtitleOptions(), voice_tags=True)
    assert {cue.voice for cue in voiced} == {"Alice", "Speaker 2"} and not any(c.prefixed for c in voiced)
    assert all(cue.voice is None for cue in build_cues(transcript, SubtitleOptions(speaker_style="none"),
                                                        voice_tags=True))


def test_marks_attached_either_way_stay_with_their_words() -> None:
    words = []
    clock = 0.0
    for text, kind, attaches in [("She", "word", ""), ("said", "word", ""), ("“", "punctuation", "next"),
                                 ("well", "word", ""), ("-", "punctuation", "both"), ("known", "word", ""),
                                 ("facts", "word", ""), ("”", "punctuation", "previous"), ("are", "word", ""),
                                 ("(", "punctuation", "next"), ("often", "word", ""), (")", "punctuation", "previous"),
                                 ("wrong", "word", ""), (".", "punctuation", "previous")]:
        if kind == "word":
            words.append(result(text, clock, clock + 0.3))
            clock += 0.35
        else:
            words.append(result(text, clock, clock, kind=kind, attaches_to=attaches, eos=text == "."))
    transcript = spoken([(words, None)])
    options = SubtitleOptions(max_chars_per_line=12, max_lines=1)
    cues = build_cues(transcript, options)
    check_rules(transcript, cues, options)
    lines = [cue.text for cue in cues]
    assert " ".join(lines) == "She said “well-known facts” are (often) wrong."
    assert lines == ["She said", "“well-known", "facts”", "are (often)", "wrong."]
    assert not any(line.startswith(("”", ")", "-", ".")) or line.endswith(("“", "(", "-")) for line in lines)


def test_a_short_cue_is_shown_long_enough_to_read_when_there_is_room() -> None:
    results, _ = utterance("Absolutely, internationalisation first.", 0.0, word_seconds=0.25)
    later, _ = utterance("Next.", 10.0)
    cues = build_cues(spoken([(results, None), (later, None)]))
    first = cues[0]
    needed = text_width(first.text.replace("\n", "")) / 17.0
    assert first.end - first.start >= needed - 0.001
    assert first.end - first.start > 0.8 + 0.1, "longer than the words themselves"
    one_word = cues[1]
    assert one_word.end - one_word.start == pytest.approx(1.0), "the minimum duration"


def test_cues_keep_the_minimum_gap_when_speech_runs_on() -> None:
    a, end = utterance("One two three four five six seven eight nine ten eleven twelve thirteen.", 0.0,
                       gap=0.0, word_seconds=0.6)
    b, _ = utterance("Fourteen fifteen.", end, gap=0.0)
    cues = build_cues(spoken([(a, None), (b, None)]), SubtitleOptions(min_gap=0.12))
    assert len(cues) >= 3
    for previous, cue in itertools.pairwise(cues):
        assert cue.start_ms - previous.end_ms >= 120


@pytest.mark.parametrize(("language", "sentences"), [("ja", JAPANESE), ("cmn", CHINESE)])
def test_cjk_text_is_measured_in_columns_and_never_gets_spaces(language: str, sentences: Sequence[str]) -> None:
    transcript = language_transcript(language, sentences)
    assert transcript.word_delimiter == ""
    for options in (SubtitleOptions(), SubtitleOptions(max_chars_per_line=16, wide_width=1, max_lines=1)):
        cues = build_cues(transcript, options)
        check_rules(transcript, cues, options)
        for cue in cues:
            body = joined_text(cue, "")
            assert " " not in body
            assert not any(line.startswith(tuple(NO_LINE_START)) for line in cue.lines), cue.lines
            assert all(text_width(line, options.wide_width) <= options.max_chars_per_line for line in cue.lines
                       if not cue.prefixed or line != cue.lines[0])
    # with 16 characters a line, only the 23-character word is cut, between its characters, never before a
    # character that may not start a line (kinsoku)
    narrow = build_cues(transcript, SubtitleOptions(max_chars_per_line=16, wide_width=1, max_lines=1))
    shown = [t.text for cue in narrow for t in cue.tokens]
    longest = "国際化対応プロジェクトマネージャー兼技術責任者"
    for final in transcript.all_finals():
        assert (final.text in shown) != (final.text == longest), final.text
    assert not any(line.startswith(tuple(NO_LINE_START)) for cue in narrow for line in cue.lines)


def test_cjk_full_width_characters_count_double_by_default() -> None:
    transcript = language_transcript("ja", JAPANESE, repeat=1)
    widths = [text_width(line) for cue in build_cues(transcript) for line in cue.lines]
    assert max(widths) <= 42
    assert text_width("今日は") == 6 and text_width("今日は", 1) == 3
    assert text_width("שָׁלוֹם") == 4, "niqqud take no room"
    assert text_width(RLM + "abc") == 3


@pytest.mark.parametrize(("language", "sentences"), [("he", HEBREW), ("ar", ARABIC)])
def test_right_to_left_lines_keep_logical_order_and_are_marked(language: str, sentences: Sequence[str]) -> None:
    transcript = language_transcript(language, sentences)
    assert transcript.rtl
    transcript.speakers.rename("S1", "Dana")  # a left-to-right name in a right-to-left cue
    options = SubtitleOptions(speaker_style="prefix")
    cues = build_cues(transcript, options)
    check_rules(transcript, cues, options)
    assert cues[0].lines[0].startswith("Dana: " + sentences[0].split()[0])
    for fmt in ("srt", "vtt"):
        text = export(transcript, fmt, options).decode()
        cue_lines = [line for line in text.splitlines() if line and "-->" not in line and not line.isdigit()
                     and line != "WEBVTT"]
        assert len(cue_lines) >= len(cues)
        assert all(line.startswith(RLM) for line in cue_lines), cue_lines
    plain = export(transcript, "srt", SubtitleOptions(rtl_marks=False)).decode()
    assert RLM not in plain
    assert sentences[1].split()[0] in plain


def test_overlapping_channels_become_one_track_of_cues() -> None:
    transcript = channels()
    assert len(transcript.tracks) == 2
    options = SubtitleOptions(speaker_style="prefix")
    cues = build_cues(transcript, options)
    check_rules(transcript, cues, options)
    assert {cue.channel for cue in cues} == {"mic", "system"}
    prefixed = [cue.lines[0].split(": ")[0] for cue in cues if cue.prefixed]
    assert set(prefixed) == {"mic", "system"}


def test_an_end_of_utterance_ends_a_cue_like_a_sentence() -> None:
    transcript = Transcript()
    first, end = utterance("we should look at the numbers", 0.0)
    second, _ = utterance("before the meeting", end + 0.4)
    transcript.apply({"message": "AddTranscript", "results": first, "metadata": {"start_time": 0, "end_time": end}})
    transcript.apply({"message": "EndOfUtterance", "metadata": {"start_time": end + 0.3, "end_time": end + 0.3}})
    transcript.apply({"message": "AddTranscript", "results": second, "metadata": {"start_time": end,
                                                                                  "end_time": end + 2}})
    cues = build_cues(transcript, SubtitleOptions(max_chars_per_line=30))
    assert [" ".join(cue.lines) for cue in cues] == ["we should look at the numbers", "before the meeting"]


def test_nothing_to_show_gives_no_cues() -> None:
    transcript = spoken([], pending=[result("partial", 0.0, 0.5)])
    assert build_cues(transcript) == []
    assert export(transcript, "srt") == b""
    assert export(transcript, "vtt") == b"WEBVTT\n"


@pytest.mark.parametrize("bad", [{"max_chars_per_line": 0}, {"max_lines": 0}, {"max_duration": 0},
                                 {"max_cps": 0}, {"min_gap": -0.1}, {"min_duration": 8.0}, {"pause": 0},
                                 {"speaker_style": "shout"}, {"wide_width": 0}])
def test_impossible_options_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must|unknown"):
        SubtitleOptions(**bad)


def test_the_cycle_collector_is_paused_only_while_cues_are_built() -> None:
    transcript = dialogue(minutes=0.5)
    assert gc.isenabled()
    assert build_cues(transcript) and gc.isenabled()
    gc.disable()
    try:
        assert build_cues(transcript) and not gc.isenabled(), "left as the caller had it"
    finally:
        gc.enable()
