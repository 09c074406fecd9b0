"""Fault injection for tests. Every fault speaks the real protocol: real status codes, real close codes.

A ``Faults`` object is read by the running server on every request and session, so tests change it while
the server runs; HTTP faults are used up (``times``) as they fire.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HttpFault:
    path: str  # a prefix of the request path, e.g. "/v2/jobs"
    method: str | None = None  # None: any method
    status: int = 500
    times: int = 1
    retry_after: str | None = None  # the Retry-After header to send, if any
    delay: float = 0.0  # seconds to wait before answering (a slow response)
    body: bytes | None = None  # None: a proper {"code", "error"} JSON body
    truncate: bool = False  # answer 200 with a Content-Length longer than the body, then close
    pass_through: bool = False  # only delay, then serve the request normally
    hold: bool = False  # never answer: keep the request open until its client goes away, then drop it unserved

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and path.startswith(self.path) and (self.method in (None, method))


@dataclass
class RealtimeFaults:
    drop_after_frames: int | None = None  # close the TCP connection without a close frame
    drop_after_seconds: float | None = None
    ack_delay: float = 0.0  # wait this long before each AudioAdded
    error_after_frames: tuple[int, str, str] | None = None  # (frames, type, reason): Error + close
    warning_after_frames: tuple[int, str, str] | None = None  # (frames, type, reason): Warning
    reject_handshake: int | None = None  # answer the upgrade with this HTTP status


@dataclass
class Faults:
    http: list[HttpFault] = field(default_factory=list)
    realtime: RealtimeFaults = field(default_factory=RealtimeFaults)

    def take_http(self, method: str, path: str) -> HttpFault | None:
        for fault in self.http:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None
