"""The Live workspace: caption a meeting from a microphone, system audio or both.

The page puts together the parts of ``studio.qt.live`` around one ``Transcript``: the source picker with
its level meters, Start/Stop, bookmark, overlay and export buttons, the problem banner, the waveform pane
(built just after the page first shows, so pyqtgraph never slows the first frame), the shared transcript
view in live mode and the side panel of settings; the caption overlay is made the first time it is shown.
``LiveController`` runs the session and applies its events; ``DeviceWatch`` keeps the device lists fresh
and the meters moving while no session runs. The page's actions (``trigger``): ``start_stop``,
``bookmark``, ``overlay``, ``find``, ``export``.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.core.transcript import Transcript
from studio.qt.context import WorkspaceContext
from studio.qt.live.banner import ProblemBanner
from studio.qt.live.controller import LiveController
from studio.qt.live.devices import DeviceWatch
from studio.qt.live.overlay import CaptionOverlay, OverlayStyle
from studio.qt.live.side_panel import SidePanel
from studio.qt.live.source_picker import SourcePicker
from studio.qt.transcript import TranscriptView, speaker_color
from studio.qt.widgets.labels import make_label, set_role
from studio.qt.workspaces import WorkspaceSpec
from studio.services.live import (
    LiveConfig,
    LiveSession,
    Problem,
    Reconnected,
    Reconnecting,
    RecordingChanged,
    SessionState,
    SourceChoice,
    SourceKind,
    SourceMonitor,
)

if TYPE_CHECKING:
    from studio.qt.live.waveform import Lane, WaveformPane

WHAT = {"Me": "microphone", "Them": "system audio"}
STATE_TEXT = {SessionState.IDLE: "", SessionState.CONNECTING: "Starting…", SessionState.RUNNING: "● Live",
              SessionState.RECONNECTING: "Reconnecting…", SessionState.STOPPING: "Finishing the last words…",
              SessionState.STOPPED: "Stopped", SessionState.FAILED: "Stopped by a problem"}


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
        self.exported = True  # nothing to lose yet
        self.overlay: CaptionOverlay | None = None
        self.waveform: WaveformPane | None = None
        self._save_pending = False

        # -- the top bar --------------------------------------------------------------------------------
        self.picker = SourcePicker(context.colors, SourceChoice(_kind(live.source_kind), live.microphone_id or None,
                                                                live.system_id or None))
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("StartButton")
        self.start_button.setAccessibleName("Start captioning")
        self.start_button.setToolTip("Start or stop captioning (Ctrl+R)")
        self.start_button.setMinimumWidth(110)
        self.start_button.clicked.connect(self.start_stop)
        self.bookmark_button = QPushButton("Bookmark")
        self.bookmark_button.setAccessibleName("Bookmark this moment")
        self.bookmark_button.setToolTip("Mark this moment of the session (Ctrl+B)")
        self.bookmark_button.clicked.connect(lambda: self.controller.bookmark())
        self.overlay_button = QPushButton("Overlay")
        self.overlay_button.setAccessibleName("Show or hide the caption overlay")
        self.overlay_button.setToolTip("Captions in an always-on-top window (Ctrl+Shift+C)")
        self.overlay_button.setCheckable(True)
        self.overlay_button.clicked.connect(self.toggle_overlay)
        self.export_button = QPushButton("Export…")
        self.export_button.setAccessibleName("Export the transcript")
        self.export_button.setToolTip("TXT, SRT, VTT, JSON or DOCX (Ctrl+E)")
        self.export_button.clicked.connect(self.export)
        self.status = make_label("", "SectionHint")
        self.status.setAccessibleName("Session status")
        self.detail = make_label("", "SectionHint", wrap=True)  # reconnecting, recording
        self.detail.setAccessibleName("Connection and recording")
        self.detail.setMaximumWidth(380)
        self._detail_until = 0.0
        self.engine_note = make_label("", "SectionHint", wrap=True)
        self.engine_note.setAccessibleName("What the engine cannot do")
        self.banner = ProblemBanner(context.colors)
        self.banner.action_requested.connect(self._problem_action)

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.start_button, self.bookmark_button, self.overlay_button, self.export_button):
            buttons.addWidget(button)
        controls = QVBoxLayout()
        controls.addLayout(buttons)
        controls.addWidget(self.status)
        controls.addWidget(self.detail)
        controls.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.picker, 1)
        top.addSpacing(12)
        top.addLayout(controls)

        # -- the body -----------------------------------------------------------------------------------
        self.view = TranscriptView(self.transcript, colors=context.colors, mode="live")
        self.view.setAccessibleName("Live transcript")
        self.view.speak_requested.connect(context.speak_line)
        self.view.set_low_confidence(live.low_confidence or None)
        self.side = SidePanel(LiveConfig.from_settings(live, settings.language), _overlay_style(live),
                              live.waveform_seconds, live.low_confidence)
        self.session_settings = self.side.session
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.setChildrenCollapsible(False)
        self.left.addWidget(self.view)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(self.left)
        self.body.addWidget(self.side)
        self.body.setStretchFactor(0, 1)
        self.body.setSizes([760, 320])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.engine_note)
        layout.addWidget(self.banner)
        layout.addWidget(self.body, 1)

        # -- wiring -------------------------------------------------------------------------------------
        self.devices = DeviceWatch(context, self.picker, self)
        self.picker.choice_changed.connect(self._choice_changed)
        self.session_settings.changed.connect(self._config_changed)
        self.session_settings.set_sources(self.picker.choice().kind.value)
        self.side.overlay.style_changed.connect(self._overlay_style_changed)
        self.side.overlay.toggle_requested.connect(self.toggle_overlay)
        self.side.view.seconds_changed.connect(self._seconds_changed)
        self.side.view.low_confidence_changed.connect(self._low_confidence_changed)
        self.controller.state_changed.connect(self._state_changed)
        self.controller.problem.connect(self._problem)
        self.controller.session_started.connect(self._session_started)
        self.controller.notice.connect(self._notice)
        self.controller.source_changed.connect(lambda change: self.devices.refresh())
        self.devices.monitor_changed.connect(self._monitor_changed)
        self.controller.after_apply = self._applied
        self._unsubscribe = context.state.changed.subscribe(lambda _state: self._update_engine_note())
        self.destroyed.connect(lambda: self._unsubscribe())
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self._tick_status)
        self._saver = QTimer(self)
        self._saver.setSingleShot(True)
        self._saver.setInterval(400)
        self._saver.timeout.connect(self._save)
        self._update_engine_note()
        self._update_buttons()

    # -- showing --------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.waveform is None:
            QTimer.singleShot(0, self._build_waveform)
        self.devices.set_watching(True)

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.devices.set_watching(False)

    def _build_waveform(self) -> None:
        if self.waveform is not None:
            return
        from studio.qt.live.waveform import WaveformPane  # pyqtgraph: imported once the page is on screen

        live = self.context.state.settings.live
        self.waveform = WaveformPane(self.context.colors, seconds=live.waveform_seconds)
        self.waveform.setMinimumHeight(110)
        self.waveform.set_lane_color(self._lane_color)
        self.waveform.seconds_changed.connect(self._seconds_changed)
        self.left.insertWidget(0, self.waveform)
        self.left.setStretchFactor(1, 1)
        self.left.setSizes([150, 600])
        from studio.qt.live.regions import SpeechRegions

        self.waveform.set_regions(SpeechRegions(self.transcript))
        if self.controller.session is not None:
            self._session_started(self.controller.session)
        elif self.devices.monitor is not None:
            self._monitor_changed(self.devices.monitor)

    def _lane_color(self, lane: Lane) -> QColor:
        colors = self.context.colors()
        if lane.channel is not None:  # the words of this lane are its channel's: the same colour
            return speaker_color(self.transcript.speakers.get(lane.channel).colour, colors)
        if self.controller.active:  # one stream: the speakers inside it have the colours
            return QColor(colors.accent)
        return speaker_color(0 if lane.label == "Me" else 1, colors)  # as a two-channel session will colour them

    # -- actions --------------------------------------------------------------------------------------
    def trigger(self, action: str) -> None:
        if action == "start_stop":
            self.start_stop()
        elif action == "bookmark":
            self.controller.bookmark()
        elif action == "overlay":
            self.toggle_overlay()
        elif action == "find":
            self.view.show_find()
        elif action == "export":
            self.export()

    def start_stop(self) -> None:
        if self.controller.active:
            self.controller.stop()
        else:
            self.start()

    def start(self) -> LiveSession | None:
        if self.controller.active:
            return None
        if not self.exported and self.transcript.duration > 0 and not self._confirm_new_session():
            return None
        self.banner.clear()
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
    def toggle_overlay(self) -> None:
        overlay = self.overlay
        if overlay is not None and overlay.isVisible():
            overlay.hide()
            return
        if overlay is None:
            live = self.context.state.settings.live
            overlay = self.overlay = CaptionOverlay(
                self.transcript, self.context.colors,
                lambda index: speaker_color(index, self.context.colors()), _overlay_style(live))
            overlay.place(live.overlay_geometry)
            overlay.geometry_changed.connect(self._overlay_moved)
            overlay.style_changed.connect(self._overlay_style_changed)
            overlay.visibility_changed.connect(self._overlay_shown)
            closed = getattr(self.window(), "closed", None)  # the main window's: the overlay goes with it
            if closed is not None:
                closed.connect(self._close_overlay)
        overlay.show()

    def _overlay_shown(self, shown: bool) -> None:
        self.overlay_button.setChecked(shown)
        self.side.overlay.set_shown(shown)

    def _overlay_moved(self, geometry: tuple[int, int, int, int]) -> None:
        self._change_live(overlay_geometry=tuple(geometry))

    def _overlay_style_changed(self, style: OverlayStyle) -> None:
        if self.overlay is not None:
            self.overlay.set_style(style)
        self.side.overlay.set_style(style)
        self._change_live(overlay_font_size=style.font_size, overlay_lines=style.lines,
                          overlay_opacity=round(style.opacity, 2), overlay_click_through=style.click_through,
                          overlay_reading_mode=style.reading_mode)

    # -- settings -------------------------------------------------------------------------------------
    def _change_live(self, **fields: object) -> None:
        self._pending = {**getattr(self, "_pending", {}), **fields}
        self._saver.start()

    def _save(self) -> None:
        pending, self._pending = getattr(self, "_pending", {}), {}
        if pending:
            state = self.context.state
            state.save_settings(state.settings.replace(live=state.settings.live.replace(**pending)))

    def _choice_changed(self, choice: SourceChoice) -> None:
        self._change_live(source_kind=choice.kind.value, microphone_id=choice.microphone_id or "",
                          system_id=choice.system_id or "")
        self.session_settings.set_sources(choice.kind.value)
        self._update_engine_note()
        self.devices.choice_changed()

    def _config_changed(self, config: LiveConfig) -> None:
        live = self.context.state.settings.live
        saved = config.to_settings(live)
        self._change_live(**{name: getattr(saved, name) for name in (
            "language", "operating_point", "max_delay", "enable_partials", "diarization", "max_speakers",
            "speaker_sensitivity", "vocab", "enable_entities", "translation_targets", "end_of_utterance_silence")})
        self._update_engine_note()
        if self.controller.active:
            self.controller.update_config(config)

    def _seconds_changed(self, seconds: float) -> None:
        if self.waveform is not None:
            self.waveform.set_seconds(seconds)
        self.side.view.show_seconds(seconds)
        self._change_live(waveform_seconds=float(round(seconds)))

    def _low_confidence_changed(self, threshold: float) -> None:
        self.view.set_low_confidence(threshold or None)
        self._change_live(low_confidence=round(threshold, 2))

    def _update_engine_note(self) -> None:
        config = self.session_settings.config()
        problems = config.problems(self.context.state.capabilities, self.picker.choice().kind.value)
        self.engine_note.setText("Before you start: " + " ".join(problems) if problems else "")
        set_role(self.engine_note, "SectionHint")
        self.engine_note.setVisible(bool(problems) and not self.controller.active)

    # -- the session ----------------------------------------------------------------------------------
    def _session_started(self, session: LiveSession) -> None:
        self.devices.session_levels = session.levels
        if self.waveform is None:
            return
        from studio.qt.live.waveform import Lane

        lanes = [Lane(label, ring, session.sample_rate, session.transcript_channel(label))
                 for label, ring in session.rings.items()]
        if lanes:
            self.waveform.set_lanes(lanes, clock=lambda: max(0.0, session.audio_time() - 0.06))
        else:  # the rings appear once the session has opened its sources
            QTimer.singleShot(50, lambda: self._session_started(session) if session is self.controller.session
                              else None)

    def _monitor_changed(self, monitor: SourceMonitor | None) -> None:
        """Before a session starts, the waveform shows what the chosen sources hear (the monitor's rings)."""
        if self.waveform is None or self.controller.active:
            return
        from studio.qt.live.waveform import Lane

        rings = monitor.rings if monitor is not None else {}
        self.waveform.set_lanes([Lane(label, ring, ring.samplerate or 16000, None) for label, ring in rings.items()])

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

    def _style_start(self) -> None:
        c = self.context.colors()
        color = c.error if self.controller.state.active else c.accent
        self.start_button.setStyleSheet(
            f"#StartButton {{ background: {color}; color: {c.accent_text}; font-weight: 600; border: none; "
            f"border-radius: 6px; padding: 6px 18px; }} #StartButton:disabled {{ background: {c.border}; }}")

    def _update_buttons(self) -> None:
        state = self.controller.state
        active = state.active
        self._style_start()
        self.start_button.setText({SessionState.CONNECTING: "Stop", SessionState.RUNNING: "Stop",
                                   SessionState.RECONNECTING: "Stop", SessionState.STOPPING: "Stopping…"}
                                  .get(state, "Start"))
        self.start_button.setAccessibleName("Stop captioning" if active else "Start captioning")
        self.start_button.setEnabled(state is not SessionState.STOPPING)
        self.bookmark_button.setEnabled(state in (SessionState.RUNNING, SessionState.CONNECTING))
        self.picker.set_running(active)
        self.session_settings.set_running(active)

    def _tick_status(self) -> None:
        session = self.controller.session
        state = self.controller.state
        text = STATE_TEXT.get(state, "")
        if session is not None and state in (SessionState.RUNNING, SessionState.STOPPING, SessionState.STOPPED,
                                             SessionState.FAILED):
            seconds = int(session.audio_time())
            text += f"  {seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if session is not None and state is SessionState.RUNNING:
            waiting = [WHAT[label] for label in session.channels if not session.delivering(label)]
            if waiting:
                text += f" — waiting for the {' and '.join(waiting)}"
        self.status.setText(text)
        set_role(self.status, "OkText" if state is SessionState.RUNNING else "SectionHint")
        if self._detail_until and time.monotonic() > self._detail_until:
            self._detail_until = 0.0
            self._show_recording()

    def _notice(self, event: object) -> None:
        """How the connection and the recording are doing, under the status."""
        if isinstance(event, Reconnecting):
            self.detail.setText(f"Reconnecting… (attempt {event.attempt}, in {event.retry_in:.0f} s; "
                                f"{event.buffered_seconds:.0f} s of audio waiting)")
            self.detail.setToolTip(event.reason)
            self._detail_until = 0.0
        elif isinstance(event, Reconnected):
            self.detail.setText(f"Reconnected after {event.offline_seconds:.0f} s — catching up.")
            self.detail.setToolTip("")
            self._detail_until = time.monotonic() + 8
        elif isinstance(event, RecordingChanged):
            self._recording = event
            if not self._detail_until:
                self._show_recording()

    def _show_recording(self) -> None:
        event = getattr(self, "_recording", None)
        if event is None:
            self.detail.setText("")
            return
        texts = {"recording": "● Recording — nothing is lost if the studio stops",
                 "stopped": "Saved with its audio in the sessions folder", "failed": "Recording stopped",
                 "off": "Not recorded"}
        self.detail.setText(texts.get(event.state, ""))
        self.detail.setToolTip(event.text or event.folder)

    def _problem(self, problem: Problem) -> None:
        self.banner.show_problem(problem.text, str(problem.severity), str(problem.action))

    def _problem_action(self, action: str) -> None:
        if action == "retry":
            self.start()
        elif action == "sources":
            self.picker.kind.setFocus()
        elif action == "settings":
            settings = getattr(self.window(), "settings_action", None)
            if settings is not None:
                settings.trigger()

    # -- the window -----------------------------------------------------------------------------------
    def restyle(self, color: QColor) -> None:
        self._style_start()
        self.banner.restyle()
        self.view.restyle()
        if self.waveform is not None:
            self.waveform.restyle()
        if self.overlay is not None:
            self.overlay.restyle()
        self.picker.update()

    def confirm_close(self) -> bool:
        if not self.controller.active:
            return True
        answer = QMessageBox.question(self, "Stop captioning and quit?",
                                      "A live session is running. Quitting stops it; the words still on their "
                                      "way are received first.")
        return answer == QMessageBox.StandardButton.Yes

    def _close_overlay(self) -> None:
        if self.overlay is not None:
            self.overlay.close_for_good()
            self.overlay = None


def _kind(value: str) -> SourceKind:
    try:
        return SourceKind(value)
    except ValueError:
        return SourceKind.MIC


def _overlay_style(live: object) -> OverlayStyle:
    return OverlayStyle(getattr(live, "overlay_font_size", 28), getattr(live, "overlay_lines", 2),
                        getattr(live, "overlay_opacity", 0.75), getattr(live, "overlay_click_through", False),
                        getattr(live, "overlay_reading_mode", False)).clamped()
