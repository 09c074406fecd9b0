"""The recorder: a live session written to its session folder as it runs (studio.storage.sessions).

    recorder = SessionRecorder(SessionStore(paths.data / "sessions"), engine="Built-in engine (Whisper tiny.en)",
                               live_text=Path("~/obs/captions.txt"), live_text_mode="captions")
    await recorder.attach(session)        # before session.start(): folder, lock, session.json, journal, WAV
    await session.start() … await session.stop()    # the recorder finishes by itself on STOPPED/FAILED
    await recorder.rename_speaker("Them/S1", "Alice")  # the registry's key; journaled; views rename their own
    await recorder.closed()               # (optional) wait until the folder is complete

* **Audio**: the session's tap (``add_tap``) hands every aligned 16 kHz piece of each source, silence padding
  included, to a ``WavWriter`` — one channel per source ("Me", then "Them") — written on the loop with one
  ``write(2)`` per piece, before the same audio is sent to the service (a piece costs about 10 µs). The
  header's sizes are brought up to date every half second and the file is ``fdatasync``-ed every
  ``sync_interval`` seconds in a worker thread.
* **Journal**: every final (``AddTranscript``, times on the session's clock, across reconnects), every final
  translation, every bookmark (``session.bookmarks.subscribe``) and every rename, as its own line the
  moment it arrives (``Journal.append``) — a ``kill -9`` loses at most the words that were still partial.
* **Live text** (optional): ``LiveText`` — the finals appended to a TXT file, or the last lines for OBS.
* **A write that fails** (disk full, folder removed, permissions) stops the recording — audio, journal and
  live text — with one ``Problem`` (WARNING) and ``RecordingChanged("failed")``; the captions go on, and what
  was written stays readable (the WAV header describes the frames written; the journal's lines are whole,
  and a torn last one is skipped by readers). A folder that cannot be created at all: ``RecordingChanged
  ("off")`` and a ``Problem``; the session runs unrecorded.
* **The end**: on ``STOPPED`` or ``FAILED`` the files are completed (an ``end`` record, the WAV closed,
  ``session.json`` says ``finished`` with the duration and first words) and the lock is released. A session
  that recorded nothing at all (it failed before any audio) is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
from pathlib import Path
from typing import Any

from studio.api import messages as m
from studio.audio.frames import Frames
from studio.audio.recording import WavWriter
from studio.core.transcript.speakers import UNKNOWN, speaker_key
from studio.core.transcript.tokens import Token
from studio.services.live.events import (
    Action,
    LiveEvent,
    Message,
    Problem,
    Reconnected,
    RecordingChanged,
    SessionState,
    Severity,
    SourceChanged,
    StateChanged,
)
from studio.services.live.livetext import LiveText, Mode
from studio.services.live.session import LiveSession
from studio.storage.sessions import (
    AUDIO_FILE,
    SessionHandle,
    SessionInfo,
    SessionStore,
    SourceInfo,
    now_iso,
)
from studio.storage.sessions_journal import Journal
from studio.storage.sessions_library import FIRST_WORDS, first_words

log = logging.getLogger(__name__)

SYNC_INTERVAL = 5.0  # seconds between fdatasync of the audio and journal (a worker thread)
FLUSH_INTERVAL = 0.5  # seconds between WAV header updates


def _minutes(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}" if whole >= 3600 else \
        f"{whole // 60}:{whole % 60:02d}"


def why(error: OSError) -> str:
    """A recording write failure in plain words."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if error.errno == errno.EFBIG:
        return "the file is as large as this disk allows"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the folder cannot be written"
    if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.ESTALE):
        return "the folder is gone"
    return (error.strerror or type(error).__name__).lower()


def speaker_runs(message: m.Transcript) -> list[tuple[str, str]]:
    """A final's text in runs of one speaker: ``[(key, text)]``, keyed as the transcript's speaker registry
    keys them (``speaker_key``: ``Me``, ``Them/S1``, ``S1``), "" for an unknown speaker in one stream."""
    runs: list[tuple[str, str]] = []
    for result in message.results:
        label = result.alternatives[0].speaker if result.alternatives else None
        content = result.content
        speaker = speaker_key(Token(result.type, content, result.start_time, result.end_time, speaker=label,
                                    channel=message.channel))
        if speaker == UNKNOWN:
            speaker = ""
        if not runs or runs[-1][0] != speaker:
            runs.append((speaker, content))
        elif result.type == "punctuation" and (result.attaches_to or "previous") in ("previous", "both"):
            runs[-1] = (speaker, runs[-1][1] + content)
        else:
            runs[-1] = (speaker, f"{runs[-1][1]} {content}")
    return runs


