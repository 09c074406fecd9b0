"""Composition root: builds the stores, services, bridge and main window, and wires them together.

Nothing else in the studio constructs these objects; tests build a ``Studio`` with their own paths,
environment and secret store. Start-up does the least it can before the window is on screen: the asyncio
bridge, the keychain lookup and the Settings dialog are made when first needed or once the window shows.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from studio import APP_ID, APP_NAME, __version__, logs
from studio.core.redaction import Redactor
from studio.qt.context import WorkspaceContext
from studio.qt.main_window import MainWindow
from studio.qt.signals import SignalWakeup, has_display
from studio.qt.theme import ThemeController
from studio.services.app_state import AppState
from studio.storage.paths import Paths, default_paths
from studio.storage.secrets import KeyringSecretStore, SecretStore
from studio.storage.settings_store import SettingsStore

if TYPE_CHECKING:
    from studio.api.endpoints import Endpoints
    from studio.core.settings import Settings
    from studio.local.availability import LocalEngineInfo
    from studio.qt.bridge import AsyncBridge, TaskHandle
    from studio.qt.live.library.recovery import RecoveryCheck
    from studio.qt.settings.dialog import SettingsDialog
    from studio.services.builtin import BuiltinEngineService
    from studio.services.connector import Connector
    from studio.services.credentials import Credentials

log = logging.getLogger(__name__)


class Studio:
    def __init__(self, app: QApplication, env: Mapping[str, str], paths: Paths, *,
                 secrets: SecretStore | None = None, redactor: Redactor | None = None) -> None:
        paths.ensure()
        self.app = app
        self.paths = paths
        self.redactor = redactor or Redactor()
        self.settings = SettingsStore(paths.settings_file)
        self.state = AppState(self.settings, self._probe_local, env)
        self._secrets = secrets
        self._env = env
        self._credentials: Credentials | None = None
        self._bridge: AsyncBridge | None = None
        self._builtin: BuiltinEngineService | None = None
        self._started = False
        # The theme hears of a settings change before the window restyles itself.
        self.theme = ThemeController(app, self.settings.settings.theme)
        self.settings.changed.subscribe(self._apply_theme)
        self.context = WorkspaceContext(
            self.state, paths, lambda: self.theme.colors, lambda: self.bridge, lambda: self.connector,
            notify=lambda text: self.window.statusBar().showMessage(text, 15000),
            speak_line=self._speak_line, transcribe_files=self._transcribe_files, open_settings=self.open_settings)
        self._connector: Connector | None = None
        self.window = MainWindow(self.context)
        self.state.changed.subscribe(lambda _state: self._engine_choice_changed())
        self.window.settings_requested.connect(self.open_settings)
        self.window.closed.connect(self.shutdown)
        if self.settings.problems:
            self.window.statusBar().showMessage(" ".join(self.settings.problems), 30000)
        self.settings_dialog: SettingsDialog | None = None
        self.recovery_check: RecoveryCheck | None = None  # the start-up look for interrupted sessions

    def _probe_local(self, model: str) -> LocalEngineInfo:
        from studio.local import availability  # the engine is first looked at once the window shows

        return availability.probe(model, self.paths.cache)

    def _apply_theme(self, settings: Settings) -> None:
        self.theme.apply(settings.theme)

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            from studio.services.credentials import Credentials  # asyncio: not needed before the window shows

            store = self._secrets if self._secrets is not None else KeyringSecretStore()
            self._credentials = Credentials(store, self._env, self.redactor)
        return self._credentials

    @property
    def bridge(self) -> AsyncBridge:
        if self._bridge is None:
            from studio.qt.bridge import AsyncBridge

            self._bridge = AsyncBridge()
            self._bridge.unhandled_error.connect(
                lambda text: self.window.statusBar().showMessage(text, 15000))
        return self._bridge

    @property
    def builtin(self) -> BuiltinEngineService:
        """The built-in engine's service; its server starts on first use (``use_builtin_engine``)."""
        if self._builtin is None:
            from studio.services.builtin import BuiltinEngineService

            self._builtin = BuiltinEngineService(self.paths.cache)
        return self._builtin

    @property
    def connector(self) -> Connector:
        """Protocol clients for the active engine, for the workspaces (``WorkspaceContext.connect``)."""
        if self._connector is None:
            from studio.services.connector import Connector

            self._connector = Connector(lambda: self.credentials, lambda: self.builtin,
                                        self.bridge.to_gui(self.state.set_local_endpoints))
        return self._connector

    def _speak_line(self, text: str) -> None:
        speak = getattr(self.window.page("voices"), "speak", None)
        if speak is not None:
            speak(text)

    def _transcribe_files(self, files: Sequence[Path]) -> None:
        add = getattr(self.window.page("batch"), "add_files", None)
        if add is not None:
            add(list(files))
            self.window.show_workspace("batch")

    def use_builtin_engine(self, on_ready: Callable[[Endpoints], None] | None = None,
                           on_error: Callable[[BaseException], None] | None = None) -> TaskHandle[Endpoints]:
        """Starts the built-in engine if it is not running (its model loads off the GUI thread); ``on_ready``
        gets its endpoints on the GUI thread, which the state (and the status bar) then show."""

        def ready(endpoints: Endpoints) -> None:
            self.state.set_local_endpoints(endpoints)
            if on_ready is not None:
                on_ready(endpoints)

        def failed(error: BaseException) -> None:
            log.error("the built-in engine did not start", exc_info=error)
            self.window.statusBar().showMessage(f"The built-in engine could not start: {error}", 30000)
            if on_error is not None:
                on_error(error)

        return self.bridge.submit(self.builtin.ensure_started(self.state.settings.whisper_model),
                                  on_result=ready, on_error=failed)

    def _engine_choice_changed(self) -> None:
        """Stops the built-in engine when the user switches to Speechmatics or picks another model (it
        starts again, with that model, when next used)."""
        builtin = self._builtin
        if builtin is None or not builtin.running or self._bridge is None:
            return
        from studio.services.engine import EngineKind

        state = self.state
        if state.engine.kind is EngineKind.LOCAL and builtin.model_setting == state.settings.whisper_model.strip():
            return
        state.set_local_endpoints(None)
        self._bridge.submit(builtin.stop())

    def start(self) -> None:
        """What can wait until the window is on screen: the menus' actions and shortcuts, the engine in the
        status bar, the page that is showing, and the keychain lookup."""
        if self._started:
            return
        self._started = True
        self.window.complete()
        self.bridge.submit(self.credentials.status(), on_result=self.state.set_key_status,
                           on_error=self._key_lookup_failed)
        # Batch jobs the last run left unfinished resume now, without waiting for the Batch page.
        QTimer.singleShot(0, self._resume_batch)
        # Live sessions a crash or a kill interrupted are offered for recovery (looked for off the GUI thread).
        QTimer.singleShot(0, self._offer_recovery)

    def _resume_batch(self) -> None:
        from studio.qt.batch.resume import resume_unfinished

        resume_unfinished(self.context)

    def _offer_recovery(self) -> None:
        from studio.qt.live.library.recovery import offer_recovery

        self.recovery_check = offer_recovery(self.context, self.window, self._open_recovered)

    def _open_recovered(self, session_id: str, recovered: object) -> None:
        show = getattr(self.window.show_workspace("live"), "show_session", None)
        if show is not None:
            show(session_id, recovered)

    def _key_lookup_failed(self, error: BaseException) -> None:
        from studio.services.engine import KeySource, KeyStatus

        self.state.set_key_status(KeyStatus(KeySource.NONE, f"The keychain could not be read "
                                                            f"({type(error).__name__})."))

    def open_settings(self) -> SettingsDialog:
        from studio.qt.settings.dialog import SettingsDialog
        from studio.services.voices.cache import voice_cache_dir

        if self.settings_dialog is None or not self.settings_dialog.isVisible():
            self.settings_dialog = SettingsDialog(self.state, self.credentials, self.bridge, self.window,
                                                  voice_cache=voice_cache_dir(self.paths.cache))
            self.settings_dialog.open()
        self.settings_dialog.raise_()
        self.settings_dialog.activateWindow()
        return self.settings_dialog

    def shutdown(self) -> None:
        started = time.perf_counter()
        builtin = self._builtin
        # The local server is stopped before the loop goes: a stop cut short would leave its socket open.
        # Workspaces finish first (a live session ends cleanly), then the built-in engine stops.
        cleanup = [*self.context.cleanups]
        if builtin is not None and builtin.running:
            cleanup.append(builtin.stop)
        clean = self._bridge.shutdown(cleanup=cleanup) if self._bridge is not None else True
        self.theme.close()
        log.info("shut down in %.3f s%s", time.perf_counter() - started, "" if clean else " (forced)")



