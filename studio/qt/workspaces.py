"""The three workspaces: what each is, its keyboard actions, and the page that is built when it is first shown.

A page class is named by ``WorkspaceSpec.factory`` (``module:Class``) and imported only when the workspace
is first shown, so start-up never pays for a workspace's modules. It is built as ``Class(context, spec)``
(``studio.qt.context.WorkspaceContext``) and may offer the methods of ``studio.qt.context.WorkspacePage``.

Actions are declared here, not by the pages, so that the menus and the F1 list show them before a page is
built. A workspace action (``WorkspaceSpec.actions``) builds its page if need be, shows it when
``show_page`` is set, and calls ``page.trigger(action.id)``. The ``COMMON_ACTIONS`` (Find, Export) go to
whichever workspace is showing. ``page_keys`` are keys that work inside a page (listed in F1 too).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from studio.qt.resources import icon
from studio.qt.widgets.empty_state import EmptyState

if TYPE_CHECKING:
    from studio.qt.context import WorkspaceContext


# NamedTuples, not dataclasses: they are made at start-up, where creating a dataclass costs about a millisecond.
class WorkspaceAction(NamedTuple):
    id: str
    text: str  # the menu text, also the F1 row
    shortcut: str = ""
    show_page: bool = True  # False: works from any workspace (a bookmark while reading the Batch page)


class WorkspaceSpec(NamedTuple):
    key: str
    title: str
    heading: str
    icon: str
    shortcut: str
    body: str
    factory: str = ""  # "module:Class"; "" for the empty state
    actions: tuple[WorkspaceAction, ...] = ()
    page_keys: tuple[tuple[str, str], ...] = ()  # (what it does, keys) inside the page, for F1


WORKSPACES = (
    WorkspaceSpec(
        "live", "Live", "Live captions", "live", "Ctrl+1",
        "Caption a meeting as it happens. Choose a microphone, system audio or both, watch the level in a "
        "live waveform, and read partial words settle into final text, coloured and named by speaker. "
        "Sessions are recorded as they run, so a crash loses nothing, and export to SRT, VTT, TXT, JSON "
        "and DOCX.",
        factory="studio.qt.live.page:LivePage",
        actions=(
            WorkspaceAction("start_stop", "Start or stop captioning", "Ctrl+R"),
            WorkspaceAction("bookmark", "Bookmark this moment", "Ctrl+B", show_page=False),
            WorkspaceAction("overlay", "Show or hide the caption overlay", "Ctrl+Shift+C", show_page=False),
            WorkspaceAction("library", "Show recorded sessions (or the live captions)", "Ctrl+L"),
        ),
        page_keys=(("Jump to the live edge", "End"),
                   ("Play or pause a recorded session", "Ctrl+Space"),
                   ("Back or forward 5 seconds in a recorded session", "Alt+Left / Alt+Right"),
                   ("Delete the recorded session chosen in the list (asks first)", "Delete")),
    ),
    WorkspaceSpec(
        "batch", "Batch", "Batch transcription", "batch", "Ctrl+2",
        "Transcribe recordings. Drop audio or video files and whole folders into a queue that survives "
        "restarts, follow each job's progress, cancel or retry, then review the result with click-to-seek "
        "playback and export it to SRT, VTT, TXT, JSON or DOCX.",
        factory="studio.qt.batch.page:BatchPage",
        actions=(
            WorkspaceAction("add_files", "Add files to the queue…", "Ctrl+O"),
            WorkspaceAction("add_folder", "Add a folder to the queue…", "Ctrl+Shift+O"),
            WorkspaceAction("pause_queue", "Pause or resume the queue", "Ctrl+P"),
        ),
        page_keys=(("Play or pause the result", "Ctrl+Space"), ("Back 5 seconds", "Alt+Left"),
                   ("Forward 5 seconds", "Alt+Right")),
    ),
    WorkspaceSpec(
        "voices", "Voices", "Voice previews", "voices", "Ctrl+3",
        "Audition text-to-speech voices. Type any text or pick a transcript line, hear it in Sarah, Theo, "
        "Megan or Jack (or a built-in voice), compare voices side by side and save the audio you like.",
        factory="studio.qt.voices.page:VoicesPage",
        actions=(
            WorkspaceAction("play", "Play the text in the chosen voice", "Ctrl+Return"),
            WorkspaceAction("compare", "Compare the chosen voices", "Ctrl+Shift+Return"),
            WorkspaceAction("save", "Save the voice preview…", "Ctrl+S"),
        ),
        page_keys=(("Stop playback", "Esc"),),
    ),
)

#: Actions every workspace may offer; they go to the workspace that is showing.
COMMON_ACTIONS = (
    WorkspaceAction("find", "Find in the transcript", "Ctrl+F", show_page=False),
    WorkspaceAction("export", "Export…", "Ctrl+E", show_page=False),
)

NOT_YET = "Not available in this build yet — this workspace is still being built."


def spec_for(key: str) -> WorkspaceSpec:
    return next(spec for spec in WORKSPACES if spec.key == key)


class EmptyWorkspace(EmptyState):
    def __init__(self, spec: WorkspaceSpec, color: QColor, note: str = NOT_YET) -> None:
        super().__init__(icon(spec.icon, color, 96), spec.heading, spec.body, note)
        self.spec = spec
        self.setObjectName(f"workspace-{spec.key}")

    def restyle(self, color: QColor) -> None:
        self.set_icon(icon(self.spec.icon, color, 96))


def make_workspace(spec: WorkspaceSpec, context: WorkspaceContext) -> QWidget:
    """The page of ``spec``, its module imported now."""
    if not spec.factory:
        return EmptyWorkspace(spec, QColor(context.colors().muted))
    module_name, _, class_name = spec.factory.partition(":")
    page: QWidget = getattr(importlib.import_module(module_name), class_name)(context, spec)
    if not page.objectName():
        page.setObjectName(f"workspace-{spec.key}")
    return page
