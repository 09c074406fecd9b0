"""Golden tests of how realtime and batch results become the transcript model."""

from __future__ import annotations

from typing import Any

from studio.core.transcript import Transcript, changes, render
from studio.core.transcript.speakers import SpeakerRenamed
from studio.core.transcript.tokens import Token


def word(content: str, start: float, end: float, speaker: str | None = None, confidence: float = 0.95,
         **extra: Any) -> dict[str, Any]:
    alternative: dict[str, Any] = {"content": content, "confidence": confidence, "language": "en"}
    if speaker:
        alternative["speaker"] = speaker
    return {"type": "word", "start_time": start, "end_time": end, "alternatives": [alternative], **extra}


def mark(content: str, at: float, speaker: str | None = None, attaches_to: str | None = "previous",
         is_eos: bool | None = None, **extra: Any) -> dict[str, Any]:
    result = word(content, at, at, speaker, 1.0, **extra)
    result["type"] = "punctuation"
    if attaches_to is not None:
        result["attaches_to"] = attaches_to
    result["is_eos"] = content in ".?!" if is_eos is None else is_eos
    return result


def transcript_message(kind: str, results: list[dict[str, Any]], start: float, end: float,
                       **extra: Any) -> dict[str, Any]:
    return {"message": kind, "format": "2.9", "results": results,
            "metadata": {"start_time": start, "end_time": end, "transcript": ""}, **extra}


def partial(results: list[dict[str, Any]], start: float, end: float, **extra: Any) -> dict[str, Any]:
    return transcript_message("AddPartialTranscript", results, start, end, **extra)


def final(results: list[dict[str, Any]], start: float, end: float, **extra: Any) -> dict[str, Any]:
    return transcript_message("AddTranscript", results, start, end, **extra)


def texts(tokens: list[Token]) -> list[str]:
    return [t.text for t in tokens]


def test_partials_are_replaced_whole_and_finals_only_grow() -> None:
    t = Transcript()
    seen: list[object] = []
    t.changes.subscribe(seen.append)
    t.apply(partial([word("Hello", 0.1, 0.4)], 0.0, 0.5))
    t.apply(partial([word("Hello", 0.1, 0.4), word("world", 0.5, 0.8)], 0.0, 0.9))
    t.apply(partial([word("Hello", 0.1, 0.4), word("word", 0.5, 0.8), word("wide", 0.9, 1.2)], 0.0, 1.3))
    assert texts(t.track().partial) == ["Hello", "word", "wide"]  # a revision replaced the whole region
    assert t.finals() == []
    t.apply(final([word("Hello", 0.1, 0.4), word("worldwide", 0.5, 1.2), mark(".", 1.2)], 0.0, 1.3))
    # The final covered the partial: cleared; then the partial that always follows a final.
    assert t.track().partial == []
    t.apply(partial([word("How", 1.6, 1.8)], 1.3, 1.9))
    assert texts(t.finals()) == ["Hello", "worldwide", "."]
    assert texts(t.track().partial) == ["How"]
    assert render(t.finals()) == "Hello worldwide."
    kinds = [type(c).__name__ for c in seen]
    assert kinds == ["PartialReplaced", "PartialReplaced", "PartialReplaced", "FinalsAppended", "PartialReplaced",
                     "PartialReplaced"]
    appended = next(c for c in seen if isinstance(c, changes.FinalsAppended))
    assert appended.index == 0 and len(appended.tokens) == 3 and appended.end_time == 1.3


def test_a_final_keeps_the_partial_words_it_does_not_cover() -> None:
    t = Transcript()
    t.apply(partial([word("one", 0.0, 0.3), word("two", 0.4, 0.7), word("three", 0.8, 1.1)], 0.0, 1.2))
    t.apply(final([word("one", 0.0, 0.3), word("two", 0.4, 0.7)], 0.0, 0.75))
    assert texts(t.track().partial) == ["three"]


def test_empty_finals_advance_time_without_tokens() -> None:
    t = Transcript()
    seen: list[object] = []
    t.changes.subscribe(seen.append)
    t.apply(final([], 0.0, 2.0))
    t.apply(final([], 2.0, 4.5))
    assert t.finals() == [] and t.track().final_end == 4.5 and t.duration == 4.5
    assert [c.end_time for c in seen if isinstance(c, changes.FinalsAppended)] == [2.0, 4.5]


