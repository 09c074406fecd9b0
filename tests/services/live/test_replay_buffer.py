"""The reconnect's parts on their own: the replay buffer (kept until settled, rewound in capture order,
bounded), the time shift and de-duplication of a new connection's messages, and which errors are retried."""

from __future__ import annotations

from typing import Any

import pytest

from studio.api import messages as m
from studio.api.errors import (
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    ProtocolError,
    close_code_error,
    realtime_error,
)
from studio.services.live.reconnect import (
    HeardWord,
    ReplayBuffer,
    Timeline,
    drop_settled,
    retryable,
    shift_times,
)

FRAME = b"\x00\x00" * 320


def test_frames_are_kept_until_their_words_are_final_and_rewound_in_capture_order() -> None:
    buffer = ReplayBuffer(("Me", "Them"), 16000, context=0.0)
    for index in range(5):
        for label in ("Me", "Them"):
            buffer.append(label, FRAME, index * 320)
    sent = [buffer.pop() for _ in range(8)]
    assert [(f.label, f.sample) for f in sent if f][:2] == [("Me", 0), ("Them", 0)]
    buffer.settle("Me", 640)  # Me's words are final up to frame 2
    assert buffer.resend_seconds() == pytest.approx(0.08)  # Them: 4 frames sent and not settled
    offsets = buffer.rewind()
    assert offsets == {"Me": 640, "Them": 0}
    order = []
    while (frame := buffer.pop()) is not None:
        order.append((frame.label, frame.sample))
    assert order == [("Them", 0), ("Them", 320), ("Me", 640), ("Them", 640), ("Me", 960), ("Them", 960),
                     ("Me", 1280), ("Them", 1280)]


