"""Transcription Studio: live captions, batch transcription and voice previews on the Speechmatics APIs."""

APP_NAME = "Transcription Studio"
APP_ID = "transcription-studio"
# The one place the version is written (pyproject.toml reads it from here); no importlib.metadata at start-up.
__version__ = "0.1.0"
