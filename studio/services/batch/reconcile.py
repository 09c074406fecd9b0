"""Finding a job the service already has, by the reference the studio put in its ``tracking`` block.

A submission whose answer was lost (the studio was killed, the connection broke or timed out after the
file was sent) may still have created a job. Before sending a file again, the runner looks for a job
carrying the same ``tracking.reference`` and, if there is one, re-attaches to it instead: the service's job
list never holds the same file twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from studio.api.batch import JobDetails
from studio.api.batch_remote import BatchJobs

log = logging.getLogger(__name__)

PAGE = 100
MAX_PAGES = 50  # 5000 jobs: far more than a studio makes between a crash and its restart
CLOCK_MARGIN = timedelta(minutes=10)  # the service's clock and ours may differ


def reference_of(job: JobDetails) -> str | None:
    tracking = job.config.get("tracking") if isinstance(job.config, Mapping) else None
    if isinstance(tracking, Mapping) and isinstance(tracking.get("reference"), str):
        return str(tracking["reference"])
    return None


async def find_by_reference(client: BatchJobs, reference: str, since: float) -> JobDetails | None:
    """The oldest job carrying ``reference`` created after ``since`` (epoch seconds, less a margin), or None.

    Pages through the job list newest first with ``created_before``; ``ApiError`` as the client raises it."""
    horizon = datetime.fromtimestamp(since, UTC) - CLOCK_MARGIN
    cursor: datetime | None = None
    found: JobDetails | None = None
    for _page in range(MAX_PAGES):
        jobs = await client.list_jobs(limit=PAGE, created_before=cursor)
        for job in jobs:
            if reference_of(job) == reference and job.status != "deleted":
                found = job  # keep looking: the list is newest first, and the oldest match is the one to keep
        dated = [job.created_at for job in jobs if job.created_at is not None]
        if len(jobs) < PAGE or not dated:
            break
        oldest = min(dated)
        if oldest < horizon or (cursor is not None and oldest >= cursor):
            break
        cursor = oldest
    if found is not None:
        log.info("re-attached to batch job %s (%s)", found.id, reference)
    return found
