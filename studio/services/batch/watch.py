"""A watch folder: new audio and video files that appear in it (or below it) are added to the queue.

    watcher = FolderWatch(folder, on_new, since=last_scan)   # on_new(list[Path]) is awaited
    task = asyncio.create_task(watcher.run())                # scans every ``interval`` seconds
    watcher.since                                            # keep it, to pick up files added while closed

The folder is scanned (in a worker thread) rather than watched through OS events: it works the same on every
platform and on network shares, and a scan every few seconds costs nothing next to a transcription. A
file counts as new when it was created, copied or moved in after ``since`` (its change time), and it is
handed over only once its size has stayed the same across two scans, so a recording still being copied
is not sent half-written. Files found in one scan go to ``on_new`` together.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from studio.services.batch.inputs import MEDIA_SUFFIXES

log = logging.getLogger(__name__)

OnNew = Callable[[list[Path]], Awaitable[None]]


def _scan(folder: Path) -> dict[Path, tuple[int, float]]:
    """Media files below ``folder``: path → (size, latest of change and modification time)."""
    found: dict[Path, tuple[int, float]] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith(".") or Path(name).suffix.lower() not in MEDIA_SUFFIXES:
                continue
            path = Path(root) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            found[path] = (stat.st_size, max(stat.st_mtime, stat.st_ctime))
    return found


class FolderWatch:
    def __init__(self, folder: Path, on_new: OnNew, *, since: float | None = None, interval: float = 3.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.since = clock() if since is None else since  # files changed at or after this are new
        self._on_new = on_new
        self._interval = interval
        self._clock = clock
        self._sizes: dict[Path, int] = {}  # candidates seen once: their size then
        self._handed: set[Path] = set()

    async def scan_once(self) -> list[Path]:
        """One scan; returns (and hands over) the files that are new and complete."""
        started = self._clock()
        try:
            found = await asyncio.to_thread(_scan, self.folder)
        except OSError as exc:
            log.warning("the watch folder %s cannot be read: %s", self.folder, exc)
            return []
        ready: list[Path] = []
        waiting: dict[Path, int] = {}
        for path, (size, stamp) in found.items():
            if stamp < self.since or path in self._handed:
                continue
            if size > 0 and self._sizes.get(path) == size:
                ready.append(path)
            else:
                waiting[path] = size
        self._sizes = waiting
        stamps = [found[path][1] for path in waiting]
        # The next start picks up what is still being copied now: ``since`` stays before it.
        self.since = min([started, *stamps])
        if ready:
            ready.sort(key=lambda p: str(p).casefold())
            self._handed.update(ready)
            await self._on_new(ready)
        return ready

    async def run(self) -> None:
        while True:
            await self.scan_once()
            await asyncio.sleep(self._interval)
