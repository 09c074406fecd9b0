"""The API key as the rest of the studio sees it: the environment's first, else the keychain's.

Keychain calls may block on D-Bus, so every operation here is a coroutine that runs the store in a worker
thread; the GUI reaches them through the bridge and never waits on the keychain itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from studio.api.endpoints import ENV_API_KEY
from studio.core.redaction import Redactor
from studio.services.engine import KeySource, KeyStatus
from studio.storage.secrets import SecretStore, SecretStoreError

log = logging.getLogger(__name__)


class InvalidKeyError(ValueError):
    """The text entered cannot be an API key."""


def clean_key(text: str) -> str:
    key = text.strip()
    if not key:
        raise InvalidKeyError("Paste an API key first.")
    if any(ch.isspace() for ch in key):
        raise InvalidKeyError("An API key has no spaces or line breaks in it.")
    if len(key) < 16:
        raise InvalidKeyError("That is too short to be an API key.")
    return key


class Credentials:
    def __init__(self, store: SecretStore, env: Mapping[str, str], redactor: Redactor) -> None:
        self._store = store
        self._env = env
        self._redactor = redactor

    def _env_key(self) -> str | None:
        key = self._env.get(ENV_API_KEY, "").strip()
        self._redactor.add(key)
        return key or None

    async def api_key(self) -> str | None:
        """The key to send, or None. Raises ``SecretStoreError`` if the keychain cannot be read."""
        key = self._env_key()
        if key is None:
            key = await asyncio.to_thread(self._store.get_api_key)
            self._redactor.add(key)
        return key

    async def status(self) -> KeyStatus:
        if self._env_key():
            return KeyStatus(KeySource.ENVIRONMENT)
        try:
            key = await asyncio.to_thread(self._store.get_api_key)
        except SecretStoreError as exc:
            return KeyStatus(KeySource.NONE, str(exc))
        self._redactor.add(key)
        return KeyStatus(KeySource.KEYCHAIN if key else KeySource.NONE)

    async def save(self, text: str) -> KeyStatus:
        """Store a new or replacement key. Raises ``InvalidKeyError`` or ``SecretStoreError``."""
        key = clean_key(text)
        self._redactor.add(key)
        await asyncio.to_thread(self._store.set_api_key, key)
        log.info("API key stored in %s", await asyncio.to_thread(self._store.describe))
        return await self.status()

    async def remove(self) -> KeyStatus:
        await asyncio.to_thread(self._store.delete_api_key)
        log.info("API key removed from the keychain")
        return await self.status()
