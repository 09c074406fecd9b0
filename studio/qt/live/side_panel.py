"""The Live workspace's side panel: the session's settings, the caption overlay's style, and the view's.

``OverlayControls`` edits an ``OverlayStyle`` (text size up to very large, lines, background opacity,
click-through, reading mode) and has the Show/Hide button; ``ViewControls`` the waveform's span and the
marking of low-confidence words. ``SidePanel`` stacks them with the ``SessionSettingsPanel`` in a scroll
area. Each emits plain values; the page keeps them in the settings.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.qt.live.envelope import MAX_SECONDS, MIN_SECONDS
from studio.qt.live.overlay import MAX_FONT, MAX_LINES, MIN_FONT, OverlayStyle
from studio.qt.live.session_settings import SessionSettingsPanel
from studio.services.live import LiveConfig


class OverlayControls(QGroupBox):
    style_changed = Signal(object)  # OverlayStyle
    toggle_requested = Signal()

    def __init__(self, style: OverlayStyle, parent: QWidget | None = None) -> None:
        super().__init__("Caption overlay", parent)
        self.setAccessibleName("Caption overlay settings")
        self._loading = True
        self.show_button = QPushButton("Show the overlay")
        self.show_button.setAccessibleName("Show or hide the caption overlay")
        self.show_button.setToolTip("Ctrl+Shift+C")
        self.show_button.clicked.connect(self.toggle_requested)
        self.font_size = QSpinBox()
        self.font_size.setRange(MIN_FONT, MAX_FONT)
        self.font_size.setSuffix(" px")
        self.font_size.setAccessibleName("Overlay text size")
        self.lines = QSpinBox()
        self.lines.setRange(1, MAX_LINES)
        self.lines.setAccessibleName("Overlay lines")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setAccessibleName("Overlay background opacity")
        self.click_through = QCheckBox("Click-through")
        self.click_through.setToolTip("The mouse passes through the overlay to the window below it.")
        self.click_through.setAccessibleName("Overlay click-through")
        self.reading_mode = QCheckBox("Reading mode (finals only)")
        self.reading_mode.setAccessibleName("Overlay reading mode")
        self.reading_mode.setToolTip("No words that change as they settle: each line appears once it is final.")
        form = QFormLayout(self)
        form.addRow(self.show_button)
        form.addRow("Text size", self.font_size)
        form.addRow("Lines", self.lines)
        form.addRow("Background", self.opacity)
        form.addRow(self.reading_mode)
        form.addRow(self.click_through)
        self.set_style(style)
        for spin in (self.font_size, self.lines):
            spin.valueChanged.connect(self._edited)
        self.opacity.valueChanged.connect(self._edited)
        for box in (self.click_through, self.reading_mode):
            box.toggled.connect(self._edited)
        self._loading = False

    def set_style(self, style: OverlayStyle) -> None:
        loading, self._loading = self._loading, True
        self.font_size.setValue(style.font_size)
        self.lines.setValue(style.lines)
        self.opacity.setValue(round(style.opacity * 100))
        self.click_through.setChecked(style.click_through)
        self.reading_mode.setChecked(style.reading_mode)
        self._loading = loading

    def style_(self) -> OverlayStyle:
        return OverlayStyle(self.font_size.value(), self.lines.value(), self.opacity.value() / 100,
                            self.click_through.isChecked(), self.reading_mode.isChecked())

    def set_shown(self, shown: bool) -> None:
        self.show_button.setText("Hide the overlay" if shown else "Show the overlay")

    def _edited(self) -> None:
        if not self._loading:
            self.style_changed.emit(self.style_())


class ViewControls(QGroupBox):
    seconds_changed = Signal(float)
    low_confidence_changed = Signal(float)  # 0: off

    def __init__(self, seconds: float, low_confidence: float, parent: QWidget | None = None) -> None:
        super().__init__("View", parent)
        self.setAccessibleName("View settings")
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(MIN_SECONDS, MAX_SECONDS)
        self.seconds.setDecimals(0)
        self.seconds.setSuffix(" s")
        self.seconds.setValue(seconds)
        self.seconds.setAccessibleName("Waveform span")
        self.seconds.setToolTip("How many seconds the waveform shows (or scroll the wheel over it).")
        self.low_confidence = QDoubleSpinBox()
        self.low_confidence.setRange(0.0, 0.95)
        self.low_confidence.setSingleStep(0.05)
        self.low_confidence.setDecimals(2)
        self.low_confidence.setSpecialValueText("Off")
        self.low_confidence.setValue(low_confidence)
        self.low_confidence.setAccessibleName("Mark words below this confidence")
        self.low_confidence.setToolTip("Words the service is less sure of than this are underlined.")
        form = QFormLayout(self)
        form.addRow("Waveform span", self.seconds)
        form.addRow("Mark unsure words", self.low_confidence)
        self.seconds.valueChanged.connect(self.seconds_changed)
        self.low_confidence.valueChanged.connect(self.low_confidence_changed)

    def show_seconds(self, seconds: float) -> None:
        self.seconds.blockSignals(True)
        self.seconds.setValue(round(seconds))
        self.seconds.blockSignals(False)


class SidePanel(QScrollArea):
    def __init__(self, config: LiveConfig, style: OverlayStyle, seconds: float, low_confidence: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LiveSidePanel")
        self.setAccessibleName("Live settings")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.session = SessionSettingsPanel(config)
        session_box = QGroupBox("Session")
        session_box.setAccessibleName("Session settings")
        QVBoxLayout(session_box).addWidget(self.session)
        self.overlay = OverlayControls(style)
        self.view = ViewControls(seconds, low_confidence)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 6, 0)
        column.addWidget(session_box)
        column.addWidget(self.overlay)
        column.addWidget(self.view)
        column.addStretch(1)
        self._column = column
        self.setWidget(inner)
        inner.setMinimumWidth(0)
        self.setMinimumWidth(300)
        self.setMaximumWidth(420)

    def add_section(self, section: QWidget) -> None:
        """Another group of settings, below the others (the page's Recording settings)."""
        self._column.insertWidget(self._column.count() - 1, section)
