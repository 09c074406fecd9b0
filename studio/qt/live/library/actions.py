"""What can be done with the session the reader shows: export it, transcribe its recording as a batch job,
recover it (an interrupted one), show its folder, delete it.

- Export… opens the export dialog (every format, the exporters' options) on the session's transcript, speaker
  names and any corrections included; it writes the files off the GUI thread.
- "Transcribe the recording" hands the session's audio to the Batch queue (``context.transcribe_files``):
  the whole recording is transcribed again, the words still partial when the session ended included.
- Delete… asks first (``delete_box``), and is refused — said in the reader — while the session is recorded,
  by this studio or another.
- Recover (an interrupted session the user chose to decide on later) makes it whole off the GUI thread and
  shows it again with what was found.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from studio.qt.live.library.model import session_title
from studio.qt.media.clock import clock_text
from studio.storage.sessions import SessionLockedError
from studio.storage.sessions_library import SessionDocument, SessionLibrary, SessionSummary

if TYPE_CHECKING:
    from studio.qt.live.export_dialog import ExportDialog
    from studio.qt.live.library.reader import SessionReader
    from studio.services.live.recovery import Recovered


class SessionActions:
    def __init__(self, reader: SessionReader) -> None:
        self.reader = reader
        self.export_dialog: ExportDialog | None = None
        self.delete_box: QMessageBox | None = None

    def export(self) -> None:
        from studio.qt.live.export_dialog import ExportDialog

        summary, document = self.reader.summary, self.reader.document
        if summary is None or document is None:
            return
        folder = Path.home() / "Documents"
        name = summary.title or f"Live captions {summary.created.astimezone():%Y-%m-%d %H.%M}"
        dialog = ExportDialog(document.transcript, lambda: self.reader.context.bridge,
                              folder=folder if folder.is_dir() else Path.home(), name=_file_name(name),
                              local=self.reader.context.state.capabilities.local, parent=self.reader)
        dialog.exported.connect(self._exported)
        dialog.open()
        self.export_dialog = dialog

    def _exported(self, paths: list[Path]) -> None:
        if paths:
            self.reader.context.notify(f"Exported {', '.join(p.name for p in paths)} to {paths[0].parent}.")

    def transcribe_recording(self) -> None:
        from studio.services.live.recovery import batch_files

        document = self.reader.document
        if document is None:
            return
        files = batch_files(document)
        if not files:
            self.reader.banner.show_problem("This session has no recorded audio to transcribe.", "info")
            return
        self.reader.context.transcribe_files(files)

    def recover(self) -> None:
        """Recovers the interrupted session shown (``studio.services.live.recovery.recover``, off the GUI
        thread), then shows it again with what the recovery found."""
        summary = self.reader.summary
        if summary is None or not summary.unfinished:
            return
        session_id = summary.id
        self.reader.recover_button.setEnabled(False)

        def work(library: SessionLibrary) -> tuple[SessionSummary, SessionDocument, Recovered]:
            from studio.services.live.recovery import recover

            recovered = recover(library, session_id)
            return library.summary(session_id), recovered.document, recovered

        def done(found: tuple[SessionSummary, SessionDocument, Recovered]) -> None:
            if self.reader.session_id == session_id:
                self.reader.show_session(*found)
            self.reader.changed.emit()

        def failed(error: BaseException) -> None:
            reader = self.reader
            reader.recover_button.setEnabled(True)
            reader.banner.show_problem(f"The session was not recovered. {reader.client.explain(error)}", "error")

        self.reader.client.run(work, on_result=done, on_error=failed)

    def show_folder(self) -> None:
        if self.reader.document is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.reader.document.folder)))

    def delete(self, *, confirm: bool = True) -> None:
        summary = self.reader.summary
        if summary is None:
            return
        if summary.live:
            own = summary.id == self.reader.own_live()
            self.reader.banner.show_problem(
                "This session is being recorded now and cannot be deleted. Stop it in Live captions first."
                if own else self.reader.client.explain(SessionLockedError("")), "warning")
            return
        if confirm:
            self._confirm_delete(summary)
            return
        session_id = summary.id
        reader = self.reader
        reader.media.unload()  # the player lets go of the file before it is removed

        def failed(error: BaseException) -> None:
            document = reader.document
            if reader.session_id == session_id and document is not None and document.audio is not None:
                reader.media.load(document.audio, video=False)  # still here: playable again
            reader.banner.show_problem(f"The session was not deleted. {reader.client.explain(error)}", "error")

        reader.client.run(lambda library: library.delete(session_id), on_result=lambda _none: self._deleted(session_id),
                          on_error=failed)

    def _confirm_delete(self, summary: SessionSummary) -> None:
        """Asks first (a window-modal question; ``delete_box``); Delete goes on, anything else keeps it."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete this session?",
                          f"“{session_title(summary)}” ({clock_text(summary.duration)}): its recording and its "
                          "transcript are removed from this computer for good.", parent=self.reader)
        box.setAccessibleName("Delete this session?")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setAccessibleName("Delete the session")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        session_id = summary.id

        def answered(button: object) -> None:
            if button is delete and self.reader.session_id == session_id:
                self.delete(confirm=False)

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.delete_box = box
        box.open()

    def _deleted(self, session_id: str) -> None:
        if self.reader.session_id == session_id:
            self.reader.clear()
        self.reader.context.notify("The session was deleted.")
        self.reader.deleted.emit(session_id)


def _file_name(name: str) -> str:
    """``name`` as a file name on every system (no path separators or reserved characters)."""
    cleaned = "".join("-" if ch in '/\\:*?"<>|' else ch for ch in name).strip(" .")
    return cleaned or f"Session {datetime.date.today():%Y-%m-%d}"
