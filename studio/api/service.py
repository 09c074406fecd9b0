"""What the HTTP clients (batch, TTS) share: the base URL, an httpx client they own unless one is given,
the retry policy, bearer auth (a rejected temporary key is replaced and the attempt made again, once),
and closing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import httpx

from studio.api.auth import Auth, KeyKind, TemporaryKeys
from studio.api.errors import AuthenticationError, ConfigurationError
from studio.api.http import RetryPolicy, bearer, make_client, with_retries

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[Any]]


class ServiceClient:
    kind: ClassVar[KeyKind]
    service: ClassVar[str]  # how messages name the service, e.g. "The batch service"

    def __init__(self, auth: Auth, *, url: str, client: httpx.AsyncClient | None = None,
                 retry: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep, timeout: float = 300.0,
                 connect_timeout: float = 30.0) -> None:
        if not url.strip():
            raise ConfigurationError(f"Enter a URL for {self.service.lower().removeprefix('the ')}")
        self._auth = auth
        self._base = url.strip().rstrip("/")
        self._own_client = client is None
        self._client = client or make_client(connect_timeout=connect_timeout, read_timeout=timeout)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def _headers(self) -> dict[str, str]:
        return bearer(await self._auth.token(self.kind))

    async def _authorised(self, attempt: Callable[[dict[str, str]], Awaitable[T]]) -> T:
        """One attempt with the current key; a temporary key the service rejects is replaced, once."""
        try:
            return await attempt(await self._headers())
        except AuthenticationError:
            if not isinstance(self._auth, TemporaryKeys):
                raise
            self._auth.forget(self.kind)
            return await attempt(await self._headers())

    async def _retrying(self, attempt: Callable[[dict[str, str]], Awaitable[T]], what: str) -> T:
        """``attempt`` (given the auth headers) with the retry policy around it."""
        return await with_retries(lambda: self._authorised(attempt), self._retry, what, sleep=self._sleep)