def test_a_new_connection_also_hears_the_context_before_the_last_final_again() -> None:
    buffer = ReplayBuffer(("Me",), 16000, context=0.04)  # two frames of context
    for index in range(6):
        buffer.append("Me", FRAME, index * 320)
    for _ in range(6):
        buffer.pop()
    buffer.settle("Me", 4 * 320)  # final up to frame 4: frames 0 and 1 go, 2 and 3 stay as context
    assert buffer.unsettled_seconds() == pytest.approx(0.04)  # what is not final: frames 4 and 5
    assert buffer.resend_seconds() == pytest.approx(0.08)  # what a new connection is sent again
    assert buffer.rewind() == {"Me": 2 * 320}
    order = []
    while (frame := buffer.pop()) is not None:
        order.append(frame.sample // 320)
    assert order == [2, 3, 4, 5]
    assert buffer.rewind() == {"Me": 2 * 320}  # still kept for another drop


def test_the_bound_drops_sent_frames_first_then_counts_unsent_ones() -> None:
    buffer = ReplayBuffer(("Me",), 16000, seconds=0.1, context=0.0)  # 5 frames
    for index in range(5):
        buffer.append("Me", FRAME, index * 320)
    for _ in range(2):
        buffer.pop()
    assert buffer.append("Me", FRAME, 5 * 320)  # a sent frame makes room
    assert buffer.dropped_seconds == 0 and buffer.trimmed_seconds == pytest.approx(0.02)
    buffer.pop()
    assert buffer.append("Me", FRAME, 6 * 320) and buffer.append("Me", FRAME, 7 * 320)  # the sent ones go
    assert not buffer.append("Me", FRAME, 8 * 320)  # nothing sent left to drop: an unsent frame goes
    assert buffer.dropped_seconds == pytest.approx(0.02)


def transcript(kind: str, words: list[tuple[str, float, float]], channel: str | None = None) -> Any:
    raw: dict[str, Any] = {
        "message": kind, "results": [{"type": "word", "start_time": s, "end_time": e,
                                      "alternatives": [{"content": w, "confidence": 1.0}]} for w, s, e in words],
        "metadata": {"start_time": words[0][1] if words else 0.0, "end_time": words[-1][2] if words else 0.0,
                     "transcript": " ".join(w for w, _s, _e in words)}}
    if channel:
        raw["channel"] = channel
    return m.parse_server_message(raw)


def test_a_new_connection_is_shifted_to_where_it_started_and_words_already_final_are_dropped() -> None:
    timeline = Timeline(("Me", "Them"), 16000)
    timeline.set_channels(("Me", "Them"))
    timeline.adjust(transcript("AddTranscript", [("hello", 1.0, 1.4)], "Me"))
    timeline.adjust(transcript("AddPartialTranscript", [("there", 1.6, 1.9)], "Me"))
    assert timeline.final_end["Me"] == pytest.approx(1.4)
    assert timeline.keep_from("Me") == round(1.4 * 16000)
    timeline.rewound({"Me": round(1.38 * 16000), "Them": 0})  # frames start a little before the final's end
    message, label = timeline.adjust(transcript("AddTranscript", [("lo", 0.0, 0.02), ("there", 0.22, 0.52)], "Me"))
    assert label == "Me"
    assert [(r.content, r.start_time, r.end_time) for r in message.results] == [("there", 1.6, 1.9)]
    assert message.metadata.transcript.strip() == "there"
    marker = m.parse_server_message({"message": "EndOfUtterance", "channel": "Me",
                                     "metadata": {"start_time": 0.5, "end_time": 0.5}})
    shifted, _ = timeline.adjust(marker)
    assert shifted.end_time == pytest.approx(1.88)


def punctuation(mark: str, at: float) -> dict[str, Any]:
    return {"type": "punctuation", "start_time": at, "end_time": at, "attaches_to": "previous", "is_eos": True,
            "alternatives": [{"content": mark, "confidence": 1.0}]}


def word(content: str, start: float, end: float) -> dict[str, Any]:
    return {"type": "word", "start_time": start, "end_time": end,
            "alternatives": [{"content": content, "confidence": 1.0}]}


def contents(raw: dict[str, Any]) -> list[tuple[str, float]]:
    return [(r["alternatives"][0]["content"], r["start_time"]) for r in raw["results"]]


def test_what_a_new_connection_hears_again_is_dropped_by_time_and_a_word_across_the_seam_once() -> None:
    tail = (HeardWord(9.0, 9.5, "for"), HeardWord(9.78, 11.18, "tomorrow"))
    raw: dict[str, Any] = {"message": "AddTranscript", "metadata": {"start_time": 9.2, "end_time": 13.0},
                           "results": [word("for", 9.2, 9.5), punctuation(",", 9.5),  # ends in final time
                                       word("tomorrow", 10.9, 12.3),  # mostly after it, but the same old word
                                       word("morning", 12.3, 12.9), punctuation(".", 12.9)]}
    out = drop_settled(raw, 11.18, tail)
    assert contents(out) == [("morning", 12.3), (".", 12.9)]
    assert out["metadata"]["transcript"].strip() == "morning."
    # Mostly before the end of the last final word: dropped, whatever it says; a word that only begins in
    # final time is kept, from where the final time ends (times stay in order).
    raw["results"] = [word("borrow", 10.5, 11.5), word("again", 11.0, 11.8)]
    assert contents(drop_settled(raw, 11.18, tail)) == [("again", 11.18)]
    # A word said twice: the second is its own slot after the final time, and stays.
    raw["results"] = [word("tomorrow", 11.2, 12.0)]
    assert contents(drop_settled(raw, 11.18, tail)) == [("tomorrow", 11.2)]
    # An entity is compared by its written form.
    entity = {"type": "entity", "start_time": 10.0, "end_time": 11.6,
              "written_form": [{"type": "word", "start_time": 10.0, "end_time": 11.6,
                                "alternatives": [{"content": "Tomorrow", "confidence": 1.0}]}]}
    raw["results"] = [entity]
    assert drop_settled(raw, 11.18, tail)["results"] == []


def test_shift_times_moves_every_time_entities_included() -> None:
    raw: dict[str, Any] = {"message": "AddTranscript", "metadata": {"start_time": 0.0, "end_time": 1.0},
           "results": [{"type": "entity", "start_time": 0.1, "end_time": 0.9,
                        "spoken_form": [{"type": "word", "start_time": 0.1, "end_time": 0.5}]}]}
    out = shift_times(raw, 10.0)
    assert out["metadata"] == {"start_time": 10.0, "end_time": 11.0}
    assert out["results"][0]["end_time"] == 10.9 and out["results"][0]["spoken_form"][0]["start_time"] == 10.1
    assert raw["metadata"]["start_time"] == 0.0  # the original is untouched
    assert drop_settled(out, 11.0)["results"] == []


@pytest.mark.parametrize(("error", "retried"), [
    (NetworkError("The connection to the realtime service was lost"), True),
    (ApiTimeoutError("The realtime service stopped answering keepalive pings"), True),
    (close_code_error(1011), True),
    (close_code_error(4013), True),
    (close_code_error(1008), True),
    (realtime_error("session_timeout"), True),
    (realtime_error("quota_exceeded"), True),
    (AuthenticationError("Your API key was rejected"), False),
    (close_code_error(4001), False),
    (realtime_error("timelimit_exceeded"), False),
    (realtime_error("invalid_language"), False),
    (realtime_error("invalid_config"), False),
    (ConfigurationError("bad"), False),
    (ProtocolError("The realtime service sent a frame that is not JSON"), False),
])
def test_which_errors_are_retried(error: Exception, retried: bool) -> None:
    assert retryable(error) is retried


def test_a_concurrent_quota_is_retried_only_a_few_times_and_a_broken_handshake_while_reconnecting_is() -> None:
    quota = realtime_error("quota_exceeded")
    assert retryable(quota, 2) and not retryable(quota, 3)
    assert retryable(ProtocolError("The realtime service did not open a WebSocket"), reconnecting=True)
