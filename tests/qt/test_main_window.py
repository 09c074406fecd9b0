from __future__ import annotations

from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from studio.api.endpoints import ENV_API_KEY, ENV_RT_URL
from studio.core.settings import Region, Theme
from studio.qt.theme import DARK, LIGHT
from studio.services.engine import KeySource
from studio.storage.paths import Paths
from tests.fakes.secrets import MemorySecretStore
from tests.qt.conftest import StudioFactory

KEY = "window-test-key-0123456789"


def test_three_workspaces_are_built_when_first_shown(qtbot: QtBot, make_studio: StudioFactory) -> None:
    from studio.qt.workspaces import WORKSPACES, EmptyWorkspace

    window = make_studio().window
    window.show()
    qtbot.waitExposed(window)
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles == ["Live", "Batch", "Voices"]
    assert set(window.built_pages()) == {"live"}  # the others wait until they are shown
    for row, spec in enumerate(WORKSPACES):
        window.sidebar.setCurrentRow(row)
        page = window.pages.currentWidget()
        assert page is window.built_pages()[spec.key]
        assert not isinstance(page, EmptyWorkspace), f"{spec.key} is still the empty state"
        assert type(page).__name__ == spec.factory.rpartition(":")[2]
        assert page.objectName() == f"workspace-{spec.key}" or page.objectName()
        assert page.accessibleName(), f"{spec.key}'s page has no accessible name"


def test_shortcuts_switch_workspaces(qtbot: QtBot, make_studio: StudioFactory) -> None:
    window = make_studio().window
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_workspace() == "voices"
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_workspace() == "batch"
    rows = dict(window.shortcut_rows())
    assert rows["Live captions"] == "Ctrl+1"
    assert rows["Settings…"] and rows["Quit"] == "Ctrl+Q"


def test_the_first_frame_has_the_menu_titles_and_the_rest_comes_once_the_window_shows(
        qtbot: QtBot, qapp: QApplication, studio_home: Paths) -> None:
    from studio.app import Studio

    studio = Studio(qapp, {}, studio_home, secrets=MemorySecretStore())
    qtbot.addWidget(studio.window)
    window = studio.window
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Live", "&Batch", "&Voices", "&Help"]
    menus = [cast(QMenu, action.menu()) for action in window.menuBar().actions()]
    assert all(not menu.actions() for menu in menus)
    assert window.indicator.engine_button.text() == ""  # the engine is looked at once the window shows
    assert window.windowIcon().isNull()
    studio.start()
    assert [action.text() for action in window.menuBar().actions()] == titles  # nothing moves
    assert all(menu.actions() for menu in menus)
    assert window.settings_action.shortcut().toString() and window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.indicator.engine_button.text().startswith("● Built-in engine")
    assert not window.windowIcon().isNull()
    assert set(window.built_pages()) == {"live"}
    qtbot.waitUntil(lambda: studio.state.key.source is not KeySource.UNKNOWN, timeout=3000)
    window.close()


def test_status_bar_without_a_key_shows_the_built_in_engine(make_studio: StudioFactory) -> None:
    studio = make_studio()
    assert studio.state.key.source is KeySource.NONE
    assert studio.window.indicator.engine_button.text() == "● Built-in engine (offline, Whisper tiny.en)"
    assert "starts when first used" in studio.window.indicator.engine_button.toolTip()
    assert not studio.builtin.running  # nothing was started for it at start-up
    assert studio.window.indicator.key_button.text() == "No API key"


def test_status_bar_with_a_stored_key_shows_speechmatics(make_studio: StudioFactory) -> None:
    studio = make_studio(secrets=MemorySecretStore(KEY))
    assert studio.window.indicator.engine_button.text() == "● Speechmatics EU"
    assert studio.window.indicator.key_button.text() == "API key set (system keychain)"
    studio.state.save_settings(studio.state.settings.replace(region=Region.US))
    assert studio.window.indicator.engine_button.text() == "● Speechmatics US"
    assert "wss://us.rt.speechmatics.com/v2" in studio.window.indicator.engine_button.toolTip()


def test_status_bar_with_environment_key_and_url(make_studio: StudioFactory) -> None:
    studio = make_studio(env={ENV_API_KEY: KEY, ENV_RT_URL: "ws://onprem.lan:9000/v2"})
    assert studio.window.indicator.key_button.text() == f"API key set ({ENV_API_KEY})"
    assert studio.window.indicator.engine_button.text() == "● Speechmatics via environment (onprem.lan:9000)"


def test_status_bar_tells_when_there_is_no_keychain(make_studio: StudioFactory) -> None:
    studio = make_studio(secrets=MemorySecretStore(unavailable=True))
    assert studio.window.indicator.key_button.text() == "No keychain"
    assert "No system keychain is available" in studio.window.indicator.key_button.toolTip()