def test_punctuation_attaches_as_it_says() -> None:
    t = Transcript()
    t.apply(final([word("He", 0, 0.2), word("said", 0.3, 0.5), mark(":", 0.5), mark("“", 0.6, attaches_to="next"),
                   word("yes", 0.6, 0.8), mark("”", 0.8), mark("-", 0.9, attaches_to="both"), word("no", 1.0, 1.1),
                   mark("&", 1.2, attaches_to="none"), word("maybe", 1.3, 1.5), mark(".", 1.5, attaches_to=None)],
                  0, 1.6))
    assert render(t.finals()) == "He said: “yes”-no & maybe."  # a mark without attaches_to joins the word before


def test_entities_show_written_form_and_keep_spoken_form() -> None:
    entity = {"type": "entity", "entity_class": "money", "start_time": 8.44, "end_time": 10.17,
              "alternatives": [{"confidence": 0.99, "content": "$2.05", "language": "en", "speaker": "S1"}],
              "spoken_form": [word("two", 8.44, 8.76, "S1"), word("dollars", 8.8, 9.2, "S1"),
                              word("five", 9.3, 9.6, "S1"), word("cents", 9.7, 10.17, "S1")],
              "written_form": [word("$2.05", 8.44, 10.17, "S1")]}
    t = Transcript()
    t.apply(final([word("costs", 8.0, 8.4, "S1"), entity], 8.0, 10.2))
    cost = t.finals()[1]
    assert cost.kind == "entity" and cost.text == "$2.05" and cost.entity_class == "money"
    assert cost.spoken == ("two", "dollars", "five", "cents")
    assert render(t.finals()) == "costs $2.05"
    again = Transcript.from_json_v2(t.to_json_v2()).finals()[1]
    assert (again.text, again.spoken, again.entity_class) == ("$2.05", cost.spoken, "money")


def test_two_speakers_make_turns_with_stable_colours_and_names() -> None:
    t = Transcript()
    t.apply(final([word("Hi", 0.0, 0.3, "S1"), mark(".", 0.3, "S1"), word("Hello", 0.5, 0.9, "S2"),
                   word("there", 1.0, 1.3, "S2")], 0.0, 1.4))
    t.apply(final([mark("!", 1.3, "S2"), word("So", 1.6, 1.8, "S1"), word("we", 1.9, 2.0, "S1")], 1.4, 2.1))
    segments = t.segments()
    assert [(s.speaker, s.text) for s in segments] == [("S1", "Hi."), ("S2", "Hello there!"), ("S1", "So we")]
    assert [t.speakers.get(k).colour for k in ("S1", "S2")] == [0, 1]
    renamed: list[object] = []
    t.changes.subscribe(renamed.append)
    t.speakers.rename("S2", "Alice")
    assert renamed == [SpeakerRenamed("S2", "Alice")]
    assert t.speakers.display("S2") == "Alice" and t.speakers.display("S1") == "Speaker 1"
    assert t.speakers.display("UU") == "Unknown speaker"
    assert t.speakers.get("S2").colour == 1  # renaming keeps the colour


def test_two_channels_are_kept_apart_and_merged_in_time() -> None:
    t = Transcript()
    t.apply(final([word("hello", 0.0, 0.5)], 0.0, 0.6, channel="mic"))
    t.apply(final([word("hi", 0.2, 0.4)], 0.0, 0.6, channel="system"))
    t.apply(partial([word("how", 0.8, 1.0)], 0.6, 1.1, channel="mic"))
    t.apply(final([word("there", 0.7, 0.9)], 0.6, 1.0, channel="system"))
    assert texts(t.finals("mic")) == ["hello"] and texts(t.finals("system")) == ["hi", "there"]
    assert texts(t.track("mic").partial) == ["how"] and t.track("system").partial == []
    assert texts(t.all_finals()) == ["hello", "hi", "there"]
    segments = t.segments()
    assert [(s.channel, s.speaker, s.text) for s in segments] == [("mic", "mic", "hello"),
                                                                  ("system", "system", "hi there")]
    # Results that carry the channel themselves (the older place) land on the same track.
    t.apply(final([word("later", 2.0, 2.3, channel="mic")], 1.9, 2.4))
    assert texts(t.finals("mic")) == ["hello", "later"]


