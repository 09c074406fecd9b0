"""The live session, Qt-free: sources, aligned capture, one realtime session, events for the views.

The contract with the Live workspace's views is ``/work/team/LIVE_API.md``; this is the same, as built.

Sources (``sources``)
    ``list_sources() -> Sources``: ``.microphones`` (PulseAudio/PipeWire sources by name on Linux, then
    every input device ``sounddevice`` lists; the default first and marked), ``.system`` (OS loopbacks:
    PulseAudio/PipeWire monitors, WASAPI loopback; the default output's first), ``.note`` (why there is no
    system audio — macOS: "…a virtual audio device such as BlackHole…"), ``.microphone_note``. Each
    ``SourceInfo`` has a stable ``id``, a ``label``, a ``kind`` (``SourceKind.MIC``/``SYSTEM``),
    ``is_default``. Listing talks to the sound server: call it off the GUI thread.
    ``SourceChoice(kind=SourceKind.MIC | SYSTEM | BOTH, microphone_id=None, system_id=None)`` (None or "":
    the default device); ``choice.channels`` is ``("Me",)``, ``("Them",)`` or ``("Me", "Them")``.
    ``SourceMonitor(choice)``: ``await monitor.start()``, ``monitor.levels() -> {"Me": peak 0..1}`` over
    the last 50 ms (thread-safe, pull it from a timer), ``monitor.problems``, ``monitor.close()``.

Settings (``config``)
    ``LiveConfig`` (frozen): ``language``, ``operating_point`` ("standard"/"enhanced"), ``max_delay``,
    ``enable_partials``, ``diarization`` ("none"/"speaker"/"channel"; Microphone + system audio is always
    two channels "Me"/"Them", with speakers told apart inside them where the engine can), ``max_speakers``
    (0: no limit), ``speaker_sensitivity``, ``vocab`` (``VocabEntry(content, sounds_like)``),
    ``enable_entities``, ``translation_targets``, ``end_of_utterance_silence`` (0: off).
    ``LiveConfig.changeable_mid_session(field)``, ``LiveConfig.why_fixed(field)`` (the tooltip),
    ``LiveConfig.changed_fields(a, b)``, ``config.problems(caps, kind)``, ``LiveConfig.from_settings(
    settings.live, settings.language)`` / ``config.to_settings(settings.live)``.

The session (``session``)
    ``LiveSession(connect, choice, config, *, source_factory=None, clock=None, capabilities=None)``:
    ``connect`` is a coroutine function giving a ``studio.services.connections.Connection`` (the GUI passes
    ``context.connect``); ``source_factory(channel, source_id | None) -> AudioSource`` replaces the devices
    (tests: ``studio.audio.file_source.FileSource``; None as the id means "the default device", asked for
    when a lost device is replaced); ``clock`` (``studio.audio.clock``) is what capture times are read on.
    Coroutines, on the bridge's event loop:
        ``await session.start()`` — never raises for failures in use: they arrive as ``Problem`` + ``FAILED``;
        ``await session.update_config(config)`` — ``SetRecognitionConfig`` for what may change mid-session
        (``ConfigurationError`` with the reason for what may not);
        ``await session.bookmark(label="") -> float`` — the audio time now (add it to the Transcript);
        ``await session.stop()`` — capture stops, the rest is sent, ``EndOfStream``/``EndOfChannel``, the
        remaining finals and ``EndOfTranscript`` arrive, ``STOPPED``; the session (rings, bookmarks) is kept.
    Thread-safe, for the GUI to pull at display rate:
        ``session.drain() -> list[LiveEvent]``; ``session.state``; ``session.rings`` (``{"Me": AudioRing}``
        of aligned 16 kHz audio, ``ring.written`` frames so far); ``session.levels()``;
        ``session.audio_time()``; ``session.capture_clock(audio_time)`` (``time.monotonic`` of capture,
        for the caption-latency benchmark); ``session.origin`` (the clock reading of audio time 0);
        ``session.delivering(label)`` (its device has sent audio yet); ``session.transcript_channel(label)``
        (the ``channel`` its messages carry); ``session.sample_rate`` (16000); ``session.bookmarks.items``.
    ``session.add_tap(callback(label, frames, audio_time))`` sees every aligned piece of audio per channel
    (the recorder's hook); ``session.events.subscribe(listener)`` every event as it is put, on the loop.
    Reconnecting (issue 12, ``reconnect``): a connection that drops for a reason a retry can fix puts the
    session in ``RECONNECTING`` while capture goes on; it reconnects with backoff, sends first the audio whose
    words were not final (and the 2 s before it), shifts the new connection's times
    (``session.time_offset(label)``) and drops what it says about audio already final;
    ``session.reconnects``, ``session.buffered_seconds()``, ``session.dropped_seconds``.

Recording and recovery (issue 12; the contract is ``/work/team/LIBRARY_API.md``)
    ``SessionRecorder(store, engine=…, live_text=…, live_text_mode=…)`` (``recorder``): ``await
    recorder.attach(session)`` before ``start`` — the session's folder (``studio.storage.sessions``) with its
    WAV, journal and description, written as it runs; ``await recorder.rename_speaker(key, name)``.
    ``recovery``: ``find_unfinished(library)``, ``recover(library, id)``, ``export_session(document, fmt)``,
    ``batch_files(document)``.

Events (``events``)
    ``StateChanged(state)`` (``SessionState``: IDLE, CONNECTING, RUNNING, RECONNECTING, STOPPING, STOPPED,
    FAILED; ``state.active``), ``Reconnecting(attempt, retry_in, buffered_seconds, reason)``,
    ``Reconnected(attempts, offline_seconds, replayed_seconds)``, ``RecordingChanged(state, session_id, folder,
    text)``, ``Message(message, channel)`` (every server message, typed, in order:
    apply it to a ``studio.core.transcript.Transcript``), ``Problem(text, severity, action)`` (``Severity``
    INFO/WARNING/ERROR; ``Action`` NONE/SETTINGS/RETRY/SOURCES), ``SourceChanged(channel, source_id,
    label)`` (``source_id`` None: lost).

Modules: ``sources`` (listing, choosing, opening, metering), ``devices`` (a session's devices: loss and
resume on the default), ``align`` (the timeline), ``pump`` (capture thread → loop, resampling, 20 ms
frames, taps), ``session`` (the runner), ``reconnect`` (replay buffer, time shift, retry policy), ``recorder``,
``livetext``, ``recovery``, ``config``, ``events``, ``bookmarks``.
"""

from __future__ import annotations

from studio.api.config import VocabEntry
from studio.audio.ring import AudioRing
from studio.services.live.bookmarks import Bookmarks, Mark
from studio.services.live.config import ME, THEM, LiveConfig
from studio.services.live.events import (
    Action,
    LiveEvent,
    Message,
    Problem,
    Reconnected,
    Reconnecting,
    RecordingChanged,
    SessionState,
    Severity,
    SourceChanged,
    StateChanged,
)
from studio.services.live.session import LiveSession
from studio.services.live.sources import (
    SourceChoice,
    SourceInfo,
    SourceKind,
    SourceMonitor,
    Sources,
    list_sources,
    open_source,
)

__all__ = [
    "ME", "THEM", "Action", "AudioRing", "Bookmarks", "LiveConfig", "LiveEvent", "LiveSession", "Mark", "Message",
    "Problem", "Reconnected", "Reconnecting", "RecordingChanged", "SessionState", "Severity", "SourceChanged",
    "SourceChoice", "SourceInfo", "SourceKind", "SourceMonitor", "Sources", "StateChanged", "VocabEntry",
    "list_sources", "open_source",
]
