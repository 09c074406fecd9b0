"""Settings on disk: a JSON document under the config directory, read once and written atomically.

Nothing the user wrote is thrown away: a file that cannot be read is moved aside (``settings.json.broken``)
before defaults are used, and a file from a newer studio is copied to ``settings.v<N>.json`` before this
version writes over it. Problems are kept in ``problems`` for the window to show.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from studio.core import settings as schema
from studio.core.observable import Observable
from studio.core.settings import Settings
from studio.storage.atomic import write_atomic

log = logging.getLogger(__name__)


class SettingsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed: Observable[Settings] = Observable()
        self.problems: list[str] = []
        self._newer_version: int | None = None
        self._settings = self._load()

    @property
    def settings(self) -> Settings:
        return self._settings

    def _load(self) -> Settings:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            self.problems.append(f"Settings could not be read ({exc.strerror}); defaults are in use.")
            return Settings()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("the settings file does not hold a JSON object")
            result = schema.from_dict(data)
        except ValueError as exc:
            aside = self.path.with_name(self.path.name + ".broken")
            self.path.replace(aside)
            self.problems.append(f"Settings file was unreadable ({exc}); it was kept as {aside.name} "
                                 "and defaults are in use.")
            log.warning("settings file %s unreadable: %s", self.path, exc)
            return Settings()
        self._newer_version = result.newer_version
        if result.newer_version is not None:
            self.problems.append(f"These settings were written by a newer version of the studio "
                                 f"(format {result.newer_version}); options it added are kept.")
        self.problems.extend(result.problems)
        return result.settings

    def save(self, settings: Settings) -> None:
        if self._newer_version is not None:
            backup = self.path.with_name(f"settings.v{self._newer_version}.json")
            if not backup.exists():
                backup.write_bytes(self.path.read_bytes())
            self._newer_version = None
        body = json.dumps(schema.to_dict(settings), indent=2, sort_keys=True).encode() + b"\n"
        write_atomic(self.path, body)
        changed = settings != self._settings
        self._settings = settings
        if changed:
            self.changed.emit(settings)