def test_translations_attach_to_the_sentences_they_translate() -> None:
    t = Transcript()
    t.apply(final([word("Hello", 0.0, 0.4, "S1"), mark(".", 0.4, "S1")], 0.0, 0.5))
    t.apply({"message": "AddPartialTranslation", "language": "es",
             "results": [{"content": "Hola", "start_time": 0.0, "end_time": 0.4}]})
    assert [s.text for s in t.partial_translations["es"]] == ["Hola"]
    t.apply({"message": "AddTranslation", "language": "es", "format": "2.9",
             "results": [{"content": "Hola.", "start_time": 0.0, "end_time": 0.4, "speaker": "S1"}]})
    t.apply(final([word("Bye", 2.0, 2.3, "S1"), mark(".", 2.3, "S1")], 2.0, 2.4))
    t.apply({"message": "AddTranslation", "language": "es",
             "results": [{"content": "Adiós.", "start_time": 2.0, "end_time": 2.3, "speaker": "S1"}]})
    assert "es" not in t.partial_translations
    first, second = t.segments()
    assert [s.text for s in t.translation_between("es", first.start, first.end)] == ["Hola."]
    assert [s.text for s in t.translation_between("es", second.start, second.end)] == ["Adiós."]


def test_segments_split_on_pause_and_end_of_utterance() -> None:
    t = Transcript()
    t.apply(final([word("one", 0.0, 0.3), word("two", 0.4, 0.6), word("three", 3.0, 3.3)], 0.0, 3.4))
    assert [s.text for s in t.segments()] == ["one two", "three"]
    u = Transcript()
    u.apply(final([word("one", 0.0, 0.3)], 0.0, 0.4))
    u.apply({"message": "EndOfUtterance", "metadata": {"start_time": 0.5, "end_time": 0.5}})
    u.apply(final([word("two", 0.7, 0.9)], 0.4, 1.0))
    assert [s.text for s in u.segments()] == ["one", "two"]


def test_edits_keep_the_words_timing() -> None:
    t = Transcript()
    t.apply(final([word("the", 0.0, 0.2, "S1"), word("quick", 0.3, 0.6, "S1"), word("brown", 0.7, 1.0, "S1"),
                   word("fix", 1.1, 1.4, "S1"), mark(".", 1.4, "S1")], 0.0, 1.5))
    seen: list[object] = []
    t.changes.subscribe(seen.append)
    segment = t.segments()[0]
    new = t.edit(segment, "The quick brown fox jumps!")
    assert render(new) == "The quick brown fox jumps!"
    by_text = {tok.text: (tok.start, tok.end) for tok in new}
    assert by_text["quick"] == (0.3, 0.6) and by_text["brown"] == (0.7, 1.0)  # untouched words keep times
    assert by_text["The"] == (0.0, 0.2)  # a changed word takes the time of the word it replaced
    fox, jumps = by_text["fox"], by_text["jumps"]
    assert 1.1 <= fox[0] < fox[1] <= jumps[0] < jumps[1] <= 1.4  # inserted words share the replaced span
    assert new[-1].is_punctuation and new[-1].is_eos
    assert all(tok.speaker == "S1" for tok in new)
    assert isinstance(seen[0], changes.TokensEdited) and (seen[0].start, seen[0].stop) == (0, 5)
    assert render(t.finals()) == "The quick brown fox jumps!"


def test_no_delimiter_and_right_to_left_from_the_language_pack() -> None:
    ja = Transcript(language="ja")
    ja.apply({"message": "RecognitionStarted",
              "language_pack_info": {"word_delimiter": "", "writing_direction": "left-to-right"}})
    ja.apply(final([word("動物", 0, 0.5), word("は", 0.5, 0.6), mark("。", 0.6)], 0, 0.7))
    assert render(ja.finals(), ja.word_delimiter) == "動物は。"
    he = Transcript(language="he")
    assert he.rtl and he.word_delimiter == " "
    zh = Transcript(language="cmn")
    assert zh.word_delimiter == ""


