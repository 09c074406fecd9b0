"""The waveform pane: the last N seconds of each source, one lane each ("Me" and "Them"), scrolling.

Drawn with pyqtgraph on a display-rate timer from the sources' rings (``Envelope`` reads only what arrived
since the last frame; nothing is pushed per audio block). The x axis is "seconds before now", so it never
changes while scrolling; the lanes' curves and their speech shading (``SpeechRegions``, from the
transcript's word times) sit at audio time and are moved left as time passes, which keeps a frame cheap.
The mouse wheel (or ``set_seconds``) zooms between 2 and 60 seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.audio.ring import AudioRing
from studio.qt.live.envelope import MAX_SECONDS, MIN_SECONDS, Envelope
from studio.qt.live.regions import SpeechRegions
from studio.qt.theme import Colors

LANE_GAP = 2.3  # lane centres are this far apart; a lane spans -1..1 around its centre


@dataclass(frozen=True)
class Lane:
    label: str  # shown at the lane's left ("Me", "Them", or the source's name)
    ring: AudioRing
    samplerate: int
    channel: str | None  # the transcript channel whose words shade this lane
    offset: float = 0.0  # audio time of the ring's first frame


def _display(values: np.ndarray) -> np.ndarray:
    """Amplitude to lane height: a square-root law, so quiet speech is still visible."""
    shown: np.ndarray = np.sign(values) * np.sqrt(np.abs(values)) * 0.95
    return shown


class SpansItem(pg.GraphicsObject):  # type: ignore[misc]
    """Speech spans of one lane as shaded rectangles, in audio-time coordinates: the final spans (rebuilt only
    when they change) and the open partial's (moved many times a second, cheaply)."""

    def __init__(self) -> None:
        super().__init__()
        self._finals: list[QRectF] = []
        self._partial: QRectF | None = None
        self._brush = QBrush(QColor(0, 0, 0, 0))
        self._partial_brush = QBrush(QColor(0, 0, 0, 0))
        self._finals_bounds = QRectF()
        self._bounds = QRectF()

    def set_color(self, color: QColor) -> None:
        final = QColor(color)
        final.setAlpha(46)
        partial = QColor(color)
        partial.setAlpha(22)
        self._brush, self._partial_brush = QBrush(final), QBrush(partial)
        self.update()

    def set_finals(self, finals: Sequence[tuple[float, float]]) -> None:
        self._finals = [QRectF(s, -1.0, max(e - s, 0.02), 2.0) for s, e in finals]
        bounds = QRectF()
        for rect in self._finals:
            bounds = bounds.united(rect)
        self._finals_bounds = bounds
        self._changed()

    def set_partial(self, partial: tuple[float, float] | None) -> None:
        rect = QRectF(partial[0], -1.0, max(partial[1] - partial[0], 0.02), 2.0) if partial else None
        if rect != self._partial:
            self._partial = rect
            self._changed()

    def set_spans(self, finals: Sequence[tuple[float, float]], partial: tuple[float, float] | None) -> None:
        self.set_finals(finals)
        self.set_partial(partial)

    def _changed(self) -> None:
        self.prepareGeometryChange()
        self._bounds = self._finals_bounds.united(self._partial) if self._partial else QRectF(self._finals_bounds)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._bounds

    def paint(self, painter: QPainter, *_args: object) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        if self._finals:
            painter.setBrush(self._brush)
            painter.drawRects(self._finals)
        if self._partial is not None:
            painter.setBrush(self._partial_brush)
            painter.drawRect(self._partial)


