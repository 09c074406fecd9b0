"""The transcript view: live captions, batch results and recorded sessions all use this one widget.

    from studio.qt.transcript import TranscriptView, speaker_color

    view = TranscriptView(transcript, colors=lambda: theme.colors, mode="live")   # or mode="document"
    view.seek_requested.connect(player.seek)         # seconds: a clicked word / time stamp, "Play from here"
    view.speak_requested.connect(context.speak_line) # "Speak this line" in the context menu
    view.set_playback_time(player.position())        # document mode: highlight (and follow) the word played
    view.show_find()                                 # your page's "find" action (Ctrl+F inside the view too)

Feed it by changing the transcript only (``transcript.apply(message)``, ``speakers.rename``, ``add_bookmark``,
``edit``…): the view observes ``transcript.changes`` and applies them at most once a frame (``flush()`` does
it now, for tests). The cost of an update does not grow with the transcript's length (8 hours stay smooth).

- Rows: a paragraph per speaker turn headed by the speaker's name in their colour (``speaker_color``), the
  time in document mode; channels ("Me"/"Them") interleaved in time, each channel's partial words lighter at
  its live edge, replaced in place; bookmarks as rows of their own; translations under the sentence they
  translate.
- Click a name to rename the speaker everywhere; drag to select across paragraphs, Ctrl+C to copy; right-
  click for Copy / Speak this line / Play from here / Rename / Edit text / bookmarks.
- Live mode follows the live edge; scrolling up pauses that and shows "Jump to live" (End goes back).
- Document mode: click a word or a time to seek; double-click or F2 edits a paragraph's words in place (they
  keep their timing) with undo/redo in ``view.undo_stack`` (Ctrl+Z / Ctrl+Shift+Z; ``actions_for_menus()``).
- Options: ``set_show_partials(False)`` (reading mode), ``set_low_confidence(0.6)``, ``set_show_timestamps``,
  ``set_translation("de")``, ``set_follow_playback``, ``set_mode``, ``set_transcript`` (another document).

The contract is /work/team/TRANSCRIPT_VIEW.md. Parts: ``studio.core.transcript.paragraphs`` (the Qt-free
paragraph index), ``model`` (its Qt list model), ``list_view`` + ``list_overrides`` + ``interaction`` +
``delegate`` + ``delegate_hits`` + ``text_parts`` + ``geometry`` (the incremental list), ``view_find``,
``view_playback``, ``view_keys`` (parts of the view), ``search``, ``selection``, ``menu``, ``editors``,
``commands``, ``style``. Tests: ``view.word_rect(paragraph, token)``, ``view.playing_token()``.
"""

from __future__ import annotations

from studio.qt.transcript.style import speaker_color
from studio.qt.transcript.view import TranscriptView

__all__ = ["TranscriptView", "speaker_color"]
