"""Where the studio keeps its files.

``STUDIO_HOME`` points every directory below one folder (tests and portable installs use it); otherwise
the platform's conventional config, data, cache and log directories are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import platformdirs

from studio import APP_ID

ENV_HOME = "STUDIO_HOME"


class Paths(NamedTuple):  # a NamedTuple, not a dataclass: it is made on the start-up path, where each ms counts
    config: Path
    data: Path
    cache: Path
    logs: Path

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.logs / "studio.log"

    def ensure(self) -> None:
        for directory in (self.config, self.data, self.cache, self.logs):
            directory.mkdir(parents=True, exist_ok=True)


def default_paths(env: Mapping[str, str] | None = None) -> Paths:
    env = os.environ if env is None else env
    home = env.get(ENV_HOME)
    if home:
        root = Path(home)
        return Paths(root / "config", root / "data", root / "cache", root / "logs")
    return Paths(
        Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_ID, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_ID, appauthor=False)),
    )
