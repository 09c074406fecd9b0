"""The Voices workspace: hear text in a voice as it is synthesised, compare voices, save what you like.

Left: the voices (filtered by language) and the history; right: the text, the transport (Play, Stop,
Compare, Save, output device), what is playing, the clip's waveform and the A/B lanes. The work is the
controller's (``studio.qt.voices.controller``); this module lays the parts out and keeps them current from
one display-rate timer that runs only while something plays or arrives.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from studio.api.tts import OutputFormat
from studio.audio.playback import OutputDevice
from studio.core.settings import CompareMode, Settings
from studio.qt.context import WorkspaceContext
from studio.qt.voices.compare_panel import ComparePanel
from studio.qt.voices.controller import VoicesController
from studio.qt.voices.history_panel import HistoryPanel
from studio.qt.voices.status import default_file_name, now_playing, page_style, save_filters, save_target
from studio.qt.voices.text_panel import TextPanel
from studio.qt.voices.transport import TransportBar
from studio.qt.voices.voice_list import VoicePanel
from studio.qt.voices.waveform import WaveformView
from studio.qt.widgets.labels import make_label
from studio.qt.workspaces import WorkspaceSpec
from studio.services.voices.catalogue import VoiceInfo, find
from studio.services.voices.clip import Clip, ClipState, PreviewRequest
from studio.services.voices.compare import Comparison
from studio.services.voices.history import HistoryEntry

FRAME_MS = 33  # the display rate while something plays or arrives
SETTINGS_DELAY_MS = 1500  # choices are saved this long after the last change (and when the window closes)


class VoicesPage(QWidget):
    def __init__(self, context: WorkspaceContext, spec: WorkspaceSpec) -> None:
        super().__init__()
        self.context = context
        self.spec = spec
        self.setObjectName("workspace-voices")
        self.setAccessibleName(spec.heading)
        settings = context.state.settings.voices
        self.controller = VoicesController(context, self)
        self._voice = settings.voice
        self._pending_settings = False

        self.title = make_label(spec.heading, "PageTitle")
        self.engine_note = make_label("", "SectionHint")
        self.voices = VoicePanel()
        self.history = HistoryPanel(self.controller.history, self.controller.name_of)
        self.text = TextPanel()
        self.transport = TransportBar()
        self.waveform = WaveformView(placeholder="Press Play to hear the text; its waveform appears here as the "
                                                 "audio arrives. Click the waveform to play from that point.")
        self.waveform.set_position_source(lambda: self._position_of(self.waveform.clip))
        self.compare = ComparePanel()
        self.compare.set_mode(settings.compare_mode)

        left = QSplitter(Qt.Orientation.Vertical)
        left.setChildrenCollapsible(False)
        left.addWidget(self.voices)
        left.addWidget(self.history)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        left.setSizes([380, 240])
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(10)
        column.addWidget(self.text, 2)
        column.addWidget(self.transport)
        column.addWidget(self.waveform, 3)
        column.addWidget(self.compare)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([310, 610])
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.engine_note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(split, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._frame)
        self.idle_timer = QTimer(self)  # closes an idle output stream after a while
        self.idle_timer.setInterval(1000)
        self.idle_timer.timeout.connect(self._idle)
        self.settings_timer = QTimer(self)
        self.settings_timer.setSingleShot(True)
        self.settings_timer.setInterval(SETTINGS_DELAY_MS)
        self.settings_timer.timeout.connect(self.save_choices)

        c = self.controller
        c.voices_loaded.connect(self._voices_loaded)
        c.clip_changed.connect(self._clip_changed)
        c.comparison_changed.connect(self._comparison_changed)
        c.error.connect(self._show_error)
        c.saved.connect(lambda path: self.context.notify(f"Saved {path}"))
        c.devices_loaded.connect(self._devices_loaded)
        self.transport.play_button.clicked.connect(lambda: self.trigger("play"))
        self.transport.stop_button.clicked.connect(self.stop)
        self.transport.compare_button.clicked.connect(lambda: self.trigger("compare"))
        self.transport.save_button.clicked.connect(lambda: self.trigger("save"))
        self.transport.device_chosen.connect(self._device_chosen)
        self.voices.voice_chosen.connect(self._voice_chosen)
        self.voices.language_chosen.connect(lambda _language: self._choices_changed())
        self.voices.model.compared_changed.connect(self._choices_changed)
        self.voices.model.compared_changed.connect(self._update_buttons)
        self.text.text_changed.connect(self._update_buttons)
        self.compare.mode_changed.connect(self._mode_changed)
        self.compare.lane_chosen.connect(self._lane_chosen)
        self.waveform.seek_requested.connect(lambda seconds: self._seek(self.waveform.clip, seconds))
        self.history.replay_requested.connect(self._replay)
        self.history.save_requested.connect(self._save_entry)
        unsubscribe = [context.state.changed.subscribe(lambda _state: self._engine_changed()),
                       c.history.changed.subscribe(lambda history: self.text.set_recent(history.recent_texts()))]
        self.destroyed.connect(lambda *_: [undo() for undo in unsubscribe])

        self.voices.model.set_compared(settings.compare_voices)
        self._voices_loaded(c.voices)
        self._engine_changed()
        self.restyle(QColor(context.colors().muted))
        self._refresh_status()
        c.load()

    # -- the window's actions -----------------------------------------------------------------------------
    def trigger(self, action: str) -> None:
        if action == "play":
            self.play()
        elif action == "compare":
            self.compare_voices()
        elif action == "save":
            self.save_dialog()
        elif action == "stop":
            self.stop()
        else:
            self.context.notify("The Voices workspace has no transcript to search or export.")

    def play(self) -> Clip | None:
        self._show_error("")
        voice = self.chosen_voice
        clip = self.controller.play(self.text.text, voice)
        if clip is not None:
            self._start_frames()
        return clip

    def speak(self, text: str) -> Clip | None:
        """"Speak this line" from a transcript: in the chosen voice, without leaving the workspace showing."""
        self._show_error("")
        voice = self.chosen_voice
        clip = self.controller.play(text, voice, origin="a transcript line")
        if clip is not None:
            short = " ".join(text.split())
            short = short if len(short) <= 60 else short[:57] + "…"
            self.context.notify(f"Speaking “{short}” in {self.controller.name_of(voice)}")
            self._start_frames()
        else:
            self.context.notify(self.controller.failure or "That line cannot be spoken.")
        return clip

    def compare_voices(self) -> Comparison | None:
        self._show_error("")
        voices = self.voices.model.compared
        if len(voices) < 2 and self.chosen_voice not in voices:
            voices = [self.chosen_voice, *voices]
        comparison = self.controller.compare(self.text.text, voices, self.compare.mode)
        if comparison is not None:
            self._start_frames()
        return comparison

    def stop(self) -> None:
        self.controller.stop()
        self._refresh_status()

    def save_dialog(self, request: PreviewRequest | None = None) -> None:
        """Asks where to save ``request`` (default: what is on screen, else the text in the chosen voice)."""
        request = request or self._request_to_save()
        if request is None:
            return
        path, chosen = QFileDialog.getSaveFileName(self, "Save the voice preview",
                                                   str(Path.home() / default_file_name(request)), save_filters())
        if path:
            target, output_format = save_target(Path(path), chosen)
            self.save_to(target, request, output_format)

    def save_to(self, path: Path, request: PreviewRequest | None = None,
                output_format: OutputFormat | None = None) -> None:
        """Saves ``request`` (default: what is on screen, else the text in the chosen voice) to ``path``."""
        request = request or self._request_to_save()
        if request is not None:
            self.context.notify(f"Saving {path.name}…")
            self.controller.save(request, path, output_format)

    def _request_to_save(self) -> PreviewRequest | None:
        clip = self.controller.comparison.playing_clip if self.controller.comparison else self.controller.clip
        if clip is not None and clip.state is ClipState.COMPLETE:
            return clip.request
        if not self.text.text.strip():
            self._show_error("Type some text first, or play a preview, to have something to save.")
            return None
        return self.controller.request(self.text.text, self.chosen_voice)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Esc stops playback (a key no child of the page wanted: an open list or menu closes first)."""
        if event.key() == Qt.Key.Key_Escape:
            self.stop()
            event.accept()
            return
        super().keyPressEvent(event)

    def restyle(self, _color: QColor) -> None:
        self.setStyleSheet(page_style(self.context.colors()))
        self.update()

    def confirm_close(self) -> bool:
        """The window is closing: the choices are saved and the page's timers stop (the player is closed by
        the controller's shutdown clean-up)."""
        if self._pending_settings:
            self.save_choices()
        for timer in (self.timer, self.idle_timer, self.settings_timer):
            timer.stop()
        return True

    # -- state --------------------------------------------------------------------------------------------
    @property
    def chosen_voice(self) -> str:
        return self.voices.chosen or self._voice

    def _voices_loaded(self, voices: list[VoiceInfo]) -> None:
        settings = self.context.state.settings.voices
        chosen = self._voice if find(voices, self._voice) else voices[0].id if voices else self._voice
        self.voices.set_voices(voices, chosen, settings.language_filter)
        self.voices.model.set_compared(settings.compare_voices)
        self._update_buttons()

    def _engine_changed(self) -> None:
        c = self.controller
        c.reload_voices()
        self.text.set_limit(c.limit)
        if c.local:
            self.engine_note.setText("Built-in engine: eSpeak NG voices, offline")
        else:
            self.engine_note.setText(f"{self.context.state.engine.label}: Speechmatics voices")

    def _voice_chosen(self, voice: str) -> None:
        self._voice = voice
        self._choices_changed()

    def _mode_changed(self, mode: CompareMode) -> None:
        self.controller.set_compare_mode(mode)
        self._choices_changed()

    def _device_chosen(self, name: str) -> None:
        self.controller.set_device(name)
        self._choices_changed()

    def _devices_loaded(self, devices: list[OutputDevice] | str) -> None:
        note = self.transport.set_devices(devices, self.context.state.settings.voices.output_device)
        if note:
            self.transport.device_combo.setToolTip(note)
            self.context.notify(note)
            if self.transport.device_combo.currentIndex() == 0:
                self.controller.set_device("")  # until it is back (the choice stays saved)

    def _choices_changed(self) -> None:
        self._pending_settings = True
        self.settings_timer.start()

    def save_choices(self) -> None:
        """Writes the voice, compared voices, mode, language filter and device into the settings."""
        self._pending_settings = False
        state = self.context.state
        voices = state.settings.voices.replace(
            voice=self.chosen_voice, compare_voices=tuple(self.voices.model.compared),
            compare_mode=self.compare.mode, language_filter=self.voices.filter.language,
            output_device=str(self.transport.device_combo.currentData() or ""))
        if voices != state.settings.voices:
            try:
                state.save_settings(state.settings.replace(voices=voices))
            except OSError as exc:
                self.context.notify(f"The voice choices could not be saved: {exc.strerror or exc}.")

    def _update_buttons(self) -> None:
        has_text = bool(self.text.text.strip())
        self.transport.play_button.setEnabled(has_text)
        self.transport.compare_button.setEnabled(has_text)
        compared = len(self.voices.model.compared)
        self.transport.compare_button.setToolTip(
            f"Play the text in the {compared} ticked voices (Ctrl+Shift+Return)" if compared >= 2 else
            "Tick two or more voices in the list to compare them (Ctrl+Shift+Return)")

    def _show_error(self, text: str) -> None:
        self.transport.show_error(text)
        if text:
            self.context.notify(text)
            self._refresh_status()

    # -- clips on screen ----------------------------------------------------------------------------------
    def _clip_changed(self, clip: Clip | None) -> None:
        self.waveform.set_clip(clip)
        self._refresh_status()

    def _comparison_changed(self, comparison: Comparison | None) -> None:
        self.compare.show_comparison(comparison, self._describe, self._seek, self._position_of)

    def _describe(self, voice_id: str) -> tuple[str, str]:
        voice = find(self.controller.voices, voice_id)
        return (voice.name, voice.summary) if voice is not None else (voice_id, "")

    def _position_of(self, clip: Clip | None) -> float | None:
        return None if clip is None else self.controller.position_in(clip)

    def _seek(self, clip: Clip | None, seconds: float) -> None:
        if clip is not None:
            self._show_error("")
            self.controller.play_from(clip, seconds)
            self._start_frames()

    def _lane_chosen(self, index: int) -> None:
        comparison = self.controller.comparison
        if comparison is None:
            return
        if self.compare.mode is CompareMode.TOGGLE and self.controller.player.active:
            self.controller.switch(index)
        else:
            self.controller.play_from(comparison.clips[index], 0.0)
        self._start_frames()

    def _replay(self, entry: HistoryEntry) -> None:
        self._show_error("")
        self.controller.replay(entry)
        self._start_frames()

    def _save_entry(self, entry: HistoryEntry) -> None:
        self.save_dialog(entry.request)

    # -- the display-rate timer ---------------------------------------------------------------------------
    def _start_frames(self) -> None:
        self.idle_timer.stop()
        if not self.timer.isActive():
            self.timer.start()
        self._frame()

    def _frame(self) -> None:
        c = self.controller
        c.tick()
        comparison = c.comparison
        playing = comparison.playing_clip if comparison is not None else c.clip
        if comparison is not None and self.waveform.clip is not playing:
            self.waveform.set_clip(playing)
        self.waveform.refresh()
        self.compare.refresh(playing)
        self._refresh_status()
        clips = comparison.clips if comparison is not None else [c.clip] if c.clip is not None else []
        arriving = any(not clip.done for clip in clips)
        if not (c.player.active or arriving or c.busy or (comparison is not None and not comparison.finished)):
            self.timer.stop()
            if comparison is not None:
                c.record_comparison()
            self.idle_timer.start()
            self._refresh_status()

    def _idle(self) -> None:
        self.controller.player.tick()
        if not self.controller.player.stream_open:
            self.idle_timer.stop()

    def _refresh_status(self) -> None:
        c = self.controller
        text, position = now_playing(c)
        self.transport.now_label.setText(text)
        self.transport.time_label.setText(position)
        self.transport.stop_button.setEnabled(c.player.active or c.busy)

    def settings_changed(self, _settings: Settings) -> None:
        self._engine_changed()
