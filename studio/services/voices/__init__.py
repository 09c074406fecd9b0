"""Text-to-speech voice previews, Qt-free: which voices there are (``catalogue``), a preview's request and
audio (``clip``), streaming synthesis through the cache (``preview``, ``cache``), recent previews
(``history``), A/B comparison (``compare``) and saving (``export``). Playback is ``studio.audio.playback``."""
