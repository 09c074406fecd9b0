"""A Speechmatics-compatible server on loopback, built on aiohttp.

It serves the realtime API on ``/v2`` and ``/v2/<lang>`` (``studio.local.realtime``), the batch API on
``/v2/jobs`` and ``/v2/usage`` (``studio.local.batch``), text to speech on ``/generate/<voice>``
(``studio.local.tts``) and temporary keys on ``/v1/api_keys`` (here). Recognition and synthesis are
pluggable (``studio.local.engines``); faults can be injected while it runs (``studio.local.faults``).
The protocol follows ``speechmatics-protocol.md`` §7, quirks included.

An answer given before the request's body was read (an injected fault, a refused upload) is given only once
the rest of the body has been read and dropped (``drain``): a server that closes a connection with unread
data resets it, and a client still sending a large upload would then lose the answer and see a broken
connection instead of the status (aiohttp itself reads on for at most 10 s after answering).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web

from studio import __version__
from studio.api.endpoints import Endpoints
from studio.local.engines import BatchRecognizer, RealtimeRecognizer, Synthesizer
from studio.local.faults import Faults

log = logging.getLogger(__name__)

Kind = Literal["rt", "batch", "tts"]
SERVER_KEY: web.AppKey[LocalServer] = web.AppKey("studio_server")


@dataclass
class Limits:
    """Session limits of the realtime service; tests shrink them."""

    idle_timeout: float = 3600.0  # no audio: Error idle_timeout, close 1008
    idle_warnings: tuple[float, ...] = (900.0, 600.0, 300.0)  # seconds before idle_timeout
    session_timeout: float = 48 * 3600.0  # Error session_timeout, close 1008
    session_warnings: tuple[float, ...] = (2700.0, 1800.0, 900.0)  # seconds before session_timeout
    keepalive_timeout: float = 180.0  # neither audio nor ping: close 1008
    max_sessions: int = 0  # concurrent realtime sessions; 0 means no limit (quota_exceeded beyond it)
    max_channels: int = 2


@dataclass
class ServerConfig:
    api_keys: frozenset[str] = frozenset()  # long-lived keys this server accepts
    require_auth: bool = True  # the built-in engine runs without keys
    limits: Limits = field(default_factory=Limits)
    send_session_info: bool = True  # Info concurrent_session_usage before RecognitionStarted, as SaaS does
    orchestrator_version: str = f"studio-local-{__version__}"
    min_job_seconds: float = 0.0  # a batch job stays "running" at least this long (tests of 423 and polling)
    notification_retry_delays: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 30.0)  # batch callbacks not answered 2xx
    max_wait: float = 120.0  # the server-side cap of the batch API's ``wait`` query parameter (seconds)


@dataclass
class UsageRecord:
    mode: Literal["batch", "realtime"]
    language: str
    operating_point: str
    seconds: float
    day: str  # YYYY-MM-DD (UTC)


class TemporaryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, tuple[Kind | str, float, str | None]] = {}

    def issue(self, kind: str, ttl: int, client_ref: str | None) -> str:
        key = "sk-tmp-" + secrets.token_urlsafe(24)
        self._keys[key] = (kind, time.time() + ttl, client_ref)
        return key

    def valid(self, key: str, kind: Kind) -> bool:
        entry = self._keys.get(key)
        return entry is not None and entry[0] == kind and time.time() < entry[1]


def error_response(status: int, error: str, detail: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    """The batch API's ``{"code", "error", "detail"?}`` body, with one of the spec's exact error strings."""
    body: dict[str, Any] = {"code": status, "error": error}
    if detail:
        body["detail"] = detail
    return web.json_response(body, status=status, headers=headers)


async def drain(request: web.Request) -> int:
    """Reads what is left of ``request``'s body and drops it (in constant memory); returns how many bytes that was.

    Call it before answering a request whose body was not read, so that the answer reaches a client that is
    still sending. A client that hangs up or sends a malformed body ends the draining, quietly."""
    drained = 0
    with contextlib.suppress(ConnectionError, aiohttp.ClientPayloadError):
        while chunk := await request.content.readany():
            drained += len(chunk)
    return drained


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.query.get("jwt") or None


class LocalServer:
    def __init__(self, *, config: ServerConfig | None = None, recognizer: RealtimeRecognizer | None = None,
                 batch_recognizer: BatchRecognizer | None = None, synthesizer: Synthesizer | None = None,
                 faults: Faults | None = None, data_dir: Path | None = None) -> None:
        from studio.local.scripted import ScriptedRecognizer, ToneSynthesizer

        self.config = config or ServerConfig()
        self.recognizer: RealtimeRecognizer = recognizer or ScriptedRecognizer()
        self.batch_recognizer: BatchRecognizer = batch_recognizer or ScriptedRecognizer()
        self.synthesizer: Synthesizer = synthesizer or ToneSynthesizer()
        self.faults = faults or Faults()
        self.keys = TemporaryKeyStore()
        self.usage: list[UsageRecord] = []
        self.active_sessions = 0
        self._own_data_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="studio-local-"))
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.background: set[asyncio.Task[Any]] = set()

    # -- lifecycle ------------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        from studio.local import batch, realtime, tts

        app = web.Application(middlewares=[self._fault_middleware], client_max_size=2 * 1024**3)
        app[SERVER_KEY] = self
        realtime.add_routes(app, self)
        batch.add_routes(app, self)
        tts.add_routes(app, self)
        app.router.add_post("/v1/api_keys", self._create_temporary_key)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Endpoints:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port, reuse_address=True)
        await self._site.start()
        server = self._site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.host, self.port = server.sockets[0].getsockname()[:2]  # type: ignore[attr-defined]
        log.info("local server listening on %s", self.base_url)
        return self.urls

    async def stop(self) -> None:
        for task in list(self.background):
            task.cancel()
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """A background task owned by the server (cancelled on stop)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:  # retrieved, and said once
            log.error("local server: a background task failed", exc_info=error)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def urls(self) -> Endpoints:
        return Endpoints(realtime=f"ws://{self.host}:{self.port}/v2", batch=f"{self.base_url}/v2",
                         tts=self.base_url, management=self.base_url)

    # -- auth -------------------------------------------------------------------------------------------
    def authorised(self, request: web.Request, kind: Kind) -> bool:
        if not self.config.require_auth:
            return True
        token = bearer_token(request)
        return token is not None and (token in self.config.api_keys or self.keys.valid(token, kind))

    # -- faults -----------------------------------------------------------------------------------------
    @web.middleware
    async def _fault_middleware(self, request: web.Request,
                                handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                                ) -> web.StreamResponse:
        fault = self.faults.take_http(request.method, request.path)
        if fault is None:
            return await handler(request)
        if fault.hold:
            while request.transport is not None and not request.transport.is_closing():
                await asyncio.sleep(0.05)  # the server's own poll for the client's hang-up
            return web.Response(status=499)  # nobody left to read it: the upload was never taken
        if fault.pass_through:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return await handler(request)
        await drain(request)  # the injected answer must reach a client still sending its body
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.truncate:
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            response.content_length = 4096
            await response.prepare(request)
            await response.write(b'{"jobs": [{"id": "trunc')
            if request.transport is not None:
                request.transport.close()
            return response
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else None
        if fault.body is not None:
            return web.Response(status=fault.status, body=fault.body, headers=headers,
                                content_type="application/json")
        return error_response(fault.status, _STATUS_ERRORS.get(fault.status, "Internal Server Error"),
                              headers=headers)

    # -- temporary keys -----------------------------------------------------------------------------------
    async def _create_temporary_key(self, request: web.Request) -> web.Response:
        token = bearer_token(request) if request.headers.get("Authorization") else None
        if self.config.require_auth and (token is None or token not in self.config.api_keys):
            return web.json_response({"code": 403, "error": "Forbidden", "detail": "Unauthorized"}, status=403)
        kind = request.query.get("type")
        if kind not in ("rt", "batch", "tts", "flow"):
            return web.json_response({"message": "type in query should be one of [batch rt tts flow]"}, status=422)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"message": "request body is not valid JSON"}, status=422)
        if not isinstance(body, dict):
            return web.json_response({"message": "request body should be an object"}, status=422)
        ttl = body.get("ttl", 60)
        if isinstance(ttl, bool) or not isinstance(ttl, int):
            return web.json_response({"message": "ttl in body must be of type integer"}, status=422)
        if ttl < 60:
            return web.json_response({"message": "ttl in body should be greater than or equal to 60"}, status=422)
        if ttl > 86400:
            return web.json_response({"message": "ttl in body should be less than or equal to 86400"}, status=422)
        client_ref = body.get("client_ref")
        key = self.keys.issue(kind, ttl, client_ref if isinstance(client_ref, str) else None)
        return web.json_response({"apikey_id": None, "key_value": key}, status=201)


_STATUS_ERRORS = {400: "Bad Request", 401: "Permission Denied", 403: "Forbidden", 404: "Job not found",
                  410: "Job Expired", 423: "Resource Locked", 429: "Max concurrent running jobs exceeded",
                  500: "Internal Server Error", 501: "Not Implemented", 503: "Internal Server Error"}
