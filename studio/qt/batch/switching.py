"""The interpreter's thread switch interval, shortened only while the batch queue is at work.

The queue runs on the bridge's event loop and its worker threads (file checks, uploads, polling, the store),
all Python; the GUI thread then waits for the GIL each time it has an event to handle, for up to the switch
interval (5 ms by default) per wait, several times a frame. A 1 ms interval bounds each wait, at the price
of more thread switches in the whole process, so it is set while jobs are being checked, sent or polled and
put back as it was once none is (or the queue closes): an idle studio, and the Live and Voices workspaces
when the queue has nothing to do, keep the interpreter's default.

    busy = WhileBusy(board)      # follows the board's changes (on the GUI thread)
    busy.close()                 # the previous interval again, and no more following
"""

from __future__ import annotations

import sys

from studio.core.jobs import JobState
from studio.services.batch.board import BoardChange, JobBoard

#: While the queue works. Each wait of the GUI thread for the interpreter is then at most about this long.
BUSY_INTERVAL = 0.001  # seconds
_WORKING = frozenset({JobState.UPLOADING, JobState.PROCESSING})


def working(board: JobBoard) -> bool:
    """Whether the queue is checking, sending or polling a job (or will, as soon as it can: queued, not paused)."""
    return board.count(_WORKING) > 0 or (board.counts[JobState.QUEUED] > 0 and not board.paused)


class WhileBusy:
    def __init__(self, board: JobBoard, interval: float = BUSY_INTERVAL) -> None:
        self._board = board
        self._interval = interval
        self._previous: float | None = None  # the interval before ours, while ours is set
        self._unsubscribe = board.changes.subscribe(self._changed)
        self._follow()

    @property
    def active(self) -> bool:
        return self._previous is not None

    def _changed(self, change: BoardChange) -> None:
        if change.kind != "problem":
            self._follow()

    def _follow(self) -> None:
        busy = working(self._board)
        if busy and self._previous is None:
            current = sys.getswitchinterval()
            if current > self._interval:
                self._previous = current
                sys.setswitchinterval(self._interval)
        elif not busy:
            self._restore()

    def _restore(self) -> None:
        previous, self._previous = self._previous, None
        # Someone else may have changed it since: theirs stays.
        if previous is not None and abs(sys.getswitchinterval() - self._interval) < 1e-9:
            sys.setswitchinterval(previous)

    def close(self) -> None:
        self._unsubscribe()
        self._restore()