class SessionRecorder:
    def __init__(self, store: SessionStore, *, engine: str = "", live_text: Path | None = None,
                 live_text_mode: Mode = "transcript", live_text_lines: int = 2, record_audio: bool = True,
                 sync_interval: float = SYNC_INTERVAL) -> None:
        self.store = store
        self.engine = engine
        self.live_text_path = live_text
        self.live_text_mode = live_text_mode
        self.live_text_lines = live_text_lines
        self.record_audio = record_audio
        self.sync_interval = sync_interval
        self.state = "idle"  # "recording" | "failed" | "stopped" | "off"
        self.problem: str | None = None
        self.handle: SessionHandle | None = None
        self._session: LiveSession | None = None
        self._writer: WavWriter | None = None
        self._journal: Journal | None = None
        self._live: LiveText | None = None
        self._index: dict[str, int] = {}
        self._written: dict[str, int] = {}  # frames of each source placed in the file so far
        self._sources: dict[str, tuple[str, str]] = {}
        self._words: list[str] = []
        self._first_saved = False
        self._started_journaled = False
        self._final_end = 0.0
        self._unsubscribe: list[Any] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    # -- reading ---------------------------------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        return self.handle.id if self.handle is not None else ""

    @property
    def folder(self) -> Path | None:
        return self.handle.folder if self.handle is not None else None

    @property
    def audio_seconds(self) -> float:
        return self._writer.seconds if self._writer is not None else 0.0

    async def closed(self) -> None:
        """Returns once the session folder is complete (after the session stopped or failed)."""
        await self._done.wait()

    # -- attaching -------------------------------------------------------------------------------------------
    async def attach(self, session: LiveSession) -> bool:
        """Creates the session's folder and starts recording it (call before ``session.start()``). False if
        it could not be created: the session then runs unrecorded, and says so."""
        self._session = session
        labels = session.channels
        kind = session.choice.kind.value
        info = SessionInfo(
            created=now_iso(), state="recording", source_kind=kind,
            sources=tuple(SourceInfo(label, "mic" if label == "Me" else "system",
                                     session.choice.source_id(label) or "") for label in labels),
            channels=labels, transcript_channels={label: session.transcript_channel(label) for label in labels},
            sample_rate=session.sample_rate, audio=AUDIO_FILE if self.record_audio else None,
            engine=self.engine, language=session.config.language, settings=_settings(session))
        try:
            self.handle, self._writer, self._journal = await asyncio.to_thread(self._create, info, labels)
        except OSError as exc:
            self._off(exc)
            return False
        self._index = {label: i for i, label in enumerate(labels)}
        self._written = dict.fromkeys(labels, 0)
        if self.live_text_path is not None:
            try:
                self._live = LiveText(self.live_text_path, self.live_text_mode, lines=self.live_text_lines)
            except OSError as exc:
                self._live_text_failed(exc)
        self._unsubscribe = [session.add_tap(self._on_audio), session.events.subscribe(self._on_event),
                             session.bookmarks.subscribe(self._on_bookmark)]
        self._ticker = asyncio.create_task(self._tick(), name="recorder-tick")
        self.state = "recording"
        session.events.put(RecordingChanged("recording", self.session_id, str(self.folder)))
        return True

    def _create(self, info: SessionInfo, labels: tuple[str, ...]) -> tuple[SessionHandle, WavWriter | None, Journal]:
        handle = self.store.create(info)
        try:
            journal = Journal(handle.journal_path)
            audio = handle.audio_path
            writer = WavWriter(audio, len(labels), info.sample_rate) if audio is not None else None
        except BaseException:
            handle.release()
            raise
        return handle, writer, journal

    def _off(self, error: OSError) -> None:
        assert self._session is not None
        self.state = "off"
        reason = why(error) if error.errno in (errno.ENOSPC, errno.EDQUOT) else \
            f"the sessions folder {self.store.root} cannot be written ({error.strerror or type(error).__name__})"
        self.problem = f"This session is not being recorded: {reason}. The captions go on."
        self._session.events.put(Problem(self.problem, Severity.WARNING, Action.NONE))
        self._session.events.put(RecordingChanged("off", "", str(self.store.root), self.problem))
        self._done.set()

    # -- the live path (on the loop) -------------------------------------------------------------------------
    def _on_audio(self, label: str, frames: Frames, audio_time: float) -> None:
        writer = self._writer
        if writer is None or self.state != "recording":
            return
        at = round(audio_time * writer.rate)
        written = self._written[label]
        try:
            if at > written:  # never expected (the pump's pieces are contiguous); keep the file on time anyway
                writer.write_channel(self._index[label], _silence(at - written))
                written = at
            elif at < written:
                frames = frames[written - at:]
            writer.write_channel(self._index[label], frames)
        except OSError as exc:
            self._fail(exc)
            return
        self._written[label] = written + len(frames)

    def _on_event(self, event: LiveEvent) -> None:
        if isinstance(event, Message):
            self._on_message(event.message)
        elif isinstance(event, StateChanged) and event.state in (SessionState.STOPPED, SessionState.FAILED):
            if self._closing is None:
                self._closing = asyncio.create_task(self.close(), name="recorder-close")
        elif isinstance(event, SourceChanged) and event.source_id is not None:
            self._sources[event.channel] = (event.source_id, event.label)
        elif isinstance(event, Reconnected):
            self._write({"type": "reconnected", "at": round(self._final_end, 3), "gap": event.offline_seconds})

    def _on_message(self, message: m.ServerMessage) -> None:
        if isinstance(message, m.Transcript):
            if message.partial:
                if self._live is not None:
                    runs = speaker_runs(message)
                    self._live_call(lambda live: live.partial(*(runs[-1] if runs else ("", ""))))
                return
            self._write({"type": "final", "message": dict(message.raw)})
            self._final_end = max(self._final_end, message.metadata.end_time)
            runs = speaker_runs(message)
            if self._live is not None:
                for speaker, text in runs:
                    self._live_call(lambda live, s=speaker, t=text: live.final(s, t))
            if not self._first_saved:
                self._words.extend(w for _s, t in runs for w in t.split())
                if len(self._words) > FIRST_WORDS:
                    self._first_saved = True
                    self._spawn(self._save_info())
        elif isinstance(message, m.Translation) and not message.partial:
            self._write({"type": "translation", "message": dict(message.raw)})
        elif isinstance(message, m.RecognitionStarted) and not self._started_journaled:
            self._started_journaled = True
            self._write({"type": "started", "language_pack_info": dict(message.raw.get("language_pack_info") or {})})
            self._spawn(self._save_info())

    def _on_bookmark(self, mark: Any) -> None:
        self._write({"type": "bookmark", "time": mark.time, "label": mark.label})

    async def rename_speaker(self, speaker: str, name: str) -> None:
        """Journals a rename made in the Live workspace (the views rename in their Transcript themselves):
        ``speaker`` is the key the Transcript's registry has (``speaker_key``: "Me", "Them/S1", "S1", "UU");
        the library applies it as the registry does, and the live text file names that speaker so."""
        self._write({"type": "rename", "speaker": speaker, "name": name.strip()})
        if self._live is not None:
            self._live_call(lambda live: live.rename(speaker, name))

    def _write(self, record: dict[str, Any]) -> None:
        journal = self._journal
        if journal is None or self.state != "recording":
            return
        try:
            journal.append(record)
        except OSError as exc:
            self._fail(exc)

    def _live_call(self, call: Any) -> None:
        live = self._live
        if live is None:
            return
        try:
            call(live)
        except OSError as exc:
            self._live_text_failed(exc)

    def _live_text_failed(self, error: OSError) -> None:
        live, self._live = self._live, None
        if live is not None:
            with contextlib.suppress(OSError):
                live.close()
        if self._session is not None:
            self._session.events.put(Problem(f"The live text file {self.live_text_path} is no longer written: "
                                             f"{why(error)}. The captions and the recording go on.",
                                             Severity.WARNING))

    # -- failure ---------------------------------------------------------------------------------------------
    def _fail(self, error: OSError) -> None:
        """A write failed: recording stops here, what is written is kept, the captions go on."""
        if self.state != "recording":
            return
        self.state = "failed"
        kept = _minutes(self._writer.seconds) if self._writer is not None else ""
        folder = f" ({self.folder})" if self.folder is not None else ""
        self.problem = (f"Recording stopped: {why(error)}{folder}. The captions go on; what was recorded "
                        f"until then{f' ({kept})' if kept else ''} is kept.")
        log.warning("recording stopped: %s", error)
        writer, self._writer = self._writer, None
        journal, self._journal = self._journal, None
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()
        if journal is not None:
            journal.close()
        if self._live is not None:
            live, self._live = self._live, None
            with contextlib.suppress(OSError):
                live.close()
        session = self._session
        assert session is not None
        session.events.put(Problem(self.problem, Severity.WARNING, Action.NONE))
        session.events.put(RecordingChanged("failed", self.session_id, str(self.folder or ""), self.problem))
        self._spawn(self._save_info(problem=self.problem))

    # -- background ------------------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tick(self) -> None:
        since_sync = 0.0
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            writer = self._writer
            if writer is not None:
                try:
                    writer.flush()
                except OSError as exc:
                    self._fail(exc)
            since_sync += FLUSH_INTERVAL
            if since_sync >= self.sync_interval and self.state == "recording":
                since_sync = 0.0
                try:
                    await asyncio.to_thread(self._sync)
                except OSError as exc:
                    self._fail(exc)

    def _sync(self) -> None:
        for part in (self._writer, self._journal):
            if part is not None:
                part.sync()

    async def _save_info(self, *, problem: str | None = None, final: bool = False) -> None:
        handle, session = self.handle, self._session
        if handle is None or session is None:
            return
        sources = tuple(dataclasses.replace(s, source_id=self._sources.get(s.channel, (s.source_id, ""))[0],
                                            label=self._sources.get(s.channel, ("", s.label))[1])
                        for s in handle.info.sources)
        info = handle.info.replace(
            sources=sources, engine=self.engine or ("Built-in engine" if session.local else "Speechmatics"),
            engine_kind="local" if session.local else "speechmatics", first_words=first_words(" ".join(self._words)),
            reconnects=session.reconnects)
        if problem is not None:
            info = info.replace(recording_problem=problem)
        if final:
            duration = self._written_seconds() or max(self._final_end, session.audio_time())
            info = info.replace(state="finished", ended=now_iso(), duration=round(duration, 3))
        try:
            await asyncio.to_thread(handle.save_info, info)
        except OSError as exc:
            log.warning("session %s: session.json not updated: %s", handle.id, exc)

    def _written_seconds(self) -> float:
        return max(self._written.values(), default=0) / (self._session.sample_rate if self._session else 16000)

    # -- the end ---------------------------------------------------------------------------------------------
    async def close(self) -> None:
        """Completes the folder (the session has stopped or failed) and releases its lock. Idempotent."""
        if self._done.is_set():
            return
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        handle = self.handle
        session = self._session
        if handle is None or session is None:
            self._done.set()
            return
        recorded_nothing = self.state == "recording" and not self._written_seconds() and \
            (self._journal is None or self._journal.records == 0)
        if self.state == "recording":
            self._write({"type": "end", "duration": round(session.audio_time(), 3)})
        try:
            await asyncio.to_thread(self._close_files)
        except OSError as exc:
            self._fail(exc)
        if self._live is not None:
            with contextlib.suppress(OSError):
                self._live.close()
            self._live = None
        if recorded_nothing:
            handle.release()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.store.delete, handle.id)
            self.state = "off"
            self._done.set()
            return
        await self._save_info(final=True)
        handle.release()
        if self.state == "recording":
            self.state = "stopped"
        session.events.put(RecordingChanged("stopped", self.session_id, str(self.folder)))
        self._done.set()

    def _close_files(self) -> None:
        writer, self._writer = self._writer, None
        journal, self._journal = self._journal, None
        try:
            if writer is not None:
                writer.close(sync=True)
        finally:
            if journal is not None:
                try:
                    journal.sync()
                finally:
                    journal.close()


def _silence(frames: int) -> Frames:
    import numpy as np

    return np.zeros(frames, dtype=np.float32)


def _settings(session: LiveSession) -> dict[str, Any]:
    config = dataclasses.asdict(session.config)
    config["vocab"] = [{"content": v["content"], "sounds_like": list(v.get("sounds_like") or ())}
                       for v in config.get("vocab") or ()]
    config["translation_targets"] = list(config.get("translation_targets") or ())
    return config
