"""Transcription Studio: live captions, batch transcription and voice previews on the Speechmatics APIs."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "Transcription Studio"
APP_ID = "transcription-studio"

try:
    __version__ = version(APP_ID)
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
