"""The Live page's sessions on disk: each session recorded as it runs (``studio.services.live.recorder``), so
a crash loses nothing, and the speakers the user renames written to it too.

``SessionRecording(context, transcript)`` is made once per page. ``recorder_for(session)`` builds the
recorder the settings ask for (``settings.live.record_sessions``, the live text file for other apps) or
None; the controller attaches it before the session starts. A rename in the page's transcript goes to the
recorder while its session runs, and to the sessions library afterwards (off the GUI thread).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from studio.core.transcript import Transcript
from studio.core.transcript.speakers import SpeakerRenamed
from studio.qt.context import WorkspaceContext

if TYPE_CHECKING:
    from studio.services.live import LiveSession
    from studio.services.live.recorder import SessionRecorder

log = logging.getLogger(__name__)


class SessionRecording:
    def __init__(self, context: WorkspaceContext, transcript: Transcript) -> None:
        self.context = context
        self.transcript = transcript
        self.recorder: SessionRecorder | None = None
        self._session: LiveSession | None = None
        self._unsubscribe: Callable[[], None] = transcript.speakers.renamed.subscribe(self._renamed)

    def close(self) -> None:
        self._unsubscribe()

    def recorder_for(self, session: LiveSession) -> SessionRecorder | None:
        """The recorder of ``session`` as the settings ask for it (None: sessions are not recorded)."""
        live = self.context.state.settings.live
        self._session = session
        self.recorder = None
        if not live.record_sessions:
            return None
        from studio.services.live.recorder import SessionRecorder
        from studio.storage.sessions import SessionStore, sessions_folder

        mode = live.live_text_mode if live.live_text_mode in ("transcript", "captions") else "transcript"
        self.recorder = SessionRecorder(
            SessionStore(sessions_folder(self.context.paths)), engine=self.context.state.engine.label,
            live_text=Path(live.live_text_file).expanduser() if live.live_text_file.strip() else None,
            live_text_mode=mode,  # type: ignore[arg-type]
            live_text_lines=max(1, live.live_text_lines))
        return self.recorder

    @property
    def folder(self) -> Path | None:
        return self.recorder.folder if self.recorder is not None else None

    def _renamed(self, change: SpeakerRenamed) -> None:
        recorder, session = self.recorder, self._session
        if recorder is None or session is None:
            return
        name = self.transcript.speakers.get(change.key).name or ""  # "": the default name again
        if session.state.active and recorder.state == "recording":
            self.context.bridge.submit(recorder.rename_speaker(change.key, name))
        elif recorder.session_id:
            self.context.bridge.submit(asyncio.to_thread(self._rename_recorded, recorder.session_id,
                                                         change.key, name),
                                       on_error=lambda error: log.warning("rename not saved: %s", error))

    def _rename_recorded(self, session_id: str, key: str, name: str) -> None:
        from studio.storage.sessions import sessions_folder
        from studio.storage.sessions_library import SessionLibrary

        SessionLibrary(sessions_folder(self.context.paths)).rename_speaker(session_id, key, name)
