from __future__ import annotations

import json
from pathlib import Path

from studio.core.settings import SCHEMA_VERSION, Region, Settings, Theme
from studio.storage.settings_store import SettingsStore


def test_missing_file_gives_defaults_without_writing(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert store.settings == Settings()
    assert store.problems == []
    assert not (tmp_path / "settings.json").exists()


def test_save_writes_versioned_json_and_notifies(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    store = SettingsStore(path)
    seen: list[Settings] = []
    store.changed.subscribe(seen.append)
    store.save(Settings(theme=Theme.DARK, language="es"))
    doc = json.loads(path.read_text())
    assert doc["version"] == SCHEMA_VERSION and doc["theme"] == "dark" and doc["language"] == "es"
    assert [s.theme for s in seen] == [Theme.DARK]
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    assert SettingsStore(path).settings == Settings(theme=Theme.DARK, language="es")


def test_saving_unchanged_settings_does_not_notify(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    seen: list[Settings] = []
    store.changed.subscribe(seen.append)
    store.save(Settings())
    assert seen == []


def test_unreadable_file_is_kept_aside_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ this is not json")
    store = SettingsStore(path)
    assert store.settings == Settings()
    assert (tmp_path / "settings.json.broken").read_text() == "{ this is not json"
    assert len(store.problems) == 1 and "settings.json.broken" in store.problems[0]


def test_older_file_is_migrated_on_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"region": "eu1", "language": "nl"}))
    store = SettingsStore(path)
    assert store.settings.region is Region.EU and store.settings.language == "nl"


def test_newer_file_is_backed_up_before_it_is_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    original = json.dumps({"version": SCHEMA_VERSION + 3, "language": "it", "future": [1, 2]})
    path.write_text(original)
    store = SettingsStore(path)
    assert any("newer version" in p for p in store.problems)
    store.save(store.settings.replace(theme=Theme.LIGHT))
    assert (tmp_path / f"settings.v{SCHEMA_VERSION + 3}.json").read_text() == original
    saved = json.loads(path.read_text())
    assert saved["future"] == [1, 2] and saved["theme"] == "light" and saved["language"] == "it"
