"""Resume after a crash without waiting for the Batch page: the studio calls ``resume_unfinished`` once its
window is on screen; if the queue holds unfinished jobs, the batch service starts and the status bar says so.

Only the queue's runtime is loaded (no page, no QtMultimedia); the count is read off the GUI thread."""

from __future__ import annotations

import asyncio

from studio.qt.batch.runtime import runtime_for
from studio.qt.context import WorkspaceContext
from studio.storage.jobs_store import count_unfinished


def resume_unfinished(context: WorkspaceContext) -> None:
    runtime = runtime_for(context)
    if runtime.ready:
        return

    def found(count: int) -> None:
        if count and not runtime.ready:
            jobs = f"{count} unfinished batch job{'s' if count != 1 else ''}"
            runtime.start(on_ready=lambda: context.notify(f"Resuming {jobs} from the last session…"))

    try:
        context.bridge.submit(asyncio.to_thread(count_unfinished, runtime.path), on_result=found)
    except RuntimeError:  # the studio is already shutting down
        return
