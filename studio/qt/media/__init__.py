"""Playing recordings beside a transcript, shared by the workspaces (imported when first needed: it brings
QtMultimedia).

- ``player.MediaPane`` — QtMultimedia audio and video: play/pause, skip 5 s, position slider, speed, the
  playing position at display rate.
- ``follow.PlaybackLink`` — joins a ``MediaPane`` to a ``TranscriptView``: a clicked word plays from there,
  the playing word is lit (and followed), Ctrl+Space plays or pauses, Alt+Left / Alt+Right skip.
"""
