"""After a crash: finding the live sessions that were interrupted, recovering them, and what can follow.

    library = SessionLibrary(paths.data / "sessions")
    for summary in find_unfinished(library):           # at start-up (off the GUI thread: it reads the folders)
        recovered = recover(library, summary.id)        # SessionLockedError if another instance records it
        recovered.document.transcript                   # every final up to the crash, bookmarks, speaker names
        recovered.audio_seconds, recovered.final_seconds, recovered.untranscribed_seconds
        export_session(recovered.document, "srt")       # bytes, like any transcript export
        batch_files(recovered.document)                 # [audio.wav]: hand to WorkspaceContext.transcribe_files

A session is *unfinished* when its ``session.json`` still says ``recording`` and nobody holds its lock (the
studio that wrote it died: a crash, ``kill -9``, a power cut). ``recover`` takes the lock, cuts a half-written
last journal line off, sets the WAV header's sizes from what is really in the file (``repair_wav``: the
header may be up to half a second behind), marks the session ``recovered`` with its duration and first
words, and releases the lock. The transcript then holds every final the service had sent and the studio had
received before the crash; the audio holds everything captured up to then — including the words that were
still partial, which a batch job on ``batch_files`` transcribes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.audio.recording import repair_wav
from studio.core.exporters import Options, export
from studio.storage.sessions import now_iso
from studio.storage.sessions_journal import read_journal, truncate_torn
from studio.storage.sessions_library import (
    SessionDocument,
    SessionLibrary,
    SessionSummary,
    first_words,
    transcript_text,
)


@dataclass(frozen=True)
class Recovered:
    document: SessionDocument
    audio_seconds: float  # recorded audio (0 if none could be read)
    final_seconds: float  # session time up to which the words are final
    torn_line: bool  # a journal line half-written at the crash was cut off (a final that did not make it)
    audio_problem: str | None = None  # why the audio could not be recovered, if it could not

    @property
    def untranscribed_seconds(self) -> float:
        """Recorded audio after the last final: what a batch job would add."""
        return max(0.0, self.audio_seconds - self.final_seconds)


def find_unfinished(library: SessionLibrary) -> list[SessionSummary]:
    """Interrupted sessions nobody is writing, newest first."""
    return library.unfinished()


def _final_seconds(records: list[dict[str, object]]) -> float:
    end = 0.0
    for record in records:
        message = record.get("message")
        if record.get("type") == "final" and isinstance(message, dict):
            value = (message.get("metadata") or {}).get("end_time")
            if isinstance(value, int | float):
                end = max(end, float(value))
    return end


def recover(library: SessionLibrary, session_id: str) -> Recovered:
    """Makes an interrupted session whole and marks it recovered (see the module documentation). Raises
    ``SessionLockedError`` if it is being recorded, ``SessionStoreError`` if it cannot be read."""
    with library.store.acquire(session_id) as handle:
        torn = truncate_torn(handle.journal_path)
        records, _ = read_journal(handle.journal_path)
        frames, problem = 0, None
        audio = handle.audio_path
        if audio is not None and audio.is_file():
            try:
                frames = repair_wav(audio)
            except (OSError, ValueError) as exc:
                problem = f"The recorded audio could not be read ({exc})"
        elif audio is not None:
            problem = "The recorded audio is missing"
        info = handle.info
        audio_seconds = frames / max(1, info.sample_rate)
        final = _final_seconds(records)
        if info.state == "recording":
            handle.save_info(info.replace(
                state="recovered", ended=info.ended or now_iso(), duration=round(audio_seconds or final, 3),
                first_words=info.first_words or first_words(transcript_text(records))))
    return Recovered(library.open(session_id), audio_seconds, final, torn, problem)


def export_session(document: SessionDocument, fmt: str, options: Options | None = None) -> bytes:
    """The session's transcript in ``fmt`` (``studio.core.exporters.FORMATS``), speaker names included."""
    return export(document.transcript, fmt, options)


def batch_files(document: SessionDocument) -> list[Path]:
    """What to send as a batch job to finish the words that were still partial: the session's recording."""
    return [document.audio] if document.audio is not None else []
