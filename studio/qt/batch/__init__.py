"""The Batch workspace: a drag-and-drop job queue that never loses a job, and a results viewer.

- ``page.BatchPage`` — the page (``studio.qt.workspaces`` builds it on first show); ``add_files(paths)`` is what
  other workspaces call to send files to the queue.
- ``runtime`` — the studio's one batch service (``studio.services.batch``) on the bridge's loop, and its
  GUI-thread copy (``JobBoard``); ``resume.resume_unfinished`` starts it after start-up when jobs are left.
- ``queue_view``, ``table_model``, ``delegates``, ``actions`` — the job table (an item model over the board,
  sort/filter proxy, progress bars, the selection's menu).
- ``job_settings``, ``queue_settings``, ``export_dialog`` — per-job settings with queue-wide defaults, the
  batch settings, and export with subtitle options.
- ``viewer`` — the results viewer (loaded when the first result opens).
"""
