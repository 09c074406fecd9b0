"""The three workspaces. Each starts as an honest empty state: what it will do, and what is ready now."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from studio.qt.resources import icon
from studio.qt.widgets.empty_state import EmptyState


@dataclass(frozen=True)
class WorkspaceSpec:
    key: str
    title: str
    heading: str
    icon: str
    shortcut: str
    body: str


WORKSPACES = (
    WorkspaceSpec(
        "live", "Live", "Live captions", "live", "Ctrl+1",
        "Caption a meeting as it happens. Choose a microphone, system audio or both, watch the level in a "
        "live waveform, and read partial words settle into final text, coloured and named by speaker. "
        "Sessions are recorded as they run, so a crash loses nothing, and export to SRT, VTT, TXT, JSON "
        "and DOCX.",
    ),
    WorkspaceSpec(
        "batch", "Batch", "Batch transcription", "batch", "Ctrl+2",
        "Transcribe recordings. Drop audio or video files and whole folders into a queue that survives "
        "restarts, follow each job's progress, cancel or retry, then review the result with click-to-seek "
        "playback and export it to SRT, VTT, TXT, JSON or DOCX.",
    ),
    WorkspaceSpec(
        "voices", "Voices", "Voice previews", "voices", "Ctrl+3",
        "Audition text-to-speech voices. Type any text or pick a transcript line, hear it in Sarah, Theo, "
        "Megan or Jack (or a built-in voice), compare voices side by side and save the audio you like.",
    ),
)

NOT_YET = "Not available in this build yet — this workspace is still being built."


class EmptyWorkspace(EmptyState):
    def __init__(self, spec: WorkspaceSpec, color: QColor) -> None:
        super().__init__(icon(spec.icon, color, 96), spec.heading, spec.body, NOT_YET)
        self.spec = spec
        self.setObjectName(f"workspace-{spec.key}")

    def restyle(self, color: QColor) -> None:
        self.set_icon(icon(self.spec.icon, color, 96))


def make_workspace(spec: WorkspaceSpec, color: QColor) -> QWidget:
    return EmptyWorkspace(spec, color)
