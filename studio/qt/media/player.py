"""Audio and video playback beside a transcript (QtMultimedia): play/pause, skip, a position slider, speed
0.5–2×, and the playing position pulled at display rate (about 30 times a second while playing) for the
transcript's highlight — never a signal per decoded frame.

Used by the Batch results viewer and the Live workspace's sessions library; ``studio.qt.media.follow``
joins it to a ``TranscriptView`` (click to seek, the playing word lit, the keys)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QSlider, QToolButton, QVBoxLayout, QWidget

from studio.qt.media.clock import clock_text
from studio.qt.widgets.labels import make_label

SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
SKIP_SECONDS = 5.0
FRAME_MS = 33


class MediaPane(QWidget):
    #: The playing position in seconds, at display rate while playing, and after every seek.
    position_changed = Signal(float)
    follow_changed = Signal(bool)
    rate_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.video = QVideoWidget()
        self.video.setAccessibleName("Video")
        self.video.setMinimumHeight(160)
        self.video.hide()
        self.player.setVideoOutput(self.video)

        self.play_button = QToolButton()
        self.play_button.setAccessibleName("Play or pause (Ctrl+Space)")
        self.play_button.setToolTip("Play or pause (Ctrl+Space)")
        self.play_button.clicked.connect(self.toggle)
        self.back_button = QToolButton()
        self.back_button.setText("« 5 s")
        self.back_button.setAccessibleName("Back 5 seconds (Alt+Left)")
        self.back_button.setToolTip("Back 5 seconds (Alt+Left)")
        self.back_button.clicked.connect(lambda: self.skip(-SKIP_SECONDS))
        self.forward_button = QToolButton()
        self.forward_button.setText("5 s »")
        self.forward_button.setAccessibleName("Forward 5 seconds (Alt+Right)")
        self.forward_button.setToolTip("Forward 5 seconds (Alt+Right)")
        self.forward_button.clicked.connect(lambda: self.skip(SKIP_SECONDS))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Playback position")
        self.slider.setRange(0, 0)
        self.slider.sliderMoved.connect(lambda value: self.seek(value / 1000))
        self.time_label = make_label("0:00 / 0:00", "SectionHint")
        self.time_label.setAccessibleName("Playback time")
        self.speed = QComboBox()
        self.speed.setAccessibleName("Playback speed")
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}×", value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda _i: self.set_rate(float(self.speed.currentData())))
        self.follow = QCheckBox("Follow")
        self.follow.setAccessibleName("Follow the playing word")
        self.follow.setToolTip("Keep the playing word in view")
        self.follow.setChecked(True)
        self.follow.toggled.connect(self.follow_changed)
        self.problem = make_label("", "ErrorText", wrap=True)
        self.problem.setAccessibleName("Playback problem")
        self.problem.hide()

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        for widget in (self.back_button, self.play_button, self.forward_button):
            controls.addWidget(widget)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.speed)
        controls.addWidget(self.follow)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.problem)

        self._pull = QTimer(self)
        self._pull.setInterval(FRAME_MS)
        self._pull.timeout.connect(self._emit_position)
        self._last = -1.0
        self.player.playbackStateChanged.connect(self._state_changed)
        self.player.durationChanged.connect(lambda ms: self.slider.setRange(0, max(0, int(ms))))
        self.player.errorOccurred.connect(self._error)
        self._state_changed()

    # -- media --------------------------------------------------------------------------------------------
    def load(self, path: Path, *, video: bool) -> None:
        self.player.stop()
        self.problem.hide()
        self._last = -1.0
        if not path.is_file():
            self.player.setSource(QUrl())
            self._say(f"The recording is no longer at {path}; the transcript is shown without playback.")
            return
        self.video.setVisible(video)
        self.player.setSource(QUrl.fromLocalFile(str(path)))

    def unload(self) -> None:
        self.player.stop()
        self.player.setSource(QUrl())

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        for widget in (self.play_button, self.back_button, self.forward_button, self.slider):
            widget.setEnabled(False)

    def _error(self, _error: QMediaPlayer.Error, text: str) -> None:
        self._say(f"The recording cannot be played ({text or 'unknown error'}); the transcript is shown without "
                  "playback.")

    # -- control ------------------------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.player.playbackState() is QMediaPlayer.PlaybackState.PlayingState

    @property
    def position(self) -> float:
        return self.player.position() / 1000

    def toggle(self) -> None:
        if self.playing:
            self.player.pause()
        else:
            self.player.play()

    def play(self) -> None:
        self.player.play()

    def pause(self) -> None:
        self.player.pause()

    def seek(self, seconds: float) -> None:
        self.player.setPosition(max(0, round(seconds * 1000)))
        self._emit_position(force=True, at=max(0.0, seconds))

    def skip(self, delta: float) -> None:
        duration = self.player.duration() / 1000
        target = self.position + delta
        self.seek(min(max(0.0, target), duration) if duration > 0 else max(0.0, target))

    def set_rate(self, rate: float) -> None:
        rate = min(2.0, max(0.5, rate))
        self.player.setPlaybackRate(rate)
        index = self.speed.findData(rate)
        if index >= 0 and index != self.speed.currentIndex():
            self.speed.setCurrentIndex(index)
        self.rate_changed.emit(rate)

    # -- the position, at display rate ----------------------------------------------------------------------
    def _state_changed(self) -> None:
        self.play_button.setText("❚❚ Pause" if self.playing else "▶ Play")
        if self.playing:
            self._pull.start()
        else:
            self._pull.stop()
            self._emit_position(force=True)

    def _emit_position(self, force: bool = False, at: float | None = None) -> None:
        seconds = self.position if at is None else at
        duration = self.player.duration() / 1000
        self.time_label.setText(f"{clock_text(seconds)} / {clock_text(duration)}")
        if not self.slider.isSliderDown():
            self.slider.setValue(int(seconds * 1000))
        if force or abs(seconds - self._last) >= 0.001:
            self._last = seconds
            self.position_changed.emit(seconds)
