"""The transcript model: tokens, partial/final merging, speakers, segments, json-v2 in and out (no Qt).

    transcript = Transcript()                      # or Transcript.from_json_v2(doc) for a batch result
    transcript.apply(message)                      # realtime messages (typed, or their JSON objects)
    transcript.changes.subscribe(view.update)      # FinalsAppended, PartialReplaced, SpeakerRenamed, …
    transcript.segments()                          # sentences/turns with text, speaker and times
    transcript.speakers.rename("S1", "Alice")      # everywhere, exports included (keys: speakers.speaker_key)
    transcript.edit(segment, "new text")           # keeps the words' timing
    transcript.to_json_v2()
"""

from __future__ import annotations

from studio.core.transcript import changes
from studio.core.transcript.model import Sentence, Track, Transcript
from studio.core.transcript.segments import Segment
from studio.core.transcript.speakers import Speaker, SpeakerRegistry, speaker_key
from studio.core.transcript.tokens import Token, render

__all__ = ["Segment", "Sentence", "Speaker", "SpeakerRegistry", "Token", "Track", "Transcript", "changes", "render",
           "speaker_key"]