class _ExposeWatcher(QObject):
    """Calls back once, when the window is really on screen (its native window is exposed)."""

    def __init__(self, on_exposed: Callable[[], None]) -> None:
        super().__init__()
        self._on_exposed = on_exposed
        self._fired = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        exposed = event.type() == QEvent.Type.Expose and getattr(watched, "isExposed", lambda: False)()
        if exposed and not self._fired:
            self._fired = True
            QTimer.singleShot(0, self._on_exposed)
        return False


def run(*, smoke: bool | str = False) -> int:
    """Runs the studio until its window closes. ``smoke="window"`` (or True) closes it as soon as it is on
    screen (the start-up benchmark); ``smoke="full"`` runs ``studio.qt.smoke.SmokeCheck`` first and exits 1 if
    it fails."""
    if not has_display():
        print(f"{APP_NAME} needs a graphical desktop, and none was found (DISPLAY and WAYLAND_DISPLAY are "
              "unset). Run it from a desktop session, or on a virtual screen: xvfb-run studio",
              file=sys.stderr)
        return 2
    env = os.environ
    paths = default_paths(env)
    paths.ensure()
    redactor = Redactor()
    undo_logging = logs.configure(paths.log_file, redactor)
    log.info("starting %s %s", APP_NAME, __version__)
    # One look on every platform; palettes are the theme's. Set before the application exists, which is
    # cheaper than replacing the style afterwards.
    os.environ.setdefault("QT_STYLE_OVERRIDE", "Fusion")
    QGuiApplication.setDesktopFileName(APP_ID)
    preload = sys.modules.get("studio.preload")
    if preload is not None:
        preload.fonts_ready()  # fontconfig, initialised beside the imports, is ready before Qt asks for it
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    studio = Studio(app, env, paths, redactor=redactor)
    wakeup = SignalWakeup(studio.window.close)

    check = None
    if smoke == "full":
        from studio.qt.smoke import SmokeCheck

        check = SmokeCheck(studio)

    def exposed() -> None:
        # studio.cli disables the collector for start-up. What start-up made lives as long as the window: frozen,
        # it is never scanned again by the collections to come.
        gc.freeze()
        gc.enable()
        if check is not None:
            check.run()
        elif smoke:
            print("smoke: main window exposed", flush=True)
            studio.window.close()
        else:
            studio.start()

    watcher = _ExposeWatcher(exposed)
    studio.window.show()
    handle = studio.window.windowHandle()
    if handle is not None:
        handle.installEventFilter(watcher)
        if handle.isExposed():
            watcher.eventFilter(handle, QEvent(QEvent.Type.Expose))
    code = app.exec()
    gc.enable()
    wakeup.close()
    if check is not None:
        check.cleanup()
        code = code or (1 if check.failed else 0)
    log.info("exited with status %d", code)
    undo_logging()
    return code
