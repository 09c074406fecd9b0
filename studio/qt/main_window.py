"""The main window: a sidebar of workspaces, the workspace pages, menus with shortcuts, a status bar."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from studio import APP_NAME, __version__
from studio.core.settings import Settings, Theme
from studio.qt.context import WorkspaceContext
from studio.qt.resources import icon
from studio.qt.status_bar import EngineIndicator
from studio.qt.workspaces import COMMON_ACTIONS, WORKSPACES, WorkspaceAction, WorkspaceSpec, make_workspace

if TYPE_CHECKING:
    # For annotations only: a Qt type costs start-up time to create (the actions' types are made by ``complete``).
    from PySide6.QtGui import QAction, QCloseEvent, QKeySequence

    Keys = QKeySequence.StandardKey | str


class MainWindow(QMainWindow):
    settings_requested = Signal()
    #: Emitted once, when the window has closed and the app should shut down.
    closed = Signal()

    def __init__(self, context: WorkspaceContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        state = context.state
        colors = context.colors
        self._state = state
        self._colors = colors
        self.setWindowTitle(APP_NAME)
        self.resize(1100, 720)
        self.setMinimumSize(720, 480)

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("Sidebar")
        self.sidebar.setFixedWidth(176)
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setAccessibleName("Workspaces")
        self.pages = QStackedWidget()
        # A workspace page is built the first time it is shown; until then a blank stands in for it. The
        # first page waits for ``build_current_page`` (once the window is on screen), so start-up never pays
        # for a workspace's modules.
        self._built: dict[int, QWidget] = {}
        self._deferred = True
        for spec in WORKSPACES:
            item = QListWidgetItem(spec.title)
            item.setToolTip(f"{spec.heading} ({spec.shortcut})")
            self.sidebar.addItem(item)
            self.pages.addWidget(QWidget())
        self.sidebar.currentRowChanged.connect(self._show_page)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.indicator = EngineIndicator(state, colors, self.statusBar())
        self.indicator.settings_requested.connect(self.settings_requested)
        self._completed = False
        self._build_menu_bar()
        self._restyle()
        self.sidebar.setCurrentRow(0)
        self._unsubscribe = state.settings_store.changed.subscribe(self._settings_changed)

    # -- menus and shortcuts -------------------------------------------------------------------------
    def complete(self) -> None:
        """What waits until the window is on screen (``Studio.start``): the menus' actions with their
        shortcuts, the window icon, the engine in the status bar, and the page that is showing. The first
        frame has the menu titles, the sidebar and the status bar, so nothing moves when these arrive."""
        if self._completed:
            return
        self._completed = True
        self._fill_menus()
        self.setWindowIcon(icon("app", None, 128))
        self.indicator.activate()
        self.build_current_page()

    def _action(self, text: str, slot: Callable[[], object], keys: tuple[Keys, ...] = ()) -> QAction:
        """An action of the window, with the first of ``keys`` the platform defines as its shortcut."""
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        for key in keys:
            sequence = QKeySequence(key)
            if not sequence.isEmpty():
                action.setShortcut(sequence)
                break
        return action

    def _build_menu_bar(self) -> None:
        """The menu titles, for the first frame; their actions are made by ``complete`` (key sequences build
        Qt's large enum namespace, which is slow to create)."""
        menu = self.menuBar()
        self._menus = {"file": menu.addMenu("&File"), "edit": menu.addMenu("&Edit"), "view": menu.addMenu("&View")}
        for spec in WORKSPACES:
            if spec.actions:
                self._menus[spec.key] = menu.addMenu(f"&{spec.title}")
        self._menus["help"] = menu.addMenu("&Help")

    def _fill_menus(self) -> None:
        from PySide6.QtGui import QActionGroup, QKeySequence

        standard = QKeySequence.StandardKey
        file_menu = self._menus["file"]
        self.settings_action = self._action("&Settings…", self.settings_requested.emit,
                                            (standard.Preferences, "Ctrl+,"))
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, (standard.Quit, "Ctrl+Q"))
        file_menu.addAction(self.quit_action)

        self.common_actions: list[QAction] = []
        for item in COMMON_ACTIONS:
            action = self._action(item.text, partial(self._run_common_action, item),
                                  (item.shortcut,) if item.shortcut else ())
            self._menus["edit"].addAction(action)
            self.common_actions.append(action)

        view_menu = self._menus["view"]
        self.workspace_actions: list[QAction] = []
        for row, spec in enumerate(WORKSPACES):
            action = self._action(spec.heading, partial(self.sidebar.setCurrentRow, row), (spec.shortcut,))
            view_menu.addAction(action)
            self.workspace_actions.append(action)
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        for theme, label in ((Theme.SYSTEM, "Follow the system"), (Theme.LIGHT, "Light"), (Theme.DARK, "Dark")):
            action = self._action(label, partial(self._choose_theme, theme))
            action.setCheckable(True)
            action.setChecked(self._state.settings.theme is theme)
            action.setData(theme.value)
            self.theme_group.addAction(action)
            theme_menu.addAction(action)

        self.workspace_action_map: dict[tuple[str, str], QAction] = {}
        for spec in WORKSPACES:
            for item in spec.actions:
                action = self._action(item.text, partial(self._run_workspace_action, spec, item),
                                      (item.shortcut,) if item.shortcut else ())
                self._menus[spec.key].addAction(action)
                self.workspace_action_map[(spec.key, item.id)] = action

        help_menu = self._menus["help"]
        self.shortcuts_action = self._action("&Keyboard shortcuts", self.show_shortcuts,
                                             (standard.HelpContents, "F1"))
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self._action(f"&About {APP_NAME}", self.show_about))

    def shortcut_rows(self) -> list[tuple[str, str]]:
        actions = [self.settings_action, self.quit_action, *self.workspace_actions,
                   *self.workspace_action_map.values(), *self.common_actions, self.shortcuts_action]
        from PySide6.QtGui import QKeySequence

        rows = [(a.text().replace("&", ""), a.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
                for a in actions if not a.shortcut().isEmpty()]
        for spec in WORKSPACES:
            rows += [(f"{spec.title}: {text}", keys) for text, keys in spec.page_keys]
        return rows

    def _run_workspace_action(self, spec: WorkspaceSpec, item: WorkspaceAction) -> None:
        page = self.page(spec.key)
        if item.show_page:
            self.show_workspace(spec.key)
        trigger = getattr(page, "trigger", None)
        if trigger is not None:
            trigger(item.id)

    def _run_common_action(self, item: WorkspaceAction) -> None:
        page = self.pages.currentWidget()
        trigger = getattr(page, "trigger", None)
        if trigger is not None and self.sidebar.currentRow() in self._built:
            trigger(item.id)

    def show_shortcuts(self) -> None:
        from studio.qt.shortcuts import ShortcutsDialog

        ShortcutsDialog(self.shortcut_rows(), self).open()

    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b> {__version__}<br>Live captions, batch transcription and voice "
                          "previews on the Speechmatics APIs, with a built-in offline engine.<br>MIT licence.")

    # -- state ---------------------------------------------------------------------------------------
    def build_current_page(self) -> None:
        """Builds the page that is showing (the window calls this once it is on screen)."""
        self._deferred = False
        self._show_page(self.sidebar.currentRow())

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        if row not in self._built and self._deferred:
            self.pages.setCurrentIndex(row)
            return
        if row not in self._built:
            page = make_workspace(WORKSPACES[row], self.context)
            blank = self.pages.widget(row)
            self.pages.insertWidget(row, page)
            if blank is not None:
                self.pages.removeWidget(blank)
                blank.deleteLater()
            self._built[row] = page
        self.pages.setCurrentIndex(row)

    def page(self, key: str) -> QWidget:
        """The workspace page for ``key``, built if it was not yet."""
        row = next(i for i, spec in enumerate(WORKSPACES) if spec.key == key)
        if row not in self._built:
            current = self.sidebar.currentRow()
            deferred, self._deferred = self._deferred, False
            self._show_page(row)
            self._deferred = deferred
            self.pages.setCurrentIndex(current)
        return self._built[row]

    def built_pages(self) -> dict[str, QWidget]:
        return {WORKSPACES[row].key: page for row, page in self._built.items()}

    def show_workspace(self, key: str) -> QWidget:
        row = next(i for i, spec in enumerate(WORKSPACES) if spec.key == key)
        self._deferred = False
        self.sidebar.setCurrentRow(row)
        self._show_page(row)
        return self._built[row]

    def current_workspace(self) -> str:
        return str(WORKSPACES[self.sidebar.currentRow()].key)

    def _choose_theme(self, theme: Theme) -> None:
        if theme is not self._state.settings.theme:
            self._state.save_settings(self._state.settings.replace(theme=theme))

    def _settings_changed(self, settings: Settings) -> None:
        if self._completed:
            for action in self.theme_group.actions():
                action.setChecked(action.data() == settings.theme.value)
        if self._colors() != self._styled_with:
            self._restyle()

    def _restyle(self) -> None:
        # Called after the theme changed: sidebar icons and the status bar take the palette's colours.
        colors = self._colors()
        self._styled_with = colors
        for row, spec in enumerate(WORKSPACES):
            item = self.sidebar.item(row)
            item.setIcon(icon(spec.icon, QColor(colors.text), 40))
        for page in self._built.values():
            restyle = getattr(page, "restyle", None)
            if restyle is not None:
                restyle(QColor(colors.muted))
        self.indicator.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        for page in self._built.values():
            confirm = getattr(page, "confirm_close", None)
            if confirm is not None and not confirm():
                event.ignore()
                return
        self._unsubscribe()
        super().closeEvent(event)
        self.closed.emit()
