"""The Live workspace: caption a meeting from a microphone, system audio or both, and read the sessions
recorded before.

Two tabs. **Live captions** puts together the parts of ``studio.qt.live`` around one ``Transcript``: the
source picker with its level meters, Start/Stop, bookmark, overlay and export buttons, the session's status
(``status.SessionStatus``, with "Open in library" once a session is saved), the problem banner, the waveform
pane (built just after the page first shows, so pyqtgraph never slows the first frame), the shared
transcript view in live mode and the side panel of settings (the Recording settings included); the caption
overlay (``overlay_host``) is made the first time it is shown. ``LiveController`` runs the session and
applies its events; ``DeviceWatch`` keeps the device lists fresh and the meters moving while no session
runs. **Recorded sessions** is the sessions library (``studio.qt.live.library``), built when first shown.
The page's actions (``trigger``): ``start_stop``, ``bookmark``, ``overlay``, ``library``, ``find``,
``export``; ``show_session(id)`` opens a session in the library (after a recovery).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.settings import EngineChoice
from studio.core.transcript import Transcript
from studio.qt.context import WorkspaceContext
from studio.qt.live.banner import ProblemBanner
from studio.qt.live.controller import LiveController
from studio.qt.live.devices import DeviceWatch
from studio.qt.live.overlay import CaptionOverlay, OverlayStyle
from studio.qt.live.overlay_host import OverlayHost, overlay_style
from studio.qt.live.recording_controls import RecordingControls
from studio.qt.live.session_bar import SessionBar
from studio.qt.live.settings_writer import LiveSettingsWriter
from studio.qt.live.side_panel import SidePanel
from studio.qt.live.source_picker import SourcePicker
from studio.qt.live.tabs import LiveTabs
from studio.qt.live.waveform_host import WaveformHost
from studio.qt.transcript import TranscriptView
from studio.qt.widgets.labels import make_label, set_role
from studio.qt.workspaces import WorkspaceSpec
from studio.services.engine import KeySource
from studio.services.live import (
    LiveConfig,
    LiveSession,
    Problem,
    RecordingChanged,
    SessionState,
    SourceChoice,
    SourceKind,
)

if TYPE_CHECKING:
    from studio.qt.live.library.view import SessionsView
    from studio.qt.live.waveform import WaveformPane
    from studio.services.live.recovery import Recovered


class LivePage(QWidget):
    def __init__(self, context: WorkspaceContext, spec: WorkspaceSpec) -> None:
        super().__init__()
        self.context = context
        self.spec = spec
        self.setObjectName(f"workspace-{spec.key}")
        self.setAccessibleName(spec.heading)
        settings = context.state.settings
        live = settings.live
        self.transcript = Transcript(live.language or settings.language)
        self.controller = LiveController(context, self.transcript, self)
        context.on_shutdown(self._finish_recording)  # after the controller's: the session has stopped by then
        self.exported = True  # nothing to lose yet
        self._awaiting_key: Callable[[], None] | None = None  # a Start waiting for the keychain's answer
        self.settings_writer = LiveSettingsWriter(context.state, self)
        self.overlay_host = OverlayHost(context, self.transcript, self.settings_writer.change, self)
        self._arriving = False

        # -- the top bar --------------------------------------------------------------------------------
        self.picker = SourcePicker(context.colors, SourceChoice(_kind(live.source_kind), live.microphone_id or None,
                                                                live.system_id or None))
        self.session_bar = SessionBar(context.colors)
        self.start_button, self.bookmark_button = self.session_bar.start_button, self.session_bar.bookmark_button
        self.overlay_button, self.export_button = self.session_bar.overlay_button, self.session_bar.export_button
        self.start_button.clicked.connect(self.start_stop)
        self.bookmark_button.clicked.connect(lambda: self.controller.bookmark())
        self.overlay_button.clicked.connect(self.toggle_overlay)
        self.export_button.clicked.connect(self.export)
        self.session_status = self.session_bar.session_status
        self.status, self.detail = self.session_status.status, self.session_status.detail
        self.engine_note = make_label("", "SectionHint", wrap=True)
        self.engine_note.setAccessibleName("What the engine cannot do")
        self.banner = ProblemBanner(context.colors)
        self.banner.action_requested.connect(self._problem_action)

        top = QHBoxLayout()
        top.addWidget(self.picker, 1)
        top.addSpacing(12)
        top.addWidget(self.session_bar)

        # -- the body -----------------------------------------------------------------------------------
        self.view = TranscriptView(self.transcript, colors=context.colors, mode="live")
        self.view.setAccessibleName("Live transcript")
        self.view.speak_requested.connect(context.speak_line)
        self.view.set_low_confidence(live.low_confidence or None)
        self.side = SidePanel(LiveConfig.from_settings(live, settings.language), overlay_style(live),
                              live.waveform_seconds, live.low_confidence)
        self.session_settings = self.side.session
        self.recording_settings = RecordingControls(live.record_sessions, live.live_text_file, live.live_text_mode,
                                                    live.live_text_lines)
        self.side.add_section(self.recording_settings)
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.setChildrenCollapsible(False)
        self.left.addWidget(self.view)
        self.waveforms = WaveformHost(context, self.transcript, self.controller, self.left, self)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(self.left)
        self.body.addWidget(self.side)
        self.body.setStretchFactor(0, 1)
        self.body.setSizes([760, 320])

        live_tab = QWidget()
        live_tab.setAccessibleName("Live captions")
        column = QVBoxLayout(live_tab)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addLayout(top)
        column.addWidget(self.engine_note)
        column.addWidget(self.banner)
        column.addWidget(self.body, 1)
        self.tabs = LiveTabs(live_tab, self._make_library)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 12)
        layout.addWidget(self.tabs)

        # -- wiring -------------------------------------------------------------------------------------
        self.devices = DeviceWatch(context, self.picker, self)
        self.picker.choice_changed.connect(self._choice_changed)
        self.session_settings.changed.connect(self._config_changed)
        self.session_settings.set_sources(self.picker.choice().kind.value)
        self.side.overlay.style_changed.connect(self._overlay_style_changed)
        self.side.overlay.toggle_requested.connect(self.toggle_overlay)
        self.overlay_host.style_changed.connect(self._overlay_style_changed)
        self.overlay_host.shown_changed.connect(self._overlay_shown)
        self.recording_settings.changed.connect(lambda fields: self.settings_writer.change(**fields))
        self.session_status.library_requested.connect(self.show_session)
        self.tabs.changed.connect(lambda library: self.devices.set_watching(not library and self.isVisible()))
        self.side.view.seconds_changed.connect(self._seconds_changed)
        self.side.view.low_confidence_changed.connect(self._low_confidence_changed)
        self.controller.state_changed.connect(self._state_changed)
        self.controller.problem.connect(self._problem)
        self.controller.session_started.connect(self._session_started)
        self.waveforms.seconds_changed.connect(self._seconds_changed)
        self.controller.notice.connect(self._notice)
        self.controller.source_changed.connect(lambda change: self.devices.refresh())
        self.devices.monitor_changed.connect(self.waveforms.monitor_changed)
        self.controller.after_apply = self._applied
        self._unsubscribe = context.state.changed.subscribe(lambda _state: self._update_engine_note())
        self.destroyed.connect(lambda: self._unsubscribe())
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self._tick_status)
        self._update_engine_note()
        self._update_buttons()

    # -- showing --------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.waveform is None:
            QTimer.singleShot(0, lambda: self.waveforms.build(self.devices.monitor))
        self.devices.set_watching(not self.tabs.library_showing)
        self._arriving = True  # Ctrl+L from another workspace shows the library, not the captions
        QTimer.singleShot(0, lambda: setattr(self, "_arriving", False))

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.devices.set_watching(False)

    @property
    def waveform(self) -> WaveformPane | None:
        return self.waveforms.pane

    @property
    def library(self) -> SessionsView | None:
        return self.tabs.library

    # -- actions --------------------------------------------------------------------------------------
    def trigger(self, action: str) -> None:
        if action == "start_stop":
            self.start_stop()
        elif action == "bookmark":
            self.controller.bookmark()
        elif action == "overlay":
            self.toggle_overlay()
        elif action == "library" and self.tabs.library_showing and not self._arriving:
            self.tabs.show_live()
        elif action == "library":
            self.tabs.show_library()
        elif action == "find":
            (self.library.show_find if self.tabs.library_showing and self.library else self.view.show_find)()
        elif action == "export":
            (self.library.export if self.tabs.library_showing and self.library else self.export)()

    def start_stop(self) -> None:
        if self.controller.active:
            self.controller.stop()
        else:
            self.start()

    def start(self) -> LiveSession | None:
        """Starts a session (None if none started now: one runs, the user kept the last transcript, or the
        keychain has not answered yet — then it starts as soon as it has)."""
        if self.controller.active or self._awaiting_key is not None:
            return None
        if not self.exported and self.transcript.duration > 0 and not self._confirm_new_session():
            return None
        state = self.context.state
        if state.key.source is KeySource.UNKNOWN and state.settings.engine is EngineChoice.AUTO:
            self._start_once_key_known()
            return None
        return self._begin()

    def _start_once_key_known(self) -> None:
        """Automatic means Speechmatics only with an API key, and the keychain has not said yet whether there is
        one (it may be waiting to be unlocked): the session starts once it has, on the engine the key selects."""

        def changed(state: object) -> None:
            if self.context.state.key.source is not KeySource.UNKNOWN and self._awaiting_key is not None:
                self._awaiting_key()
                self._awaiting_key = None
                self._begin()

        self._awaiting_key = self.context.state.changed.subscribe(changed)
        self.status.setText("Starting… (reading the API key from the keychain)")

    def _begin(self) -> LiveSession:
        self.banner.clear()
        self.session_status.new_session()
        choice = self.picker.choice()
        config = self.session_settings.config()
        self.transcript.language = config.language
        self.devices.pause()  # the session opens the devices itself
        session = self.controller.start(choice, config)
        self.exported = False
        return session

    def _confirm_new_session(self) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Start a new session?",
                          "The transcript of the last session has not been exported. A new session starts "
                          "with an empty transcript.", parent=self)
        export = box.addButton("Export first…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard and start", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is export:
            self.export()
            return False
        return box.clickedButton() is not cancel

    def export(self) -> None:
        from studio.qt.live.export_dialog import ExportDialog

        if self.transcript.duration <= 0 and not any(t.finals for t in self.transcript.tracks.values()):
            self.context.notify("There is nothing to export yet: start a session first.")
            return
        folder = Path.home() / "Documents"
        name = f"Live captions {datetime.datetime.now():%Y-%m-%d %H.%M}"
        dialog = ExportDialog(self.transcript, lambda: self.context.bridge,
                              folder=folder if folder.is_dir() else Path.home(), name=name,
                              local=self.context.state.capabilities.local, parent=self)
        dialog.exported.connect(self._exported)
        dialog.open()
        self.export_dialog = dialog

    def _exported(self, paths: list[Path]) -> None:
        if not self.controller.active:
            self.exported = True
        if paths:
            self.context.notify(f"Exported {', '.join(p.name for p in paths)} to {paths[0].parent}.")

    # -- the overlay ----------------------------------------------------------------------------------
    @property
    def overlay(self) -> CaptionOverlay | None:
        return self.overlay_host.overlay

    def toggle_overlay(self) -> None:
        self.overlay_host.toggle()

    def _overlay_shown(self, shown: bool) -> None:
        self.overlay_button.setChecked(shown)
        self.side.overlay.set_shown(shown)

    def _overlay_style_changed(self, style: OverlayStyle) -> None:
        self.overlay_host.set_style(style)
        self.side.overlay.set_style(style)
        self.settings_writer.change(overlay_font_size=style.font_size, overlay_lines=style.lines,
                          overlay_opacity=round(style.opacity, 2), overlay_click_through=style.click_through,
                          overlay_reading_mode=style.reading_mode)

    # -- settings -------------------------------------------------------------------------------------
    def _choice_changed(self, choice: SourceChoice) -> None:
        self.settings_writer.change(source_kind=choice.kind.value, microphone_id=choice.microphone_id or "",
                          system_id=choice.system_id or "")
        self.session_settings.set_sources(choice.kind.value)
        self._update_engine_note()
        self.devices.choice_changed()

    def _config_changed(self, config: LiveConfig) -> None:
        live = self.context.state.settings.live
        saved = config.to_settings(live)
        self.settings_writer.change(**{name: getattr(saved, name) for name in (
            "language", "operating_point", "max_delay", "enable_partials", "diarization", "max_speakers",
            "speaker_sensitivity", "vocab", "enable_entities", "translation_targets", "end_of_utterance_silence")})
        self._update_engine_note()
        if self.controller.active:
            self.controller.update_config(config)

    def _seconds_changed(self, seconds: float) -> None:
        if self.waveform is not None:
            self.waveform.set_seconds(seconds)
        self.side.view.show_seconds(seconds)
        self.settings_writer.change(waveform_seconds=float(round(seconds)))

    def _low_confidence_changed(self, threshold: float) -> None:
        self.view.set_low_confidence(threshold or None)
        self.settings_writer.change(low_confidence=round(threshold, 2))

    def _update_engine_note(self) -> None:
        config = self.session_settings.config()
        problems = config.problems(self.context.state.capabilities, self.picker.choice().kind.value)
        self.engine_note.setText("Before you start: " + " ".join(problems) if problems else "")
        set_role(self.engine_note, "SectionHint")
        self.engine_note.setVisible(bool(problems) and not self.controller.active)

    # -- the session ----------------------------------------------------------------------------------
    def _session_started(self, session: LiveSession) -> None:
        self.devices.session_levels = session.levels
        self.waveforms.session_started(session)

    def _applied(self) -> None:
        self.view.flush()

    def _state_changed(self, state: SessionState) -> None:
        self._update_buttons()
        if state is SessionState.RUNNING:
            self._clock.start()
        elif not state.active:
            self._clock.stop()
            if self.waveform is not None:
                self.waveform.stop()
            self.devices.resume()
        self._tick_status()
        self._update_engine_note()

    def _update_buttons(self) -> None:
        state = self.controller.state
        self.session_bar.show_state(state)
        self.picker.set_running(state.active)
        self.session_settings.set_running(state.active)

    def _tick_status(self) -> None:
        self.session_status.tick(self.controller.session, self.controller.state)

    def _notice(self, event: object) -> None:
        self.session_status.notice(event)
        if isinstance(event, RecordingChanged) and self.library is not None:
            self.library.refresh()  # recording now, or saved

    async def _finish_recording(self) -> None:
        """At quit, once the session has stopped: its recorder completes the folder (the end of the journal, the
        WAV's header, "finished"). Quitting right after Stop must not leave it looking interrupted."""
        recorder = self.controller.recording.recorder
        if recorder is not None and recorder.state in ("recording", "failed"):
            await recorder.closed()

    def own_live(self) -> str | None:
        """The session this studio is recording now (the library does not change it), if any."""
        recorder = self.controller.recording.recorder
        return recorder.session_id if recorder is not None and recorder.state == "recording" else None

    def _problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem.text, str(problem.severity), str(problem.action))

    def _problem_action(self, action: str) -> None:
        if action == "retry":
            self.start()
        elif action == "sources":
            self.picker.kind.setFocus()
        elif action == "settings":
            self.context.open_settings()

    # -- the sessions library -------------------------------------------------------------------------
    def show_session(self, session_id: str | None = None, recovered: Recovered | None = None) -> None:
        """Shows the sessions library, reading ``session_id`` if given (and what its recovery found)."""
        self.tabs.show_library(session_id, recovered)

    def _make_library(self) -> SessionsView:
        from studio.qt.live.library.view import SessionsView  # QtMultimedia: when the library is first shown

        return SessionsView(self.context, self.own_live)

    # -- the window -----------------------------------------------------------------------------------
    def restyle(self, color: QColor) -> None:
        self.session_bar.restyle(self.controller.state.active)
        self.session_status.restyle()
        self.banner.restyle()
        self.view.restyle()
        if self.waveform is not None:
            self.waveform.restyle()
        self.overlay_host.restyle()
        if self.library is not None:
            self.library.restyle()
        self.picker.update()

    def confirm_close(self) -> bool:
        """The window is closing: asks first while a session runs; then the overlay and the player close."""
        if self.controller.active:
            answer = QMessageBox.question(self, "Stop captioning and quit?",
                                          "A live session is running. Quitting stops it; the words still on their "
                                          "way are received first.")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.settings_writer.flush()  # a change made just before quitting is kept
        self.overlay_host.close()
        if self.library is not None:
            self.library.close_media()
        return True


def _kind(value: str) -> SourceKind:
    try:
        return SourceKind(value)
    except ValueError:
        return SourceKind.MIC
