"""How requests are authorised: a long-lived API key as it is, or temporary keys made from it.

Temporary keys come from ``POST {management}/v1/api_keys?type=rt|batch|tts`` with ``{"ttl": …}``; the
service answers **201** with ``{"key_value": …}`` (the official SDKs accept nothing else). They are cached
per type until shortly before they expire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal, Protocol

import httpx

from studio.api.endpoints import MANAGEMENT_URL
from studio.api.errors import ConfigurationError, ProtocolError
from studio.api.http import NO_RETRY, RetryPolicy, bearer, make_client, parse_body, send, with_retries

KeyKind = Literal["rt", "batch", "tts"]


class Auth(Protocol):
    async def token(self, kind: KeyKind) -> str:
        """The bearer token to send to a ``kind`` service."""
        ...


class StaticKey:
    def __init__(self, api_key: str | None) -> None:
        if not api_key or not api_key.strip():
            raise ConfigurationError("No API key is set: add one in Settings or set SPEECHMATICS_API_KEY")
        self._key = api_key.strip()

    async def token(self, kind: KeyKind) -> str:
        return self._key


class TemporaryKeys:
    """Exchanges the API key for temporary keys of each type, reusing each until ``margin`` s before expiry."""

    def __init__(self, api_key: str | None, *, management_url: str = MANAGEMENT_URL, ttl: int = 3600,
                 margin: float = 60.0, client_ref: str | None = None, client: httpx.AsyncClient | None = None,
                 retry: RetryPolicy = NO_RETRY, clock: Callable[[], float] = time.monotonic) -> None:
        if not 60 <= ttl <= 86400:
            raise ConfigurationError("A temporary key lives between 60 and 86400 seconds")
        self._long_lived = StaticKey(api_key)
        self._url = management_url.rstrip("/") + "/v1/api_keys"
        self._ttl = ttl
        self._margin = min(margin, ttl / 2)
        self._client_ref = client_ref
        self._client = client
        self._retry = retry
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()
        self.requests = 0  # how many keys were fetched (for tests and diagnostics)

    async def token(self, kind: KeyKind) -> str:
        async with self._lock:
            cached = self._cache.get(kind)
            if cached is not None and self._clock() < cached[1]:
                return cached[0]
            token = await with_retries(lambda: self._fetch(kind), self._retry, "Getting a temporary key")
            self._cache[kind] = (token, self._clock() + self._ttl - self._margin)
            return token

    def forget(self, kind: KeyKind | None = None) -> None:
        """Drop cached keys (e.g. after one was rejected)."""
        if kind is None:
            self._cache.clear()
        else:
            self._cache.pop(kind, None)

    async def _fetch(self, kind: KeyKind) -> str:
        body: dict[str, object] = {"ttl": self._ttl}
        if self._client_ref is not None:
            body["client_ref"] = self._client_ref
        client = self._client or make_client(read_timeout=30.0)
        try:
            response = await send(client, "POST", self._url, service="The key service", params={"type": kind},
                                  json=body, headers=bearer(await self._long_lived.token(kind)))
        finally:
            if self._client is None:
                await client.aclose()
        self.requests += 1
        if response.status_code != 201:
            raise ProtocolError(f"The key service answered {response.status_code} instead of 201 Created")
        data = parse_body(response)
        key = data.get("key_value") if isinstance(data, dict) else None
        if not isinstance(key, str) or not key:
            raise ProtocolError("The key service's answer has no key_value")
        return key