def test_batch_json_v2_loads_into_the_same_model() -> None:
    doc = {
        "format": "2.9", "job": {"id": "650krlru2e", "data_name": "example.wav", "duration": 15},
        "metadata": {"type": "transcription", "transcription_config": {"language": "en", "diarization": "channel"},
                     "language_pack_info": {"word_delimiter": " ", "writing_direction": "left-to-right"}},
        "results": [word("Welcome", 0.72, 1.36, "UU", channel="left"), mark(".", 1.36, "UU", channel="left"),
                    word("Thanks", 2.0, 2.4, "UU", channel="right")],
        "speakers": [{"label": "S1", "speaker_identifiers": ["<id1>"]}],
        "translations": {"es": [{"start_time": 0.7, "end_time": 1.4, "content": "Bienvenidos.", "channel": "left"}]},
        "summary": {"content": "A welcome."}, "chapters": [{"title": "Intro", "start_time": 0, "end_time": 3}],
        "sentiment_analysis": {"segments": []}, "topics": {"segments": []},
    }
    t = Transcript.from_json_v2(doc)
    assert set(t.channels) == {"left", "right"}
    assert render(t.finals("left")) == "Welcome."
    assert [s.text for s in t.segments()][-1] == "Thanks"
    assert t.translations["es"][0].text == "Bienvenidos."
    assert t.extras["summary"] == {"content": "A welcome."} and t.extras["chapters"][0]["title"] == "Intro"
    t.speakers.rename("left", "Interviewer")
    again = Transcript.from_json_v2(t.to_json_v2())
    assert again.speakers.display("left") == "Interviewer"
    assert again.extras["summary"] == doc["summary"] and again.extras["job"]["id"] == "650krlru2e"
    assert [tok.text for tok in again.all_finals()] == [tok.text for tok in t.all_finals()]


def test_live_session_and_batch_job_end_as_the_same_document() -> None:
    live = Transcript()
    results = [word("Same", 0.0, 0.3, "S1"), word("text", 0.4, 0.7, "S1"), mark(".", 0.7, "S1")]
    live.apply(partial(results[:1], 0.0, 0.4))
    live.apply(final(results, 0.0, 0.8))
    batch = Transcript.from_json_v2({"results": results, "metadata": {"transcription_config": {"language": "en"}}})
    assert live.all_finals() == batch.all_finals()
    assert [s.text for s in live.segments()] == [s.text for s in batch.segments()]


def channel_and_speaker_session() -> Transcript:
    """Microphone + system audio with ``channel_and_speaker`` diarization: the Me channel's words say S1 (and,
    once, S2), and so do the first and second person inside Them; a Them word whose speaker is unknown."""
    t = Transcript()
    t.apply(final([word("Hello", 0.0, 0.4, "S1"), mark(".", 0.4, "S1")], 0.0, 0.5, channel="Me"))
    t.apply(final([word("Hi", 1.0, 1.3, "S1"), mark(".", 1.3, "S1")], 1.0, 1.4, channel="Them"))
    t.apply(final([word("Hey", 2.0, 2.3, "S2"), mark(".", 2.3, "S2")], 2.0, 2.4, channel="Them"))
    t.apply(final([word("Bye", 3.0, 3.3, "S2"), mark(".", 3.3, "S2")], 3.0, 3.4, channel="Me"))
    t.apply(final([word("Okay", 4.0, 4.3, "UU"), mark(".", 4.3, "UU")], 4.0, 4.4, channel="Them"))
    return t


