"""The source picker: what the session listens to — a microphone, system audio, or both — with a level
meter per source.

``set_sources(sources)`` fills the device lists (called again whenever the devices change; the choice is
kept by id, and a remembered device that is missing is shown as such rather than silently replaced).
``choice()`` is the ``SourceChoice``; ``choice_changed`` is emitted when the user changes it (the page keeps
it in the settings and re-opens the meters). ``set_levels({"Me": peak, "Them": peak})`` is pulled by the
page at display rate. The note about system audio (macOS needs a virtual device; no loopback found) is
shown right under the system-audio list, where the choice is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSizePolicy, QWidget

from studio.qt.live.meter import LevelMeter
from studio.qt.theme import Colors
from studio.qt.widgets.labels import make_label
from studio.services.live import SourceChoice, SourceKind, Sources

KIND_LABELS = {SourceKind.MIC: "Microphone", SourceKind.SYSTEM: "System audio",
               SourceKind.BOTH: "Microphone + system audio"}
ME, THEM = "Me", "Them"
DEFAULT = ""  # the id of "the default device"


class SourcePicker(QWidget):
    choice_changed = Signal(object)  # SourceChoice

    def __init__(self, colors: Callable[[], Colors], choice: SourceChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SourcePicker")
        self.setAccessibleName("Audio sources")
        self._loading = True
        self.kind = QComboBox()
        self.kind.setAccessibleName("Listen to")
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind.value)
        self.microphone = QComboBox()
        self.microphone.setAccessibleName("Microphone")
        self.system = QComboBox()
        self.system.setAccessibleName("System audio source")
        for combo in (self.microphone, self.system):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(18)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.meters = {ME: LevelMeter(colors, "Microphone level"), THEM: LevelMeter(colors, "System audio level")}
        for meter in self.meters.values():
            meter.setMaximumWidth(160)
        self.microphone_label = QLabel("Me")
        self.system_label = QLabel("Them")
        self.note = make_label("", "SectionHint", wrap=True)
        self.note.setAccessibleName("About system audio")
        self.microphone_note = make_label("", "SectionHint", wrap=True)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.addWidget(QLabel("Listen to"), 0, 0)
        grid.addWidget(self.kind, 0, 1, 1, 2)
        grid.addWidget(self.microphone_label, 1, 0)
        grid.addWidget(self.microphone, 1, 1)
        grid.addWidget(self.meters[ME], 1, 2)
        grid.addWidget(self.microphone_note, 2, 1, 1, 2)
        grid.addWidget(self.system_label, 3, 0)
        grid.addWidget(self.system, 3, 1)
        grid.addWidget(self.meters[THEM], 3, 2)
        grid.addWidget(self.note, 4, 1, 1, 2)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 1)

        self._sources: Sources | None = None
        self._wanted = choice  # what the user chose, kept while the devices come and go
        self.kind.setCurrentIndex(max(0, self.kind.findData(choice.kind.value)))
        self.kind.currentIndexChanged.connect(self._edited)
        self.microphone.currentIndexChanged.connect(self._edited)
        self.system.currentIndexChanged.connect(self._edited)
        self._fill(self.microphone, (), choice.microphone_id or DEFAULT, "microphone")
        self._fill(self.system, (), choice.system_id or DEFAULT, "output")
        self._loading = False
        self._update_visibility()

    # -- devices ------------------------------------------------------------------------------------------
    def set_sources(self, sources: Sources) -> None:
        if sources == self._sources:
            return
        self._sources = sources
        loading, self._loading = self._loading, True
        self._fill(self.microphone, [(s.id, s.label) for s in sources.microphones],
                   self._wanted.microphone_id or DEFAULT, "microphone")
        self._fill(self.system, [(s.id, s.label) for s in sources.system], self._wanted.system_id or DEFAULT,
                   "output")
        self._loading = loading
        self.note.setText(sources.note or "")
        self.microphone_note.setText(sources.microphone_note or "")
        self._update_visibility()

    def _fill(self, combo: QComboBox, items: list[tuple[str, str]] | tuple[()], wanted: str, what: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(f"Default {what}", DEFAULT)
        for source_id, label in items:
            combo.addItem(label, source_id)
        index = combo.findData(wanted)
        if index < 0 and wanted.startswith("file:"):  # a recording played as if it were the device
            combo.addItem(f"File: {Path(wanted[5:]).name}", wanted)
            index = combo.count() - 1
        elif index < 0 and wanted:
            # The remembered device is not here now: keep it chosen and say so, rather than swap devices.
            combo.addItem(f"{_short(wanted)} (not connected)", wanted)
            index = combo.count() - 1
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    # -- the choice ---------------------------------------------------------------------------------------
    def choice(self) -> SourceChoice:
        return SourceChoice(SourceKind(str(self.kind.currentData())), str(self.microphone.currentData() or "")
                            or None, str(self.system.currentData() or "") or None)

    def set_choice(self, choice: SourceChoice) -> None:
        self._wanted = choice
        loading, self._loading = self._loading, True
        self.kind.setCurrentIndex(max(0, self.kind.findData(choice.kind.value)))
        self._fill(self.microphone, _listed(self.microphone), choice.microphone_id or DEFAULT, "microphone")
        self._fill(self.system, _listed(self.system), choice.system_id or DEFAULT, "output")
        self._loading = loading
        self._update_visibility()

    def _edited(self) -> None:
        self._update_visibility()
        if self._loading:
            return
        self._wanted = self.choice()
        self.choice_changed.emit(self._wanted)

    def _update_visibility(self) -> None:
        kind = SourceKind(str(self.kind.currentData()))
        mic = kind in (SourceKind.MIC, SourceKind.BOTH)
        system = kind in (SourceKind.SYSTEM, SourceKind.BOTH)
        for widget in (self.microphone_label, self.microphone, self.meters[ME]):
            widget.setVisible(mic)
        self.microphone_note.setVisible(mic and bool(self.microphone_note.text()))
        for widget in (self.system_label, self.system, self.meters[THEM]):
            widget.setVisible(system)
        self.note.setVisible(system and bool(self.note.text()))
        both = kind is SourceKind.BOTH
        self.microphone_label.setText("Me" if both else "Device")
        self.system_label.setText("Them" if both else "Device")

    def set_running(self, running: bool) -> None:
        for combo in (self.kind, self.microphone, self.system):
            combo.setEnabled(not running)
            combo.setToolTip("The sources are fixed while a session runs; stop to change them." if running else "")

    # -- meters -------------------------------------------------------------------------------------------
    def set_levels(self, levels: Mapping[str, float]) -> None:
        for channel, meter in self.meters.items():
            meter.set_level(levels.get(channel))


def _listed(combo: QComboBox) -> list[tuple[str, str]]:
    """The devices a list holds (not its "Default" entry nor a remembered one that is missing, nor a file)."""
    return [(str(combo.itemData(i)), combo.itemText(i)) for i in range(1, combo.count())
            if not combo.itemText(i).endswith("(not connected)") and not str(combo.itemData(i)).startswith("file:")]


def _short(source_id: str) -> str:
    name = source_id.split(":", 1)[-1]
    return name if len(name) <= 40 else name[:37] + "…"
