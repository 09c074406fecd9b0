"""Batch transcription, Qt-free: a queue that survives crashes, a runner that sends it, exports and a watch folder.

- ``service.BatchService`` — the one object the GUI (or a headless caller) uses; see its module.
- ``queue.JobQueue`` — the jobs in order; every change written to the SQLite store
  (``studio.storage.jobs_store``) when it happens, observers told in batches.
- ``runner.BatchRunner`` — bounded concurrent uploads, polling with backoff, retries that say why and when,
  exactly-once submission (``reconcile``), resume after a crash.
- ``inputs`` — files found in what was dropped, and each file checked (per-row errors).
- ``options`` — a job's settings as the service's ``JobConfig``; what the engine cannot do.
- ``export`` — file-name templates, one job or many to TXT/SRT/VTT/JSON/DOCX.
- ``watch.FolderWatch`` — new files in a folder join the queue.

The job state machine itself is ``studio.core.jobs``.
"""