def test_speakers_of_different_channels_are_different_people() -> None:
    t = channel_and_speaker_session()
    # Me is one person whatever diarization says; Them's S1 is not Me's S1; an unknown speaker is the channel.
    assert [s.key for s in t.speakers] == ["Me", "Them/S1", "Them/S2", "Them"]
    assert [s.colour for s in t.speakers] == [0, 1, 2, 3]
    assert [s.display for s in t.speakers] == ["Me", "Them 1", "Them 2", "Them"]
    segments = t.segments()
    assert [(s.speaker, s.text) for s in segments] == [("Me", "Hello."), ("Them/S1", "Hi."), ("Them/S2", "Hey."),
                                                       ("Me", "Bye."), ("Them", "Okay.")]
    assert {s.speaker for s in segments} <= {s.key for s in t.speakers}  # one rule decides: nothing unregistered
    t.speakers.rename("Them/S1", "Alice")
    assert [s.display for s in t.speakers] == ["Me", "Alice", "Them 2", "Them"]  # Me's "S1" is not renamed


def test_channel_scoped_speakers_reach_every_export_and_round_trip() -> None:
    from studio.core.exporters import export

    t = channel_and_speaker_session()
    t.speakers.rename("Them/S1", "Alice")
    txt = export(t, "txt").decode()
    assert txt.split("\n\n") == ["Me: Hello.", "Alice: Hi.", "Them 2: Hey.", "Me: Bye.", "Them: Okay.\n"]
    srt = export(t, "srt").decode()
    assert "Alice: Hi." in srt and "Them 2: Hey." in srt and "Me: Bye." in srt
    vtt = export(t, "vtt").decode()
    assert "<v Alice>Hi." in vtt and "<v Me>Hello." in vtt
    doc = t.to_json_v2()
    assert doc["studio"]["speaker_names"] == {"Them/S1": "Alice"}
    assert {r["alternatives"][0]["speaker"] for r in doc["results"]} == {"S1", "S2", "UU"}  # results as sent
    again = Transcript.from_json_v2(doc)
    assert [(s.key, s.colour, s.display) for s in again.speakers] == [(s.key, s.colour, s.display)
                                                                      for s in t.speakers]


def test_a_file_from_before_channel_scoped_speakers_keeps_its_names() -> None:
    doc = channel_and_speaker_session().to_json_v2()
    doc["studio"] = {"speaker_names": {"S1": "Alice", "S2": "Bob", "Them": "Guests"}}  # as the old model keyed them
    t = Transcript.from_json_v2(doc)
    assert [(s.key, s.display) for s in t.speakers] == [("Me", "Me"), ("Them/S1", "Alice"), ("Them/S2", "Bob"),
                                                        ("Them", "Guests")]
    assert "S1" not in t.speakers and "S2" not in t.speakers  # no speaker without words
    assert t.speakers.display("S1") == "Speaker 1" and "S1" not in t.speakers  # a query registers nobody
    assert t.speakers.display("Them/S3") == "Them 3" and len(t.speakers) == 4
    assert t.to_json_v2()["studio"]["speaker_names"] == {"Them/S1": "Alice", "Them/S2": "Bob", "Them": "Guests"}


def test_default_names_of_speakers_inside_numbered_channels() -> None:
    t = Transcript.from_json_v2({"results": [word("one", 0.0, 0.3, "S1", channel="channel_1"),
                                             word("two", 0.5, 0.8, "S2", channel="channel_2"),
                                             word("three", 1.0, 1.3, "Alice", channel="channel_2")]})
    assert [(s.key, s.display) for s in t.speakers] == [("channel_1/S1", "Speaker 1 (channel_1)"),
                                                        ("channel_2/S2", "Speaker 2 (channel_2)"),
                                                        ("channel_2/Alice", "Alice")]
    one = Transcript()
    one.apply(final([word("solo", 0.0, 0.3, "S3"), word("who", 0.4, 0.6, "UU")], 0.0, 0.7))
    assert [(s.key, s.display) for s in one.speakers] == [("S3", "Speaker 3"), ("UU", "Unknown speaker")]


def test_a_channels_speaker_is_found_without_registering_one() -> None:
    from studio.core.transcript.speakers import SpeakerRegistry

    speakers = SpeakerRegistry()
    assert speakers.find("Them") is None and len(speakers) == 0  # asking takes no colour, adds no speaker
    speakers.get("Me")
    first = speakers.get("Them/S1")
    speakers.get("Them/S2")
    assert speakers.find("Them") is first and "Them" not in speakers  # channel_and_speaker: its first speaker
    assert speakers.find("Me") is speakers.get("Me")
    assert len(speakers) == 3
