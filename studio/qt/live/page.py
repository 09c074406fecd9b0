"""The Live workspace page (still the empty state: the workspace is being built)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from studio.qt.context import WorkspaceContext
from studio.qt.workspaces import EmptyWorkspace, WorkspaceSpec


class LivePage(EmptyWorkspace):
    def __init__(self, context: WorkspaceContext, spec: WorkspaceSpec) -> None:
        super().__init__(spec, QColor(context.colors().muted))
        self.context = context

    def trigger(self, action: str) -> None:
        self.context.notify(f"{self.spec.title}: not available in this build yet.")
