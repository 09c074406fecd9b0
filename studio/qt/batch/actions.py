"""What can be done to the selected jobs: the table's context menu and its keys, each sent to the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu, QWidget

from studio.core.jobs import FINISHED, Job, JobState


@dataclass(frozen=True)
class JobAction:
    id: str
    text: str
    enabled: bool = True


def actions_for(jobs: list[Job], *, in_queue_order: bool, queue_size: int) -> list[JobAction | None]:
    """The menu for a selection (None: a separator)."""
    if not jobs:
        return []
    one = jobs[0] if len(jobs) == 1 else None
    done = [job for job in jobs if job.has_result]
    unfinished = [job for job in jobs if job.unfinished]
    finished = [job for job in jobs if job.state in FINISHED]
    queued = [job for job in jobs if job.state is JobState.QUEUED]
    items: list[JobAction | None] = [
        JobAction("open", "Open result", one is not None and one.has_result),
        JobAction("export", f"Export {len(done)} transcript{'s' if len(done) != 1 else ''}…" if len(jobs) > 1
                  else "Export…", bool(done)),
        None,
        JobAction("settings", "Job settings…", bool(queued)),
        JobAction("cancel", "Cancel", bool(unfinished)),
        JobAction("retry", "Transcribe again" if finished and all(j.state is JobState.DONE for j in finished)
                  else "Retry", bool(finished)),
        JobAction("remove", "Remove from the queue"),
        None,
    ]
    rows_movable = in_queue_order and len(jobs) < queue_size
    items += [JobAction(name, text, rows_movable) for name, text in (
        ("top", "Move to the top"), ("up", "Move up"), ("down", "Move down"), ("bottom", "Move to the bottom"))]
    items += [None,
              JobAction("reveal_output", "Show the exported files", one is not None and bool(one.outputs)),
              JobAction("reveal_media", "Show the recording", one is not None)]
    return items


def build_menu(parent: QWidget, items: list[JobAction | None], run: Callable[[str], None]) -> QMenu:
    menu = QMenu(parent)
    menu.setAccessibleName("Job actions")
    for item in items:
        if item is None:
            menu.addSeparator()
            continue
        action = menu.addAction(item.text)
        action.setEnabled(item.enabled)
        action.setData(item.id)
        action.triggered.connect(lambda _checked=False, name=item.id: run(name))
    return menu


def reveal(path: Path) -> None:
    """Opens the folder holding ``path`` in the platform's file manager."""
    folder = path if path.is_dir() else path.parent
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def move_target(jobs: list[Job], order: list[str], where: str) -> int:
    """The index among the other jobs where the selection goes (``JobQueue.move``)."""
    chosen = {job.id for job in jobs}
    others = [job_id for job_id in order if job_id not in chosen]
    if where == "top":
        return 0
    if where == "bottom":
        return len(others)
    first = min(order.index(job.id) for job in jobs)
    last = max(order.index(job.id) for job in jobs)
    if where == "up":
        before = [job_id for job_id in order[:first] if job_id not in chosen]
        return max(0, len(before) - 1)
    after_last = [job_id for job_id in order[: last + 1] if job_id not in chosen]
    return min(len(others), len(after_last) + 1)
