"""Play, Stop, Compare, Save and the output device, with what is playing now and any error, in words."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QStyle, QVBoxLayout, QWidget

from studio.audio.playback import OutputDevice
from studio.qt.widgets.labels import make_label

DEFAULT_DEVICE = "System default output"


def _button(text: str, name: str, tip: str, icon: QStyle.StandardPixmap | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    if icon is not None:
        button.setIcon(button.style().standardIcon(icon))
    return button


class TransportBar(QWidget):
    device_chosen = Signal(str)  # a device name; "" for the system default

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pixmap = QStyle.StandardPixmap
        self.play_button = _button("Play", "Play", "Play the text in the chosen voice (Ctrl+Return)",
                                   pixmap.SP_MediaPlay)
        self.play_button.setObjectName("PrimaryButton")
        self.play_button.setDefault(True)
        self.stop_button = _button("Stop", "Stop", "Stop playing, and any request in flight (Esc)",
                                   pixmap.SP_MediaStop)
        self.compare_button = _button("Compare", "Compare voices",
                                      "Play the text in every ticked voice (Ctrl+Shift+Return)")
        self.save_button = _button("Save…", "Save the preview", "Save the audio as WAV or raw PCM (Ctrl+S)",
                                   pixmap.SP_DialogSaveButton)
        self.device_combo = QComboBox()
        self.device_combo.setAccessibleName("Output device")
        self.device_combo.setToolTip("Where previews are played (remembered)")
        self.device_combo.setMinimumContentsLength(14)
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.addItem(DEFAULT_DEVICE, "")
        self.device_combo.activated.connect(lambda _i: self.device_chosen.emit(str(self.device_combo.currentData())))
        device_label = make_label("Output", "SectionHint")
        device_label.setBuddy(self.device_combo)

        self.now_label = make_label("", "NowPlaying")
        self.now_label.setAccessibleName("Now playing")
        self.now_label.setTextFormat(Qt.TextFormat.PlainText)
        self.time_label = make_label("", "SectionHint")
        self.time_label.setAccessibleName("Playing position")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error_label = make_label("", "ErrorText", wrap=True)
        self.error_label.setAccessibleName("Problem")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.play_button, self.stop_button, self.compare_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(device_label)
        buttons.addWidget(self.device_combo)
        status = QHBoxLayout()
        status.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.now_label, 1)
        status.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(buttons)
        layout.addLayout(status)
        layout.addWidget(self.error_label)

    def set_devices(self, devices: Sequence[OutputDevice] | str, chosen: str) -> str | None:
        """Fills the device box; returns a note when the remembered device is not there now."""
        self.device_combo.clear()
        self.device_combo.addItem(DEFAULT_DEVICE, "")
        if isinstance(devices, str):
            self.device_combo.setToolTip(devices)
            return devices
        for device in devices:
            label = f"{device.name} ({device.host_api})" if device.host_api else device.name
            self.device_combo.addItem(label, device.name)
        index = self.device_combo.findData(chosen)
        self.device_combo.setCurrentIndex(max(0, index))
        if chosen and index < 0:
            return f"The output device “{chosen}” is not connected; previews play on the system default."
        return None

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
