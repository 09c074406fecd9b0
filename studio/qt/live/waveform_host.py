"""The Live page's waveform pane: built once the page is on screen (pyqtgraph loads then, never slowing the
first frame), above the transcript; its lanes are the running session's aligned rings — or, before Start,
what the chosen sources hear (the meters' monitor) — each coloured as the speaker of its channel, with the
speech regions of the transcript shaded.

``WaveformHost(context, transcript, controller, splitter)``: ``build(monitor)``, ``session_started(session)``,
``monitor_changed(monitor)``, ``pane`` (None until built); ``seconds_changed`` is a zoom made on the pane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSplitter

from studio.core.transcript import Transcript
from studio.qt.context import WorkspaceContext
from studio.qt.live.controller import LiveController
from studio.qt.transcript import speaker_color
from studio.services.live import LiveSession, SourceMonitor

if TYPE_CHECKING:
    from studio.qt.live.waveform import Lane, WaveformPane


class WaveformHost(QObject):
    seconds_changed = Signal(float)

    def __init__(self, context: WorkspaceContext, transcript: Transcript, controller: LiveController,
                 splitter: QSplitter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.transcript = transcript
        self.controller = controller
        self.splitter = splitter
        self.pane: WaveformPane | None = None

    def build(self, monitor: SourceMonitor | None) -> None:
        if self.pane is not None:
            return
        from studio.qt.live.regions import SpeechRegions
        from studio.qt.live.waveform import WaveformPane  # pyqtgraph: imported once the page is on screen

        live = self.context.state.settings.live
        pane = self.pane = WaveformPane(self.context.colors, seconds=live.waveform_seconds)
        pane.setMinimumHeight(110)
        pane.set_lane_color(self._lane_color)
        pane.seconds_changed.connect(self.seconds_changed)
        self.splitter.insertWidget(0, pane)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([150, 600])
        pane.set_regions(SpeechRegions(self.transcript))
        if self.controller.session is not None:
            self.session_started(self.controller.session)
        elif monitor is not None:
            self.monitor_changed(monitor)

    def _lane_color(self, lane: Lane) -> QColor:
        colors = self.context.colors()
        if lane.channel is not None:  # the words of this lane are its channel's: the same colour
            speaker = self.transcript.speakers.find(lane.channel)
            if speaker is not None:
                return speaker_color(speaker.colour, colors)
        elif self.controller.active:  # one stream: the speakers inside it have the colours
            return QColor(colors.accent)
        return speaker_color(0 if lane.label == "Me" else 1, colors)  # as a two-channel session will colour them

    def session_started(self, session: LiveSession) -> None:
        if self.pane is None:
            return
        from studio.qt.live.waveform import Lane

        lanes = [Lane(label, ring, session.sample_rate, session.transcript_channel(label))
                 for label, ring in session.rings.items()]
        if lanes:
            self.pane.set_lanes(lanes, clock=lambda: max(0.0, session.audio_time() - 0.06))
        else:  # the rings appear once the session has opened its sources
            QTimer.singleShot(50, lambda: self.session_started(session) if session is self.controller.session
                              else None)

    def monitor_changed(self, monitor: SourceMonitor | None) -> None:
        """Before a session starts, the waveform shows what the chosen sources hear (the monitor's rings)."""
        if self.pane is None or self.controller.active:
            return
        from studio.qt.live.waveform import Lane

        rings = monitor.rings if monitor is not None else {}
        self.pane.set_lanes([Lane(label, ring, ring.samplerate or 16000, None) for label, ring in rings.items()])
