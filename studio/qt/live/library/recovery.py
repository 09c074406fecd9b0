"""At start-up: live sessions that a crash or a kill interrupted are offered to the user.

    check = offer_recovery(context, window, open_in_library)   # from Studio.start, once the window shows
    check.done, check.dialog                                      # the look is over (on the GUI thread); the offer

The folders are looked at in a worker thread with ``studio.storage`` only (``SessionLibrary.unfinished``: no
audio stack, no protocol clients), so start-up never waits for it. When there is one, ``RecoveryDialog``
(window-modal, never blocking the event loop) offers each session:

- **Recover** — ``studio.services.live.recovery.recover`` (imported only now, in a worker thread) makes the
  folder whole; then ``open_in_library(id, recovered)`` shows it in the sessions library, which says what was
  recovered and offers "Transcribe the recording" for the words that were still partial.
- **Discard…** — asks, then deletes the session's folder.
- **Later** — nothing changes; it is offered again at the next start.

A session that another studio window is recording is never touched: it is not offered (its lock is held),
and if it is taken meanwhile the dialog says so in plain words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.qt.context import WorkspaceContext
from studio.qt.live.library.model import session_date, session_title
from studio.qt.media.clock import clock_text
from studio.qt.widgets.labels import make_label
from studio.storage.sessions import SessionLockedError, SessionStoreError, sessions_folder
from studio.storage.sessions_library import SessionLibrary, SessionSummary

if TYPE_CHECKING:
    from studio.qt.bridge import TaskHandle
    from studio.services.live.recovery import Recovered

log = logging.getLogger(__name__)

WIDTH = 560  # the dialog's width: the text wraps to it

OpenInLibrary = Callable[[str, "Recovered"], None]
LOCKED = ("This session is being recorded by another studio window, so it is not recovered here. Stop it "
          "there; it is saved as it goes.")


def find_unfinished(root: Path) -> list[SessionSummary]:
    """Interrupted sessions nobody is writing (in a worker thread: it reads the folders)."""
    return SessionLibrary(root).unfinished()


class RecoveryCheck:
    """The start-up look as the GUI sees it: ``done`` once the look is over *and* its answer has reached the
    GUI thread (the offer, if any, is open then: ``dialog``)."""

    def __init__(self) -> None:
        self.done = False
        self.dialog: RecoveryDialog | None = None
        self.handle: TaskHandle[list[SessionSummary]] | None = None


def offer_recovery(context: WorkspaceContext, window: QWidget, open_in_library: OpenInLibrary) -> RecoveryCheck:
    """Looks for interrupted sessions off the GUI thread and, if there are any, offers them."""
    root = sessions_folder(context.paths)
    check = RecoveryCheck()

    def found(unfinished: list[SessionSummary]) -> None:
        if unfinished:
            check.dialog = RecoveryDialog(context, root, unfinished, open_in_library, window)  # a child of it
            check.dialog.open()
        check.done = True

    def failed(error: BaseException) -> None:
        log.warning("could not look for interrupted sessions: %s", error)
        check.done = True

    check.handle = context.bridge.submit(asyncio.to_thread(find_unfinished, root), on_result=found, on_error=failed,
                                         owner=window)
    return check


def _words(error: BaseException, local: bool) -> str:
    if isinstance(error, SessionLockedError):
        return LOCKED
    if isinstance(error, SessionStoreError):
        return str(error).rstrip(".") + "."
    from studio.services.advice import explain

    return explain(error, local=local)


class SessionOffer(QFrame):
    """One interrupted session in the dialog: what it was, and Recover / Discard."""

    recover_requested = Signal(str)
    discard_requested = Signal(str)

    def __init__(self, summary: SessionSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setObjectName("SessionOffer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Interrupted session: {session_title(summary)}")
        title = make_label(session_title(summary), "")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        title.setAccessibleName("Session")
        when = [f"{clock_text(summary.duration)} recorded", session_date(summary) if summary.title else ""]
        what = [", ".join(summary.sources), summary.engine]
        details = make_label("\n".join("  ·  ".join(p for p in line if p) for line in (when, what) if any(line)),
                             "SectionHint", wrap=True)  # how long (and when); then what it listened to, on what
        details.setAccessibleName("Session details")
        words = make_label(f"“{summary.first_words}”" if summary.first_words else "No words were final yet; the "
                           "audio is there.", "", wrap=True)
        words.setAccessibleName("First words")
        self.status = make_label("", "SectionHint", wrap=True)
        self.status.setAccessibleName("Recovery status")
        self.status.hide()
        self.recover_button = QPushButton("Recover")
        self.recover_button.setAccessibleName(f"Recover {session_title(summary)}")
        self.recover_button.setToolTip("Make the session whole and open it in the sessions library")
        self.recover_button.clicked.connect(lambda: self.recover_requested.emit(summary.id))
        self.discard_button = QPushButton("Discard…")
        self.discard_button.setAccessibleName(f"Discard {session_title(summary)}")
        self.discard_button.setToolTip("Delete its audio and transcript (asks first)")
        self.discard_button.clicked.connect(lambda: self.discard_requested.emit(summary.id))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.recover_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(details)
        layout.addWidget(words)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def busy(self, text: str) -> None:
        self.say(text)
        self.recover_button.setEnabled(False)
        self.discard_button.setEnabled(False)

    def say(self, text: str, error: bool = False, *, can_retry: bool = True) -> None:
        self.status.setText(text)
        self.status.setObjectName("ErrorText" if error else "SectionHint")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.show()
        self.recover_button.setEnabled(can_retry)
        self.discard_button.setEnabled(can_retry)


class RecoveryDialog(QDialog):
    #: A session was recovered (its id) or discarded: what the dialog did, for tests and the status bar.
    recovered = Signal(str)
    discarded = Signal(str)

    def __init__(self, context: WorkspaceContext, root: Path, unfinished: list[SessionSummary],
                 open_in_library: OpenInLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover interrupted sessions" if len(unfinished) > 1
                            else "Recover the interrupted session")
        self.setAccessibleName("Recover interrupted sessions")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(WIDTH)
        self.context = context
        self.root = root
        self._open_in_library = open_in_library
        many = len(unfinished) > 1
        intro = make_label(
            f"The studio stopped while it was recording {'these sessions' if many else 'a session'}. Everything "
            "was saved as it ran: the audio, and every word that was final. Recover "
            f"{'them' if many else 'it'} to read, play and export, or to transcribe the recording again.",
            "", wrap=True)
        intro.setAccessibleName("What happened")
        self.offers: dict[str, SessionOffer] = {}
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        for summary in unfinished:
            offer = SessionOffer(summary)
            offer.recover_requested.connect(self.recover)
            offer.discard_requested.connect(self.discard)
            self.offers[summary.id] = offer
            layout.addWidget(offer)
        self.buttons = QDialogButtonBox()
        self.later_button = self.buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.later_button.setAccessibleName("Decide later")
        self.later_button.setToolTip("Keep the interrupted sessions as they are; the studio asks again next time")
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        first = next(iter(self.offers.values()))
        first.recover_button.setDefault(True)
        self.discard_box: QMessageBox | None = None

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        self._fit()
        super().showEvent(event)
        offer = next(iter(self.offers.values()), None)
        if offer is not None:  # Enter recovers the first session, Esc decides later
            offer.recover_button.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def _fit(self) -> None:
        """As tall as the wrapped text needs at the dialog's width (a size hint taken at the narrowest width
        would leave gaps between the lines once it is wider)."""
        layout = self.layout()
        width = max(self.width(), WIDTH)
        if layout is not None and layout.hasHeightForWidth():
            self.resize(width, layout.totalHeightForWidth(width))

    # -- recover --------------------------------------------------------------------------------------------
    def recover(self, session_id: str) -> None:
        offer = self.offers.get(session_id)
        if offer is None:
            return
        offer.busy("Recovering…")
        root = self.root

        def work() -> Recovered:
            from studio.services.live.recovery import recover

            return recover(SessionLibrary(root), session_id)

        self.context.bridge.submit(asyncio.to_thread(work), on_result=lambda done: self._recovered(session_id, done),
                                   on_error=lambda error: self._failed(session_id, error), owner=self)

    def _recovered(self, session_id: str, recovered: Recovered) -> None:
        self._remove(session_id)
        self.context.notify("The interrupted session was recovered; it is open in Recorded sessions.")
        self.recovered.emit(session_id)
        self._open_in_library(session_id, recovered)

    def _failed(self, session_id: str, error: BaseException) -> None:
        offer = self.offers.get(session_id)
        if offer is not None:
            locked = isinstance(error, SessionLockedError)
            offer.say(_words(error, self.context.state.capabilities.local), error=True, can_retry=not locked)

    # -- discard --------------------------------------------------------------------------------------------
    def discard(self, session_id: str) -> None:
        offer = self.offers.get(session_id)
        if offer is None:
            return
        summary = offer.summary
        box = QMessageBox(QMessageBox.Icon.Warning, "Discard this session?",
                          f"“{session_title(summary)}” ({clock_text(summary.duration)} recorded): its audio and "
                          "its transcript are deleted for good.", parent=self)
        box.setAccessibleName("Discard this session?")
        delete = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        delete.setAccessibleName("Discard the session")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: self._discard(session_id) if button is delete else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.discard_box = box
        box.open()

    def _discard(self, session_id: str) -> None:
        offer = self.offers.get(session_id)
        if offer is None:
            return
        offer.busy("Discarding…")
        root = self.root
        self.context.bridge.submit(asyncio.to_thread(lambda: SessionLibrary(root).delete(session_id)),
                                   on_result=lambda _none: self._discarded(session_id),
                                   on_error=lambda error: self._failed(session_id, error), owner=self)

    def _discarded(self, session_id: str) -> None:
        self._remove(session_id)
        self.context.notify("The interrupted session was discarded.")
        self.discarded.emit(session_id)

    def _remove(self, session_id: str) -> None:
        offer = self.offers.pop(session_id, None)
        if offer is not None:
            offer.hide()
            offer.deleteLater()
        if not self.offers:
            self.accept()
        else:
            self._fit()
