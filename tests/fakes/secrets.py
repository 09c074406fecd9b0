"""An in-memory secret store for determinism and fault injection (the real one is tested on gnome-keyring)."""

from __future__ import annotations

from studio.storage.secrets import NO_KEYCHAIN, KeychainUnavailableError, SecretStoreError


class MemorySecretStore:
    def __init__(self, key: str | None = None, *, unavailable: bool = False, fail_writes: bool = False) -> None:
        self.key = key
        self.unavailable = unavailable
        self.fail_writes = fail_writes
        self.calls: list[str] = []

    def _check(self) -> None:
        if self.unavailable:
            raise KeychainUnavailableError(NO_KEYCHAIN)

    def describe(self) -> str:
        return "memory"

    def get_api_key(self) -> str | None:
        self.calls.append("get")
        self._check()
        return self.key

    def set_api_key(self, key: str) -> None:
        self.calls.append("set")
        self._check()
        if self.fail_writes:
            raise SecretStoreError("The keychain refused to store the API key (Locked). Is it locked?")
        self.key = key

    def delete_api_key(self) -> None:
        self.calls.append("delete")
        self._check()
        self.key = None
