"""Batch ``notification_config`` callbacks (``speechmatics-protocol.md`` §2.4), as the service sends them.

When a job ends, each entry of ``notification_config`` (at most three) gets one request:

- ``<method> <url>?id=<job id>&status=<success|error|fetch_error>`` (``method`` ``post``, the default, or
  ``put``), with ``User-Agent: Speechmatics-API/2.0`` and every ``auth_headers`` line as a header.
- The body follows ``contents``: absent → the json-v2 transcript as a multipart file named ``data_file`` (the
  service's backwards-compatible default); ``[]`` → empty; one item → that item as the body (``jobinfo`` and
  ``transcript``/``transcript.json-v2`` as ``application/json``, ``transcript.txt``/``.srt`` as ``text/plain``,
  ``data`` as ``application/octet-stream``); several → ``multipart/form-data`` with one file part per item,
  named after it. An item a rejected job does not have is left out, the rules otherwise unchanged.
- Anything but a 2xx is retried after each of ``ServerConfig.notification_retry_delays`` seconds; each
  failure is listed in the job's ``errors`` (``Error in sending notification: unable to send notification:
  Response status: 500, retrying``), as the service does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from studio.local.batch_jobs import Job
    from studio.local.server import LocalServer

log = logging.getLogger(__name__)

USER_AGENT = "Speechmatics-API/2.0"
TIMEOUT = 30.0
JSON_ITEMS = ("jobinfo", "transcript", "transcript.json-v2")
TEXT_ITEMS = {"transcript.txt": "txt", "transcript.srt": "srt"}

Item = tuple[str, bytes, str]  # (name, content, content type)
Renderer = Callable[[str], str]  # "txt" | "srt" -> the transcript in that format


def callback_status(job: Job) -> str:
    if job.status == "done":
        return "success"
    if any(error["message"].startswith("unable to fetch audio") for error in job.errors):
        return "fetch_error"
    return "error"


def _item(name: str, job: Job, render: Renderer) -> Item | None:
    if name == "jobinfo":
        return name, json.dumps(job.details()).encode(), "application/json"
    if name in ("transcript", "transcript.json-v2"):
        if job.transcript is None:
            return None
        return name, json.dumps(job.transcript).encode(), "application/json"
    if name in TEXT_ITEMS:
        if job.transcript is None:
            return None
        return name, render(TEXT_ITEMS[name]).encode(), "text/plain"
    if name == "data":
        if job.media is None or not job.media.exists():
            return None
        return name, job.media.read_bytes(), "application/octet-stream"
    return None  # "text" and the alignment items: this server runs transcription jobs only


def request_body(entry: Mapping[str, Any], job: Job, render: Renderer) -> tuple[Any, dict[str, str]]:
    """The body and its headers for one notification entry."""
    contents = entry.get("contents")
    if contents is None:  # the service's default: the transcript, attached as data_file
        item = _item("transcript", job, render)
        form = aiohttp.FormData()
        if item is not None:
            form.add_field("data_file", item[1], content_type=item[2], filename="data_file")
        return form, {}
    items = [found for name in contents if (found := _item(str(name), job, render)) is not None]
    if len(contents) == 1:
        if not items:
            return b"", {}
        return items[0][1], {"Content-Type": items[0][2]}
    if not contents:
        return b"", {}
    form = aiohttp.FormData()
    for name, content, content_type in items:
        form.add_field(name, content, content_type=content_type, filename=name)
    return form, {}


def _headers(entry: Mapping[str, Any]) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    for line in entry.get("auth_headers") or ():
        name, _, value = str(line).partition(":")
        if name.strip():
            headers[name.strip()] = value.strip()
    return headers


async def notify(server: LocalServer, job: Job, render: Renderer) -> None:
    """Sends every notification of ``job`` (side by side); returns when each got a 2xx or ran out of retries."""
    entries: Sequence[Any] = job.config.get("notification_config") or ()
    await asyncio.gather(*(_send(server, job, entry, render) for entry in entries if isinstance(entry, Mapping)))


async def _send(server: LocalServer, job: Job, entry: Mapping[str, Any], render: Renderer) -> None:
    method = str(entry.get("method") or "post").upper()
    params = {"id": job.id, "status": callback_status(job)}
    delays = list(server.config.notification_retry_delays)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            body, extra = request_body(entry, job, render)
            try:
                async with session.request(method, str(entry["url"]), params=params, data=body,
                                           headers=_headers(entry) | extra) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        job.log(f"Notification sent to {entry['url']} (HTTP {response.status})")
                        return
                    problem = f"Response status: {response.status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                problem = str(exc) or type(exc).__name__
            retrying = bool(delays)
            job.add_error("Error in sending notification: unable to send notification: "
                          f"{problem}{', retrying' if retrying else ''}")
            if not retrying:
                log.info("batch job %s: notification to %s failed: %s", job.id, entry.get("url"), problem)
                return
            await asyncio.sleep(delays.pop(0))
