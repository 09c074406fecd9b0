"""The studio as ``studio`` runs it (offscreen), for the kill-and-resume test and benchmark: it prints every
state change of the batch queue as a JSON line, and ``all-finished`` (then closes) once no job is unfinished.

Nothing here drives the queue: the studio resumes it by itself at start-up (``Studio.start``), as after a
crash. Run: python -m tests.qt.batch.studio_child   (STUDIO_HOME, SPEECHMATICS_API_KEY and
SPEECHMATICS_BATCH_URL in the environment)
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtWidgets import QApplication

from studio.app import Studio
from studio.core.jobs import Job
from studio.qt.batch.runtime import runtime_for
from studio.services.batch.service import BatchService
from studio.storage.paths import default_paths
from tests.fakes.secrets import MemorySecretStore


def main() -> int:
    app = QApplication(sys.argv[:1])
    studio = Studio(app, dict(os.environ), default_paths(), secrets=MemorySecretStore())

    def close_window() -> None:
        studio.window.close()

    close = studio.bridge.to_gui(close_window)

    def hook(service: BatchService) -> None:  # on the loop, before the service starts
        queue = service.queue

        def told(job: Job) -> None:
            print(json.dumps({"job": job.id, "name": job.name, "state": job.state.value, "remote": job.remote_id,
                              "uploaded": job.uploaded}), flush=True)
            if all(not j.unfinished for j in queue.jobs()):
                print("all-finished", flush=True)
                close()

        queue.transitions.subscribe(told)
        print(f"resuming {sum(1 for j in queue.jobs() if j.unfinished)}", flush=True)

    runtime_for(studio.context).service_hooks.append(hook)
    studio.window.show()
    studio.start()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
