"""The Live page's settings are written once a change settles, merged, and at once when the window closes."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from studio.qt.live.page import LivePage
from studio.qt.live.settings_writer import LiveSettingsWriter
from studio.storage.settings_store import SettingsStore
from tests.qt.conftest import StudioFactory


def test_changes_are_merged_and_written_once_they_settle(qtbot: QtBot, make_studio: StudioFactory) -> None:
    studio = make_studio()
    writer = LiveSettingsWriter(studio.state)
    saved: list[object] = []
    studio.state.settings_store.changed.subscribe(saved.append)
    writer.change(overlay_lines=3)
    writer.change(overlay_font_size=30)
    assert saved == []  # not on every step
    qtbot.waitUntil(lambda: len(saved) == 1, timeout=3000)
    live = SettingsStore(studio.paths.settings_file).settings.live  # read back from the file
    assert (live.overlay_lines, live.overlay_font_size) == (3, 30)


def test_a_change_just_before_the_window_closes_is_kept(qtbot: QtBot, make_studio: StudioFactory) -> None:
    studio = make_studio()
    page = studio.window.show_workspace("live")
    assert isinstance(page, LivePage)
    page.settings_writer.change(waveform_seconds=20.0)
    assert SettingsStore(studio.paths.settings_file).settings.live.waveform_seconds != 20.0
    assert page.confirm_close()
    assert SettingsStore(studio.paths.settings_file).settings.live.waveform_seconds == 20.0
