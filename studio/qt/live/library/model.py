"""The list of recorded sessions as a Qt item model over a plain list of ``SessionSummary`` (newest first).

Each row's display text is its title (or its date), the tool tip and the accessible text say the rest (date,
duration, sources, engine, first words, state); ``SUMMARY_ROLE`` gives the ``SessionSummary`` itself, for the
delegate that draws it. ``set_sessions`` replaces the list, keeping rows that did not change (so a refresh
every few seconds neither flickers nor loses the selection).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from studio.qt.media.clock import clock_text
from studio.storage.sessions_library import SessionSummary

SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def session_date(summary: SessionSummary, now: datetime | None = None) -> str:
    """When it started, in local time: "Today 14:05", "Yesterday 09:30", "Mon 30 Nov 14:05", "3 Mar 2025 14:05"."""
    when = summary.created.astimezone()
    today = (now or datetime.now().astimezone()).date()
    clock = f"{when:%H:%M}"
    days = (today - when.date()).days
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Yesterday {clock}"
    if 0 < days < 7:
        return f"{when:%a} {when.day} {when:%b} {clock}"
    if when.year == today.year:
        return f"{when.day} {when:%b} {clock}"
    return f"{when.day} {when:%b %Y} {clock}"


def session_title(summary: SessionSummary) -> str:
    """The user's title, else when it started."""
    return summary.title or session_date(summary)


def state_text(summary: SessionSummary, own_live: str | None = None) -> str:
    """A word on what the session is now ("" for an ordinary finished one)."""
    if summary.live:
        return "Recording now" if summary.id == own_live else "Being recorded in another studio window"
    if summary.unfinished:
        return "Interrupted — not yet recovered"
    if summary.state == "recovered":
        return "Recovered after a crash"
    if summary.recording_problem:
        return "Recording stopped early"
    return ""


def describe(summary: SessionSummary, own_live: str | None = None) -> str:
    """Everything the row shows, in words (tool tip and screen readers)."""
    parts = [session_title(summary), session_date(summary) if summary.title else "", clock_text(summary.duration),
             ", ".join(summary.sources), summary.engine, state_text(summary, own_live)]
    text = ". ".join(part for part in parts if part)
    return f"{text}. {summary.first_words}" if summary.first_words else text


class SessionListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[SessionSummary] = []
        self.own_live: str | None = None  # the session this studio is recording now

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and default
        return 0 if parent.isValid() else len(self.sessions)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.sessions):
            return None
        summary = self.sessions[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return session_title(summary)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return describe(summary, self.own_live)
        if role == SUMMARY_ROLE:
            return summary
        return None

    def set_sessions(self, sessions: Sequence[SessionSummary]) -> None:
        new = list(sessions)
        if [s.id for s in new] != [s.id for s in self.sessions]:
            self.beginResetModel()
            self.sessions = new
            self.endResetModel()
            return
        for row, summary in enumerate(new):
            if summary != self.sessions[row]:
                self.sessions[row] = summary
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def set_own_live(self, session_id: str | None) -> None:
        if session_id != self.own_live:
            self.own_live = session_id
            if self.sessions:
                self.dataChanged.emit(self.index(0), self.index(len(self.sessions) - 1))

    def row_of(self, session_id: str) -> int:
        return next((row for row, s in enumerate(self.sessions) if s.id == session_id), -1)

    def summary(self, row: int) -> SessionSummary | None:
        return self.sessions[row] if 0 <= row < len(self.sessions) else None
