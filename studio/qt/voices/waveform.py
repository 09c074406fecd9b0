"""A clip's waveform, drawn as its audio arrives, with the playing position; click to play from a point.

The view pulls what it shows: ``refresh()`` (called by the page's display-rate timer) reads how much of the
clip has arrived and where the player is, computes peaks only for the audio that is new since the last
frame, and repaints. While the clip is still arriving the time axis is its expected length (the text's
length at a typical speaking rate), so the drawing grows from the left instead of squeezing; once the clip
is complete the axis is its real length. Colours come from the palette (light and dark themes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.services.voices.clip import Clip, peaks

BUCKET = 160  # samples per peak: 10 ms at 16 kHz
SECONDS_PER_CHARACTER = 0.075  # a typical speaking rate, for the axis while a clip arrives
BAR_PITCH = 3  # pixels per bar (2 drawn, 1 gap) in the main view
BAR_PITCH_COMPACT = 2
RULER_HEIGHT = 18


def expected_seconds(text: str) -> float:
    return max(1.0, len(text.strip()) * SECONDS_PER_CHARACTER)


def clock(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


class WaveformView(QWidget):
    #: The user clicked at this many seconds into the clip (to play from there).
    seek_requested = Signal(float)

    def __init__(self, *, placeholder: str = "", compact: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VoiceWaveform")
        self.setAccessibleName("Clip waveform")
        self.setAccessibleDescription("The audio of the preview; click a point to play from there.")
        self.setMinimumHeight(44 if compact else 84)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._placeholder = placeholder
        self._compact = compact
        self._clip: Clip | None = None
        self._peaks: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._position: Callable[[], float | None] = lambda: None
        self._active = False

    # -- what it shows ------------------------------------------------------------------------------------
    @property
    def clip(self) -> Clip | None:
        return self._clip

    def set_clip(self, clip: Clip | None) -> None:
        if clip is not self._clip:
            self._clip = clip
            self._peaks = np.zeros(0, dtype=np.float32)
            self.refresh()

    def set_position_source(self, position: Callable[[], float | None]) -> None:
        """Where the player is in this clip (seconds), or None when it is not playing this clip."""
        self._position = position

    def set_active(self, active: bool) -> None:
        """Whether this clip is the one the listener hears (highlighted)."""
        if active != self._active:
            self._active = active
            self.update()

    @property
    def peak_count(self) -> int:
        return len(self._peaks)

    def refresh(self) -> None:
        clip = self._clip
        if clip is not None:
            have = len(self._peaks) * BUCKET
            arrived = clip.pcm.frames
            whole = arrived - arrived % BUCKET
            if whole > have:
                self._peaks = np.concatenate((self._peaks, peaks(clip.pcm.view(have, whole), BUCKET)))
            elif clip.pcm.complete and arrived > have:  # the last, partial bucket
                tail = clip.pcm.view(have, arrived)
                self._peaks = np.append(self._peaks, np.float32(np.abs(tail.astype(np.int32)).max() / 32768))
        self.update()

    def span(self) -> float:
        """The seconds the width stands for."""
        clip = self._clip
        if clip is None:
            return 1.0
        if clip.pcm.complete:
            return max(clip.duration, 0.01)
        return max(clip.duration, expected_seconds(clip.request.text))

    def x_for(self, seconds: float) -> float:
        return seconds / self.span() * max(1, self.width())

    def seconds_at(self, x: float) -> float:
        seconds = x / max(1, self.width()) * self.span()
        clip = self._clip
        return min(max(0.0, seconds), clip.duration if clip is not None else 0.0)

    # -- input --------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        clip = self._clip
        if event.button() == Qt.MouseButton.LeftButton and clip is not None and clip.pcm.frames:
            self.seek_requested.emit(self.seconds_at(event.position().x()))
            event.accept()
            return
        super().mousePressEvent(event)

    # -- drawing ------------------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight if self._active else QPalette.ColorRole.Mid),
                            1.5 if self._active else 1.0))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 6, 6)
        clip = self._clip
        if clip is None or not len(self._peaks):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            text = self._placeholder if clip is None else "Waiting for the first audio…"
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        ruler = 0 if self._compact else RULER_HEIGHT
        width = max(1, int(rect.width()) - 8)
        middle = rect.top() + (rect.height() - ruler) / 2
        half = (rect.height() - ruler) / 2 - (4 if self._compact else 8)
        span = self.span()
        pitch = BAR_PITCH_COMPACT if self._compact else BAR_PITCH  # a bar and the gap after it, in pixels
        bars = max(1, width // pitch)
        levels = self._columns(bars, span * 16000 / BUCKET)
        position = self._position()
        played_x = -1.0 if position is None else 4 + position / span * width
        played = QPen(palette.color(QPalette.ColorRole.Highlight), pitch - 1.0, Qt.PenStyle.SolidLine,
                      Qt.PenCapStyle.FlatCap)
        rest_color = QColor(palette.color(QPalette.ColorRole.Text))
        rest_color.setAlphaF(0.42 if self._active or position is None else 0.3)
        rest = QPen(rest_color, pitch - 1.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
        lines_played: list[QLineF] = []
        lines_rest: list[QLineF] = []
        for bar, level in enumerate(levels):
            x = 4 + bar * pitch + (pitch - 1) / 2
            height = max(0.75, float(np.sqrt(level)) * half)  # square-root law: quiet speech stays visible
            line = QLineF(x, middle - height, x, middle + height)
            (lines_played if x <= played_x else lines_rest).append(line)
        painter.setPen(rest)
        painter.drawLines(lines_rest)
        painter.setPen(played)
        painter.drawLines(lines_played)
        if ruler:
            self._draw_ruler(painter, rect, width, span)
        if not clip.pcm.complete:  # where the audio has got to
            edge = 4 + clip.duration / span * width
            arriving = QColor(palette.color(QPalette.ColorRole.Highlight))
            arriving.setAlphaF(0.35)
            painter.setPen(QPen(arriving, 1.0, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(edge, rect.top() + 3), QPointF(edge, rect.bottom() - 3))
        if position is not None:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), 2.0))
            painter.drawLine(QPointF(played_x, rect.top() + 2), QPointF(played_x, rect.bottom() - 2))
        painter.end()

    def _draw_ruler(self, painter: QPainter, rect: QRectF, width: int, span: float) -> None:
        """Seconds along the bottom, as far apart as reads well (1, 2, 5, 10… s)."""
        palette = self.palette()
        muted = QColor(palette.color(QPalette.ColorRole.Text))
        muted.setAlphaF(0.55)
        painter.setPen(QPen(muted, 1.0))
        metrics = painter.fontMetrics()
        step = next((s for s in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300) if s / span * width >= 64), 600)
        baseline = rect.bottom() - 4
        tick = 0.0
        while tick <= span + 1e-6:
            x = 4 + tick / span * width
            label = clock(tick).removesuffix(".0") if step >= 1 else clock(tick)
            painter.drawLine(QPointF(x, baseline - RULER_HEIGHT + 6), QPointF(x, baseline - RULER_HEIGHT + 9))
            if x + metrics.horizontalAdvance(label) < rect.right() - 2:
                painter.drawText(QPointF(x + 3, baseline), label)
            tick += step

    def _columns(self, width: int, total_buckets: float) -> npt.NDArray[np.float32]:
        """The loudest peak under each pixel column that has audio."""
        have = len(self._peaks)
        per_column = max(total_buckets / width, 1e-6)
        starts = (np.arange(width) * per_column).astype(np.int64)
        starts = starts[starts < have]
        if not len(starts):
            return np.zeros(0, dtype=np.float32)
        if per_column < 1:  # fewer buckets than pixels: repeat them
            column_peaks: npt.NDArray[np.float32] = self._peaks[starts]
            return column_peaks
        # One or more buckets per column, starts strictly increasing: the maximum of each column's run.
        maxima: npt.NDArray[np.float32] = np.maximum.reduceat(self._peaks, starts)
        return maxima