def test_theme_menu_switches_palettes_and_persists(qapp: QApplication, make_studio: StudioFactory) -> None:
    studio = make_studio()
    dark_action = next(a for a in studio.window.theme_group.actions() if a.data() == "dark")
    dark_action.trigger()
    assert studio.state.settings.theme is Theme.DARK
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == DARK.window
    assert '"theme": "dark"' in studio.paths.settings_file.read_text()
    light_action = next(a for a in studio.window.theme_group.actions() if a.data() == "light")
    light_action.trigger()
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == LIGHT.window
    assert light_action.isChecked() and not dark_action.isChecked()


def test_settings_problems_are_shown_in_the_status_bar(make_studio: StudioFactory) -> None:
    import os

    from studio.storage.paths import default_paths

    paths = default_paths({"STUDIO_HOME": os.environ["STUDIO_HOME"]})
    paths.ensure()
    paths.settings_file.write_text("not json at all")
    studio = make_studio()
    assert "settings.json.broken" in studio.window.statusBar().currentMessage()


def test_system_theme_follows_the_os_scheme(qapp: QApplication, make_studio: StudioFactory) -> None:
    studio = make_studio()
    assert studio.state.settings.theme is Theme.SYSTEM
    hints = qapp.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what the platform sends when the OS goes dark
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == DARK.window
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == LIGHT.window
    # A theme the user chose explicitly is not overridden by the OS.
    studio.state.save_settings(studio.state.settings.replace(theme=Theme.LIGHT))
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == LIGHT.window


def test_workspace_actions_are_in_the_menus_and_the_shortcut_list(qtbot: QtBot, make_studio: StudioFactory) -> None:
    from studio.qt.workspaces import COMMON_ACTIONS, WORKSPACES

    window = make_studio().window
    rows = dict(window.shortcut_rows())
    for spec in WORKSPACES:
        for item in spec.actions:
            assert rows[item.text] == item.shortcut
        for text, keys in spec.page_keys:
            assert rows[f"{spec.title}: {text}"] == keys
    for item in COMMON_ACTIONS:
        assert rows[item.text] == item.shortcut
    # Window-wide shortcuts are unique; a key inside a page may also work inside another page (the media
    # keys of the Batch results and of a recorded session), never as a window-wide shortcut too.
    page_rows = {f"{spec.title}: {text}" for spec in WORKSPACES for text, _ in spec.page_keys}
    shortcuts = [keys for text, keys in rows.items() if text not in page_rows]
    assert len(shortcuts) == len(set(shortcuts)), "two actions share a shortcut"
    for spec in WORKSPACES:
        page_keys = [key for _, key in spec.page_keys]
        assert len(page_keys) == len(set(page_keys)) and not set(page_keys) & set(shortcuts), spec.title
    menus = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Live", "Batch", "Voices", "Help"]


def test_a_workspace_action_builds_and_shows_its_page_and_triggers_it(qtbot: QtBot,
                                                                      make_studio: StudioFactory) -> None:
    window = make_studio().window
    assert set(window.built_pages()) == {"live"}  # the first page, once the window started
    seen: list[str] = []
    window.page("voices").trigger = seen.append  # type: ignore[attr-defined]
    window.workspace_action_map[("voices", "play")].trigger()
    assert seen == ["play"] and window.current_workspace() == "voices"
    live_seen: list[str] = []
    window.page("live").trigger = live_seen.append  # type: ignore[attr-defined]
    window.workspace_action_map[("live", "bookmark")].trigger()  # works from any workspace, no switch
    assert live_seen == ["bookmark"] and window.current_workspace() == "voices"
    window.common_actions[0].trigger()  # Find goes to the page that is showing
    assert seen == ["play", "find"]


def test_a_page_can_keep_the_window_open(qtbot: QtBot, make_studio: StudioFactory) -> None:
    window = make_studio().window
    window.show()
    qtbot.waitExposed(window)
    answers = [False]
    window.page("live").confirm_close = lambda: answers[0]  # type: ignore[attr-defined]
    window.close()
    assert window.isVisible()
    answers[0] = True
    window.close()
    assert not window.isVisible()


def test_a_settings_save_that_keeps_the_theme_does_not_restyle(make_studio: StudioFactory) -> None:
    studio = make_studio()
    studio.state.save_settings(studio.state.settings.replace(theme=Theme.LIGHT))
    sheet = studio.app.styleSheet()
    restyled: list[object] = []
    studio.window._restyle = lambda: restyled.append(1)  # type: ignore[method-assign]
    studio.state.save_settings(studio.state.settings.replace(language="de"))
    assert restyled == [] and studio.app.styleSheet() == sheet
    assert not studio.theme.apply(Theme.LIGHT)
    studio.state.save_settings(studio.state.settings.replace(theme=Theme.DARK))
    assert restyled == [1] and studio.app.palette().color(QPalette.ColorRole.Window).name() == DARK.window
