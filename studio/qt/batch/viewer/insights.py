"""The audio-intelligence results of a job: summary, sentiment (overall and per segment), topics and chapters
(a click on a segment or chapter seeks playback there), and the engine's "not available" entries
(``metadata.<feature>_errors``) shown as such — a feature nobody asked for gets no tab."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QTabWidget, QVBoxLayout, QWidget

from studio.qt.batch.table_model import clock_text
from studio.qt.widgets.labels import make_label

Index = QModelIndex | QPersistentModelIndex
FEATURES = (
    # (tab title, result key, config key, error key)
    ("Summary", "summary", "summarization_config", "summarization_errors"),
    ("Sentiment", "sentiment_analysis", "sentiment_analysis_config", "sentiment_analysis_errors"),
    ("Topics", "topics", "topic_detection_config", "topic_detection_errors"),
    ("Chapters", "chapters", "auto_chapters_config", "auto_chapters_errors"),
)


@dataclass(frozen=True)
class Entry:
    text: str
    start: float | None  # seconds to seek to, if any
    tooltip: str = ""


class EntryList(QAbstractListModel):
    """A list of ``Entry`` (a plain list) as a Qt model."""

    def __init__(self, entries: Sequence[Entry], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries = list(entries)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.tooltip or None
        if role == Qt.ItemDataRole.UserRole:
            return entry.start
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _errors(metadata: Mapping[str, Any], key: str) -> list[str]:
    entries = metadata.get(key)
    if not isinstance(entries, list):
        return []
    return [str(e.get("message") or e.get("type") or "not available") for e in entries if isinstance(e, Mapping)]


def sentiment_entries(block: Mapping[str, Any]) -> tuple[str, list[Entry]]:
    inner = block.get("sentiment_analysis") if isinstance(block.get("sentiment_analysis"), Mapping) else block
    assert isinstance(inner, Mapping)
    overall = ((inner.get("summary") or {}).get("overall") or {}) if isinstance(inner.get("summary"), Mapping) else {}
    counts = [f"{int(overall.get(f'{kind}_count', 0))} {kind}" for kind in ("positive", "neutral", "negative")
              if isinstance(overall, Mapping)]
    head = "Overall: " + ", ".join(counts) if counts else ""
    entries = []
    for segment in inner.get("segments") or []:
        if not isinstance(segment, Mapping):
            continue
        start = _number(segment.get("start_time"))
        mood = str(segment.get("sentiment", "")).capitalize()
        who = f" · {segment['speaker']}" if segment.get("speaker") else ""
        entries.append(Entry(f"{clock_text(start)}  {mood}{who}: {segment.get('text', '')}", start,
                             f"Confidence {segment.get('confidence')}" if segment.get("confidence") else ""))
    return head, entries


def topic_entries(block: Mapping[str, Any]) -> tuple[str, list[Entry]]:
    overall = ((block.get("summary") or {}).get("overall") or {}) if isinstance(block.get("summary"), Mapping) else {}
    head = ""
    if isinstance(overall, Mapping) and overall:
        head = "Topics: " + ", ".join(f"{name} ({count})" for name, count in
                                      sorted(overall.items(), key=lambda item: -int(item[1] or 0)))
    entries = []
    for segment in block.get("segments") or []:
        if not isinstance(segment, Mapping):
            continue
        start = _number(segment.get("start_time"))
        names = ", ".join(str(t.get("topic")) for t in segment.get("topics") or [] if isinstance(t, Mapping))
        entries.append(Entry(f"{clock_text(start)}  {names}: {segment.get('text', '')}", start))
    return head, entries


def chapter_entries(chapters: Sequence[Any]) -> list[Entry]:
    entries = []
    for chapter in chapters:
        if not isinstance(chapter, Mapping):
            continue
        start = _number(chapter.get("start_time"))
        entries.append(Entry(f"{clock_text(start)}  {chapter.get('title', 'Chapter')}", start,
                             str(chapter.get("summary") or "")))
    return entries


class InsightsPanel(QTabWidget):
    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Audio intelligence")
        self.setDocumentMode(True)

    def show_results(self, extras: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
        """Tabs for the features the job has results or "not available" entries for (none: hidden)."""
        while self.count():
            page = self.widget(0)
            self.removeTab(0)
            if page is not None:
                page.deleteLater()
        for title, key, _config_key, error_key in FEATURES:
            errors = _errors(metadata, error_key)
            result = extras.get(key)
            if result is None and not errors:
                continue
            self.addTab(self._page(title, key, result, errors), title if not errors else f"{title} (n/a)")
        self.setVisible(self.count() > 0)

    def _page(self, title: str, key: str, result: Any, errors: list[str]) -> QWidget:
        page = QWidget()
        page.setAccessibleName(title)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(8, 8, 8, 8)
        if errors:
            note = make_label("Not available: " + " ".join(errors), "SectionHint", wrap=True)
            note.setAccessibleName(f"{title} not available")
            layout.addWidget(note)
            layout.addStretch(1)
            return page
        head = ""
        entries: list[Entry] = []
        if key == "summary":
            content = result.get("content") if isinstance(result, Mapping) else result
            text = QLabel(str(content or ""))
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setAccessibleName("Summary")
            layout.addWidget(text)
            layout.addStretch(1)
            return page
        if key == "sentiment_analysis" and isinstance(result, Mapping):
            head, entries = sentiment_entries(result)
        elif key == "topics" and isinstance(result, Mapping):
            head, entries = topic_entries(result)
        elif key == "chapters" and isinstance(result, list):
            entries = chapter_entries(result)
        if head:
            layout.addWidget(make_label(head, "", wrap=True))
        view = QListView()
        view.setAccessibleName(f"{title}: click to play from there")
        view.setWordWrap(True)
        view.setModel(EntryList(entries, view))
        view.clicked.connect(self._clicked)
        layout.addWidget(view, 1)
        return page

    def _clicked(self, index: QModelIndex) -> None:
        start = index.data(Qt.ItemDataRole.UserRole)
        if isinstance(start, float):
            self.seek_requested.emit(start)
