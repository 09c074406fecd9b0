"""A/B comparison: the voices side by side, each with its waveform; played one after the other, or switched
at the same point of the text by clicking a voice (or pressing its letter's button)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from studio.core.settings import CompareMode
from studio.qt.voices.waveform import WaveformView, clock
from studio.qt.widgets.labels import make_label
from studio.services.voices.clip import Clip, ClipState
from studio.services.voices.compare import Comparison

LETTERS = "ABCD"


def _seek_in(on_seek: Callable[[Clip, float], None], clip: Clip, seconds: float) -> None:
    on_seek(clip, seconds)


class CompareLane(QWidget):
    chosen = Signal(int)  # the lane's button: switch to (or play) this voice

    def __init__(self, index: int, name: str, summary: str, clip: Clip, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.clip = clip
        letter = LETTERS[index]
        self.setObjectName("CompareLane")
        self.title = make_label(f"{letter}  {name}", "LaneTitle")
        self.summary = make_label(summary, "SectionHint")
        self.state_label = make_label("", "SectionHint")
        self.button = QPushButton(f"Play {letter}")
        self.button.setAccessibleName(f"Play voice {letter}, {name}")
        self.button.clicked.connect(lambda: self.chosen.emit(self.index))
        self.waveform = WaveformView(placeholder="Waiting…", compact=True)
        self.waveform.setAccessibleName(f"Waveform of voice {letter}, {name}")
        self.waveform.set_clip(clip)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title)
        top.addWidget(self.summary, 1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.waveform)
        layout.addWidget(self.state_label)

    def refresh(self, playing: bool) -> None:
        self.waveform.set_active(playing)
        self.waveform.refresh()
        clip = self.clip
        state = {ClipState.PENDING: "waiting for its turn", ClipState.STREAMING: "arriving…",
                 ClipState.FAILED: "could not be made", ClipState.CANCELLED: "stopped"}.get(clip.state, "")
        length = clock(clip.duration) if clip.pcm.frames else ""
        parts = [part for part in ("playing" if playing else "", length, state) if part]
        self.state_label.setText(" · ".join(parts))


class ComparePanel(QWidget):
    mode_changed = Signal(object)  # CompareMode
    lane_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = make_label("Compare", "PanelHeading")
        self.sequence = QPushButton("One after the other")
        self.sequence.setAccessibleName("Compare one after the other")
        self.sequence.setToolTip("Each voice in turn, with a short pause between them")
        self.toggle = QPushButton("Switch at the same point")
        self.toggle.setAccessibleName("Compare by switching at the same point")
        self.toggle.setToolTip("Click another voice's button while one plays to hear it from the same point of "
                               "the text")
        group = QButtonGroup(self)
        group.setExclusive(True)
        for button in (self.sequence, self.toggle):
            button.setObjectName("ModeButton")
            button.setCheckable(True)
            group.addButton(button)
        self.sequence.setChecked(True)
        self.sequence.toggled.connect(lambda _on: self.mode_changed.emit(self.mode))
        self.hint = make_label("Tick two or more voices in the list, then Compare (Ctrl+Shift+Return): hear them "
                               "one after the other, or switch between them at the same point of the text.",
                               "SectionHint", wrap=True)
        self.lanes_box = QWidget()
        self.lanes_layout = QHBoxLayout(self.lanes_box)
        self.lanes_layout.setContentsMargins(0, 0, 0, 0)
        self.lanes_layout.setSpacing(12)
        self.lanes: list[CompareLane] = []
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.heading)
        top.addSpacing(12)
        top.addWidget(self.sequence)
        top.addSpacing(-1)
        top.addWidget(self.toggle)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.lanes_box)
        self.lanes_box.hide()

    @property
    def mode(self) -> CompareMode:
        return CompareMode.TOGGLE if self.toggle.isChecked() else CompareMode.SEQUENCE

    def set_mode(self, mode: CompareMode) -> None:
        (self.toggle if mode is CompareMode.TOGGLE else self.sequence).setChecked(True)

    def show_comparison(self, comparison: Comparison | None, describe: Callable[[str], tuple[str, str]],
                        on_seek: Callable[[Clip, float], None], position: Callable[[Clip], float | None]) -> None:
        for lane in self.lanes:
            lane.deleteLater()
        self.lanes = []
        if comparison is None:
            self.lanes_box.hide()
            self.hint.show()
            return
        for index, clip in enumerate(comparison.clips):
            name, summary = describe(clip.request.voice)
            lane = CompareLane(index, name, summary, clip)
            lane.chosen.connect(self.lane_chosen)
            lane.waveform.seek_requested.connect(partial(_seek_in, on_seek, clip))
            lane.waveform.set_position_source(partial(position, clip))
            self.lanes.append(lane)
            self.lanes_layout.addWidget(lane, 1)
        self.hint.hide()
        self.lanes_box.show()

    def refresh(self, playing: Clip | None) -> None:
        for lane in self.lanes:
            lane.refresh(lane.clip is playing)
