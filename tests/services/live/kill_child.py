"""The studio instance the kill-and-recover test SIGKILLs: a live session from a file-backed source against
the parent's local server, recorded into a sessions folder; it prints ``started <id>`` and runs until killed.

    python -m tests.services.live.kill_child <realtime URL> <key> <recording> <sessions folder> <speed>
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from studio.api.endpoints import Endpoints
from studio.audio.clock import ScaledClock
from studio.audio.file_source import FileSource
from studio.services.connections import Connection
from studio.services.live import LiveConfig, LiveSession, SessionState, SourceChoice, SourceKind
from studio.services.live.recorder import SessionRecorder
from studio.storage.sessions import SessionStore


async def main(url: str, key: str, recording: str, root: str, speed: float) -> None:
    clock = ScaledClock(speed)

    async def connect() -> Connection:
        return Connection(Endpoints(url, "http://127.0.0.1:9/v2", "http://127.0.0.1:9"), api_key=key)

    def source(channel: str, _source_id: str | None) -> FileSource:
        return FileSource(recording, clock=clock, label="Test microphone")

    session = LiveSession(connect, SourceChoice(SourceKind.MIC), LiveConfig(diarization="none"),
                          source_factory=source, clock=clock)
    recorder = SessionRecorder(SessionStore(Path(root)), engine="Scripted (kill test)")
    if not await recorder.attach(session):
        print("not recording", flush=True)
        return
    await session.start()
    print(f"started {recorder.session_id} {session.state.value}", flush=True)
    while session.state is not SessionState.FAILED:
        await asyncio.sleep(0.1)
    print("failed", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])))
