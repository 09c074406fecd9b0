"""One recorded session, to read and hear: the shared transcript view in document mode beside its audio.

- Click a word (or a paragraph's time) to play from there; the word being played is lit and followed;
  Ctrl+Space plays or pauses, Alt+Left / Alt+Right skip 5 s (``studio.qt.media``).
- Click a speaker's name to rename them everywhere: the new name is journaled with the session (in a worker
  thread), so it is there when the session is opened again and in every export.
- The title is edited in place (Enter keeps it). Export… writes every format with the exporters' options;
  "Transcribe the recording" sends the session's audio to the Batch queue (the words that were still partial
  when it ended get transcribed too); Delete… asks first, and is refused while the session is recorded.
- A session being recorded (by this studio or another) is shown as saved so far, and is not changed here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget

from studio.core.transcript import Transcript
from studio.core.transcript.changes import TokensEdited
from studio.core.transcript.speakers import SpeakerRenamed
from studio.qt.context import WorkspaceContext
from studio.qt.live.banner import ProblemBanner
from studio.qt.live.library.actions import SessionActions
from studio.qt.live.library.client import LibraryClient
from studio.qt.live.library.model import session_date, session_title
from studio.qt.media.clock import clock_text
from studio.qt.media.follow import PlaybackLink
from studio.qt.media.player import MediaPane
from studio.qt.transcript import TranscriptView
from studio.qt.widgets.labels import make_label
from studio.storage.sessions import SessionLockedError
from studio.storage.sessions_library import SessionDocument, SessionSummary

if TYPE_CHECKING:
    from studio.qt.live.export_dialog import ExportDialog
    from studio.services.live.recovery import Recovered

OWN_LIVE = ("This session is being recorded now: what you see is what was saved so far. Rename its speakers "
            "in Live captions, and stop it there before deleting it.")
EDITS_NOT_KEPT = ("Your corrections are in this view and in what you export from it; the recorded session "
                  "keeps the words as they were heard.")


class SessionReader(QWidget):
    #: The session was deleted (its id).
    deleted = Signal(str)
    #: Something the list shows changed (title, speaker names): list it again.
    changed = Signal()

    def __init__(self, context: WorkspaceContext, client: LibraryClient, own_live: Callable[[], str | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SessionReader")
        self.setAccessibleName("Recorded session")
        self.context = context
        self.client = client
        self.own_live = own_live
        self.summary: SessionSummary | None = None
        self.document: SessionDocument | None = None
        self.session_actions = SessionActions(self)
        self._unsubscribe: Callable[[], None] = lambda: None
        self._reverting = False
        self._said_edits = False
        self._names: dict[str, str] = {}  # the speaker names saved with the session

        self.title = QLineEdit()
        self.title.setObjectName("SessionTitle")
        self.title.setAccessibleName("Session title")
        self.title.setToolTip("Click to name this session (Enter keeps the name)")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setFrame(False)
        self.title.editingFinished.connect(self._title_edited)
        self.details = make_label("", "SectionHint")
        self.details.setAccessibleName("Session details")
        self.sources = make_label("", "SectionHint", wrap=True)
        self.sources.setAccessibleName("What the session listened to")
        acts = self.session_actions
        self.export_button = self._button("Export…", "Export this session",
                                          "TXT, SRT, VTT, JSON or DOCX, with the subtitle and text options (Ctrl+E)",
                                          acts.export)
        self.batch_button = self._button("Transcribe the recording", "Transcribe the recording in the Batch queue",
                                         "Send this session's audio to the Batch queue: the whole recording is "
                                         "transcribed again, the words still partial when it ended included",
                                         acts.transcribe_recording)
        self.recover_button = self._button("Recover", "Recover this interrupted session",
                                           "Make the session whole after the crash: its audio and every final word",
                                           acts.recover)
        self.recover_button.hide()
        self.folder_button = self._button("Show folder", "Show the session's folder",
                                          "Open the folder with the session's audio and journal", acts.show_folder)
        self.delete_button = self._button("Delete…", "Delete this session",
                                          "Remove its audio and transcript from this computer", acts.delete)
        self.banner = ProblemBanner(context.colors)
        self.banner.setAccessibleName("About this session")
        self.media = MediaPane()
        self.view = TranscriptView(Transcript(), context.colors, mode="document")
        self.view.setAccessibleName("Session transcript")
        self.view.speak_requested.connect(context.speak_line)
        self.playback = PlaybackLink(self.view, self.media, keys_on=self)
        self.no_audio = make_label("No audio was recorded for this session; the transcript is shown on its own.",
                                   "SectionHint", wrap=True)
        self.no_audio.setAccessibleName("No audio")
        self.no_audio.hide()

        header = QHBoxLayout()
        header.setSpacing(6)
        header.addWidget(self.title, 1)
        for button in (self.recover_button, self.export_button, self.batch_button, self.folder_button,
                       self.delete_button):
            header.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.details)
        layout.addWidget(self.sources)
        layout.addWidget(self.banner)
        layout.addWidget(self.media)
        layout.addWidget(self.no_audio)
        layout.addWidget(self.view, 1)
        self.restyle()

    def _button(self, text: str, name: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- showing a session ----------------------------------------------------------------------------------
    @property
    def session_id(self) -> str | None:
        return self.summary.id if self.summary is not None else None

    def show_session(self, summary: SessionSummary, document: SessionDocument,
                     recovered: Recovered | None = None) -> None:
        self._unsubscribe()
        self.summary, self.document = summary, document
        self._said_edits = False
        transcript = document.transcript
        self._names = transcript.speakers.names()
        self.view.set_transcript(transcript)
        unsubscribe_names = transcript.speakers.renamed.subscribe(self._renamed)
        unsubscribe_edits = transcript.changes.subscribe(self._edited)

        def unsubscribe() -> None:
            unsubscribe_names()
            unsubscribe_edits()

        self._unsubscribe = unsubscribe
        self.title.setText(summary.title)
        self.title.setPlaceholderText(f"{session_title(summary)} — click to name it")
        words = sum(1 for token in transcript.all_finals() if not token.is_punctuation)
        speakers = len(transcript.speakers)  # the view has registered every speaker it shows
        parts = [session_date(summary), clock_text(summary.duration), f"{words} word{'s' if words != 1 else ''}",
                 f"{speakers} speaker{'s' if speakers != 1 else ''}" if speakers > 1 else ""]
        self.details.setText("  ·  ".join(part for part in parts if part))
        self.details.setToolTip(str(document.folder))
        self.sources.setText("  ·  ".join(part for part in (", ".join(summary.sources), summary.engine) if part))
        if document.audio is not None:
            self.media.show()
            self.no_audio.hide()
            self.media.load(document.audio, video=False)
        else:
            self.media.unload()
            self.media.hide()
            self.no_audio.show()
        self.batch_button.setEnabled(document.audio is not None and not summary.live)
        self.recover_button.setVisible(summary.unfinished)
        self.recover_button.setEnabled(True)
        self._say_state(summary, recovered)
        self.view.flush()

    def _say_state(self, summary: SessionSummary, recovered: Recovered | None) -> None:
        if recovered is not None:
            final = clock_text(recovered.final_seconds)
            text = f"Recovered after the studio stopped unexpectedly: every word that was final is here, up to {final}."
            rest = recovered.untranscribed_seconds
            if recovered.audio_problem:
                text += f" {recovered.audio_problem}."
            elif rest >= 0.5:
                text += (f" The last {clock_text(rest)} of audio were not transcribed live: “Transcribe the "
                         "recording” finishes them.")
            self.banner.show_problem(text, "warning")
        elif summary.live:
            own = summary.id == self.own_live()
            self.banner.show_problem(OWN_LIVE if own else self.client.explain(SessionLockedError("")), "info")
        elif summary.unfinished:
            self.banner.show_problem("This session was interrupted (the studio stopped while it was recording) and "
                                     "has not been recovered yet: Recover makes it whole.", "warning")
        elif summary.recording_problem:
            self.banner.show_problem(f"Recording stopped before the session did: {summary.recording_problem}",
                                     "warning")
        elif self.document is not None and self.document.torn:
            self.banner.show_problem("The last line of this session's journal was cut off; everything before it "
                                     "is here.", "info")
        else:
            self.banner.clear()

    def clear(self) -> None:
        self._unsubscribe()
        self._unsubscribe = lambda: None
        self.media.unload()
        self.summary = self.document = None

    # -- renaming -------------------------------------------------------------------------------------------
    def _renamed(self, change: SpeakerRenamed) -> None:
        summary, document = self.summary, self.document
        if self._reverting or summary is None or document is None:
            return
        speakers = document.transcript.speakers
        name = speakers.get(change.key).name or ""
        if summary.live:
            self._revert(change.key)
            own = summary.id == self.own_live()
            self.banner.show_problem(OWN_LIVE if own else self.client.explain(SessionLockedError("")), "warning")
            return
        session_id, key = summary.id, change.key

        def saved(_none: None) -> None:
            if self.session_id == session_id:
                self._names[key] = name
            self.changed.emit()

        def failed(error: BaseException) -> None:
            if self.session_id == session_id:
                self._revert(key)
                self.banner.show_problem(f"The new name was not saved. {self.client.explain(error)}", "error")

        self.client.run(lambda library: library.rename_speaker(session_id, key, name), on_result=saved,
                        on_error=failed)

    def _revert(self, key: str) -> None:
        """Back to the name the session has saved."""
        if self.document is None:
            return
        self._reverting = True
        try:
            self.document.transcript.speakers.rename(key, self._names.get(key, ""))
        finally:
            self._reverting = False

    def _edited(self, change: object) -> None:
        if isinstance(change, TokensEdited) and not self._said_edits:
            self._said_edits = True
            self.banner.show_problem(EDITS_NOT_KEPT, "info")

    def _title_edited(self) -> None:
        summary = self.summary
        title = self.title.text().strip()
        if summary is None or title == summary.title:
            return
        if summary.live:
            self.title.setText(summary.title)
            self.banner.show_problem("This session is being recorded; name it once it has stopped.", "info")
            return
        session_id = summary.id

        def saved(_none: None) -> None:
            if self.summary is not None and self.summary.id == session_id:
                self.summary = _with_title(self.summary, title)
            self.changed.emit()

        def failed(error: BaseException) -> None:
            if self.session_id == session_id and self.summary is not None:
                self.title.setText(self.summary.title)
                self.banner.show_problem(f"The title was not saved. {self.client.explain(error)}", "error")

        self.client.run(lambda library: library.set_title(session_id, title), on_result=saved, on_error=failed)

    # -- actions (studio.qt.live.library.actions) ---------------------------------------------------------
    def export(self) -> None:
        self.session_actions.export()

    def delete(self, *, confirm: bool = True) -> None:
        self.session_actions.delete(confirm=confirm)

    @property
    def export_dialog(self) -> ExportDialog | None:
        return self.session_actions.export_dialog

    @property
    def delete_box(self) -> QMessageBox | None:
        return self.session_actions.delete_box

    def restyle(self) -> None:
        c = self.context.colors()
        self.title.setStyleSheet(
            f"#SessionTitle {{ background: transparent; border: 1px solid transparent; border-radius: 4px; "
            f"padding: 1px 4px; color: {c.text}; }} #SessionTitle:hover {{ border-color: {c.border}; }} "
            f"#SessionTitle:focus {{ background: {c.base}; border-color: {c.accent}; }}")
        self.view.restyle()
        self.banner.restyle()


def _with_title(summary: SessionSummary, title: str) -> SessionSummary:
    return dataclasses.replace(summary, title=title)