class EnvelopeItem(pg.GraphicsObject):  # type: ignore[misc]
    """One lane's min/max envelope as one filled outline (highs left to right, lows back), in audio-time
    coordinates: a bare path, which costs far less than PlotCurveItem's bounds and pixel bookkeeping."""

    def __init__(self) -> None:
        super().__init__()
        self._path = QPainterPath()
        self._bounds = QRectF()
        self._brush = QBrush()

    def set_color(self, color: QColor) -> None:
        self._brush = QBrush(color)
        self.update()

    def set_outline(self, times: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> None:
        self.prepareGeometryChange()
        if times.size:
            x = np.concatenate((times, times[::-1]))
            y = np.concatenate((highs, lows[::-1]))
            path = pg.arrayToQPath(x, y, connect="all")
            path.closeSubpath()
        else:
            path = QPainterPath()
        self._path = path
        self._bounds = path.boundingRect()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._bounds

    def paint(self, painter: QPainter, *_args: object) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawPath(self._path)


class _LaneItems:
    def __init__(self, group: pg.ItemGroup, lane: Lane, centre: float) -> None:
        self.lane = lane
        self.centre = centre
        self.envelope = Envelope(lane.samplerate)
        self.envelope.reset(lane.offset)
        self.spans = SpansItem()
        self.curve = EnvelopeItem()
        self.spans.setZValue(-1)
        self.spans.setParentItem(group)
        self.spans.setPos(0.0, centre)
        self.curve.setParentItem(group)
        self.spans_version = -1
        self.finals_version = -1
        self.drawn_bins = -1
        self.drawn_columns = -1

    def remove(self) -> None:
        for item in (self.spans, self.curve):
            scene = item.scene()
            if scene is not None:
                scene.removeItem(item)


class WaveformPane(QWidget):
    #: The zoom changed (seconds shown), by the wheel or ``set_seconds``.
    seconds_changed = Signal(float)

    def __init__(self, colors: Callable[[], Colors], *, seconds: float = 10.0, fps: float = 60.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WaveformPane")
        self.setAccessibleName("Waveform")
        self.setAccessibleDescription("The last seconds of audio of each source; shaded where words were heard")
        self._colors = colors
        self._seconds = min(max(seconds, MIN_SECONDS), MAX_SECONDS)
        self._lanes: list[_LaneItems] = []
        self._regions: SpeechRegions | None = None
        self._clock: Callable[[], float] | None = None
        self._lane_color: Callable[[Lane], QColor] = lambda _lane: QColor(self._colors().accent)
        self.frames = 0  # frames drawn (benchmarks and tests read it)

        pg.setConfigOptions(antialias=False, useOpenGL=False)
        self.plot_widget = pg.PlotWidget(enableMenu=False)
        self.plot_widget.setAccessibleName("Waveform plot")
        self.plot_widget.setMinimumHeight(90)
        self.plot_widget.setFrameShape(pg.QtWidgets.QFrame.Shape.NoFrame)
        self.plot_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.hideAxis("left")
        self.plot.setMenuEnabled(False)
        self.plot.disableAutoRange()
        self.plot.getViewBox().setDefaultPadding(0.0)
        self.plot.getViewBox().wheelEvent = lambda event, axis=None: event.ignore()
        self._group = pg.ItemGroup()  # the lanes' items, at audio time; moved left as time passes
        self.plot.addItem(self._group)
        axis = self.plot.getAxis("bottom")
        axis.setHeight(22)
        axis.enableAutoSIPrefix(False)
        self.plot_widget.wheelEvent = self._wheel

        self._names = QVBoxLayout()
        self._names.setContentsMargins(6, 6, 6, 26)
        self._name_labels: list[QLabel] = []
        self.placeholder = QLabel("The waveform of each source shows here while a session runs.")
        self.placeholder.setObjectName("SectionHint")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setAccessibleName("Waveform placeholder")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self._names)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.placeholder, 1)
        self.plot_widget.hide()

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(1, round(1000 / fps)))
        self._timer.timeout.connect(self.tick)
        self._apply_ranges()
        self.restyle()

    # -- configuration ------------------------------------------------------------------------------------
    @property
    def seconds(self) -> float:
        return self._seconds

    def set_seconds(self, seconds: float) -> None:
        seconds = min(max(seconds, MIN_SECONDS), MAX_SECONDS)
        if abs(seconds - self._seconds) > 1e-6:
            self._seconds = seconds
            self._apply_ranges()
            for items in self._lanes:
                items.drawn_bins = -1
            self.seconds_changed.emit(seconds)
            self.tick()

    def set_fps(self, fps: float) -> None:
        self._timer.setInterval(max(1, round(1000 / fps)))

    def set_lane_color(self, color_for: Callable[[Lane], QColor]) -> None:
        self._lane_color = color_for
        self.restyle()

    def set_lanes(self, lanes: Sequence[Lane], clock: Callable[[], float] | None = None) -> None:
        """Shows ``lanes`` (at most two); ``clock`` gives the audio time "now" (default: the newest audio)."""
        for items in self._lanes:
            items.remove()
        for label in self._name_labels:
            label.deleteLater()
        self._name_labels = []
        self._lanes = [_LaneItems(self._group, lane, -i * LANE_GAP) for i, lane in enumerate(lanes[:2])]
        self._clock = clock
        for index, items in enumerate(self._lanes):
            label = QLabel(items.lane.label)
            label.setObjectName("WaveformLane")
            label.setAccessibleName(f"Lane {index + 1}: {items.lane.label}")
            self._names.addWidget(label, 1)
            self._name_labels.append(label)
        self._apply_ranges()
        self.restyle()
        self.plot_widget.setVisible(bool(self._lanes))
        self.placeholder.setVisible(not self._lanes)
        if self._lanes:
            self.start()
        else:
            self.stop()

    def lanes(self) -> list[Lane]:
        return [items.lane for items in self._lanes]

    def set_regions(self, regions: SpeechRegions | None) -> None:
        self._regions = regions
        for items in self._lanes:
            items.spans_version = -1
            items.finals_version = -1

    def start(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def restyle(self) -> None:
        colors = self._colors()
        self.plot_widget.setBackground(QColor(colors.base))
        self.setStyleSheet(f"#WaveformPane {{ background: {colors.base}; border: 1px solid {colors.border}; }}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        axis = self.plot.getAxis("bottom")
        axis.setPen(QPen(QColor(colors.border)))
        axis.setTextPen(QPen(QColor(colors.muted)))
        for items, label in zip(self._lanes, self._name_labels, strict=True):
            color = self._lane_color(items.lane)
            items.curve.set_color(color)
            items.spans.set_color(color)
            label.setStyleSheet(f"color: {color.name()}; font-weight: 600;")

    # -- drawing ------------------------------------------------------------------------------------------
    def _apply_ranges(self) -> None:
        lanes = max(1, len(self._lanes))
        self.plot.setXRange(-self._seconds, 0.0, padding=0.0)
        self.plot.setYRange(-(lanes - 1) * LANE_GAP - 1.05, 1.05, padding=0.0)
        ticks = _ticks(self._seconds)
        self.plot.getAxis("bottom").setTicks([[(t, "now" if t == 0 else f"−{-t:g} s") for t in ticks], []])

    def now(self) -> float:
        if self._clock is not None:
            return self._clock()
        return max((items.envelope.end_time for items in self._lanes), default=0.0)

    def tick(self) -> None:
        """One frame: fold in new audio, move the lanes to "now", redraw what changed."""
        if not self._lanes or not self.isVisible():
            return
        for items in self._lanes:
            items.envelope.update(items.lane.ring)
        now = self.now()
        columns = max(50, self.plot_widget.width() // 2)
        start = now - self._seconds - 0.5
        for items in self._lanes:
            envelope = items.envelope
            if envelope.bins != items.drawn_bins or columns != items.drawn_columns:
                times, lows, highs = envelope.window(start, now + 0.5, columns)
                lows = np.minimum(_display(lows), -0.02) + items.centre
                highs = np.maximum(_display(highs), 0.02) + items.centre
                items.curve.set_outline(times, lows, highs)
                items.drawn_bins = envelope.bins
                items.drawn_columns = columns
            regions = self._regions
            if regions is not None and regions.version != items.spans_version:
                channel = items.lane.channel
                if regions.finals_version != items.finals_version:
                    items.spans.set_finals(regions.finals(channel, now - MAX_SECONDS - 1, now + 1))
                    items.finals_version = regions.finals_version
                items.spans.set_partial(regions.partial(channel))
                items.spans_version = regions.version
        self._group.setPos(-now, 0.0)  # one move scrolls every lane
        self.frames += 1

    def _wheel(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.set_seconds(self._seconds * (0.8 ** steps))
        event.accept()


def _ticks(seconds: float) -> list[float]:
    step = next(s for s in (0.5, 1, 2, 5, 10, 15, 30, 60) if seconds / s <= 6)
    count = int(seconds // step)
    return [-i * step for i in range(count, -1, -1)]
