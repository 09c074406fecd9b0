"""Where the headless commands send their work: the built-in engine, or a Speechmatics service.

Public API::

    async with open_target("local" | "speechmatics" | None, url=None, env=os.environ, redactor=r) as target:
        target.connection   # a studio.services.connections.Connection
        target.label        # "Built-in engine (scripted)", "Speechmatics EU", "http://127.0.0.1:8000/v2", …

- ``local``: a ``LocalServer`` on a loopback port for the duration of the block, without keys; its
  recognizers come from ``local_recognizers()`` (the Whisper engine when it is installed, else scripted).
- ``speechmatics``: the API key from ``SPEECHMATICS_API_KEY``, else the keychain; the URLs from ``url``
  (``endpoints_from_url``), else the environment variables and the settings' region (``resolve_endpoints``).
- ``None``: what the settings say (``auto``: Speechmatics when a URL or an API key is given, else local).

Problems are ``ConfigurationError`` (no key, a bad URL, a keychain that cannot be read), one line each.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from studio.api.endpoints import ENV_API_KEY, Endpoints, resolve_endpoints
from studio.api.errors import ConfigurationError
from studio.core.redaction import Redactor
from studio.core.settings import EngineChoice, Settings
from studio.local.engines import BatchRecognizer, RealtimeRecognizer
from studio.services.connections import Connection
from studio.services.credentials import Credentials
from studio.storage.secrets import SecretStore, SecretStoreError

log = logging.getLogger(__name__)

ENGINES = ("local", "speechmatics")
LOCAL_ENGINE_MODULE = "studio.local.engine"


@dataclass(frozen=True)
class Target:
    connection: Connection
    label: str


def local_recognizers() -> tuple[RealtimeRecognizer, BatchRecognizer, str]:
    """The recognizers ``--engine local`` runs, and their name.

    The Whisper engine is used when ``studio.local.engine`` can be imported and offers
    ``build_recognizers() -> (realtime recognizer, batch recognizer)``; otherwise the scripted engine."""
    if importlib.util.find_spec(LOCAL_ENGINE_MODULE) is not None:
        try:
            engine: Any = importlib.import_module(LOCAL_ENGINE_MODULE)
        except ImportError as exc:
            log.info("the built-in Whisper engine cannot be loaded (%s); using the scripted engine", exc)
        else:
            build = getattr(engine, "build_recognizers", None)
            if callable(build):
                realtime, batch = build()
                return realtime, batch, "Whisper"
            log.info("%s has no build_recognizers(); using the scripted engine", LOCAL_ENGINE_MODULE)
    from studio.local.scripted import ScriptedRecognizer

    scripted = ScriptedRecognizer()
    return scripted, scripted, "scripted"


def endpoints_from_url(url: str) -> Endpoints:
    """The endpoints of a server given by one URL: ``ws[s]://`` or ``http[s]://`` host and path (``/v2`` if
    none). Realtime gets the WebSocket scheme and batch the HTTP one, so one URL serves a server that speaks
    both (``studio serve``, the built-in engine)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss", "http", "https"):
        raise ConfigurationError("The URL must start with ws://, wss://, http:// or https://")
    try:
        if not parts.hostname:
            raise ConfigurationError("The URL has no host name")
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise ConfigurationError("The URL has an invalid port") from None
    secure = scheme in ("wss", "https")
    path = parts.path.rstrip("/") or "/v2"
    http = "https" if secure else "http"
    base = f"{http}://{parts.netloc}"
    return Endpoints(realtime=urlunsplit(("wss" if secure else "ws", parts.netloc, path, parts.query, "")),
                     batch=urlunsplit((http, parts.netloc, path, "", "")), tts=base, management=base)


def load_settings(env: Mapping[str, str]) -> Settings:
    from studio.storage.paths import default_paths
    from studio.storage.settings_store import SettingsStore

    return SettingsStore(default_paths(env).settings_file).settings


async def _api_key(env: Mapping[str, str], redactor: Redactor, secrets: SecretStore | None) -> str | None:
    if secrets is None:  # asked only when the environment has no key
        from studio.storage.secrets import KeyringSecretStore

        secrets = KeyringSecretStore()
    try:
        return await Credentials(secrets, env, redactor).api_key()
    except SecretStoreError as exc:
        raise ConfigurationError(str(exc)) from None


@contextlib.asynccontextmanager
async def open_target(engine: str | None, url: str | None = None, *, env: Mapping[str, str], redactor: Redactor,
                      secrets: SecretStore | None = None, settings: Settings | None = None
                      ) -> AsyncIterator[Target]:
    """The service to use while the block runs (see the module documentation)."""
    if engine is not None and engine not in ENGINES:
        raise ConfigurationError(f"Unknown engine {engine!r} (use {' or '.join(ENGINES)})")
    if engine == "local" and url:
        raise ConfigurationError("--url is for a Speechmatics service; the built-in engine runs here")
    key: str | None = None
    if engine is None:
        settings = settings or load_settings(env)
        if settings.engine is EngineChoice.LOCAL and not url:
            engine = "local"
        elif settings.engine is EngineChoice.SPEECHMATICS or url:
            engine = "speechmatics"
        else:
            try:
                key = await _api_key(env, redactor, secrets)
            except ConfigurationError as exc:
                log.info("no API key from the keychain (%s); using the built-in engine", exc)
            engine = "speechmatics" if key else "local"
    if engine == "local":
        async with _local_target() as target:
            yield target
        return
    key = key or await _api_key(env, redactor, secrets)
    if not key:
        raise ConfigurationError(f"No API key: set {ENV_API_KEY}, or save a key in the studio's settings")
    if url:
        endpoints, label = endpoints_from_url(url), url.strip()
    else:
        resolved = resolve_endpoints(settings or load_settings(env), env)
        endpoints, label = resolved.endpoints, resolved.label
    yield Target(Connection(endpoints, api_key=key), label)


@contextlib.asynccontextmanager
async def _local_target() -> AsyncIterator[Target]:
    from studio.local.server import LocalServer, ServerConfig

    realtime, batch, name = local_recognizers()
    server = LocalServer(config=ServerConfig(require_auth=False), recognizer=realtime, batch_recognizer=batch)
    try:
        urls = await server.start("127.0.0.1", 0)
    except OSError as exc:
        await server.stop()
        raise ConfigurationError(f"The built-in engine could not start ({exc.strerror or exc})") from None
    try:
        yield Target(Connection(urls), f"Built-in engine ({name})")
    finally:
        await server.stop()
