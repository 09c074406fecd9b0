"""The API key lives in the OS keychain, behind a tiny interface, and nowhere else.

``KeyringSecretStore`` uses the ``keyring`` package with whatever secure backend the platform offers
(Secret Service on Linux, Keychain on macOS, Credential Locker on Windows). When there is none, or only
an insecure one (a plain-text or base64 file), every operation raises ``KeychainUnavailableError`` with a
message for the user; the key is never written anywhere else. Messages never contain the key.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

SERVICE = "transcription-studio"
ACCOUNT = "speechmatics-api-key"

NO_KEYCHAIN = ("No system keychain is available, so the API key cannot be stored. Install and unlock a "
               "Secret Service keychain (GNOME Keyring or KWallet), or set SPEECHMATICS_API_KEY in the "
               "environment before starting the studio.")


class SecretStoreError(Exception):
    """The keychain could not do what was asked."""


class KeychainUnavailableError(SecretStoreError):
    """There is no secure keychain to keep the key in."""


class SecretStore(Protocol):
    def describe(self) -> str: ...
    def get_api_key(self) -> str | None: ...
    def set_api_key(self, key: str) -> None: ...
    def delete_api_key(self) -> None: ...


def _is_secure(backend: Any) -> bool:
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends) and all(_is_secure(b) for b in backend.backends)
    module = type(backend).__module__
    name = type(backend).__name__.lower()
    # keyrings.alt's "file" backends are plain text or base64, not a keychain; "null" stores nothing.
    return not (module.startswith("keyrings.alt") or "plaintext" in name or module.endswith(".null"))


class KeyringSecretStore:
    """The OS keychain through ``keyring``. Calls may block (D-Bus), so run them off the GUI thread."""

    def __init__(self, backend: Any = None) -> None:
        self._backend = backend

    def _keyring(self) -> Any:
        if self._backend is None:
            import keyring

            self._backend = keyring.get_keyring()
        if not _is_secure(self._backend):
            raise KeychainUnavailableError(NO_KEYCHAIN)
        return self._backend

    def describe(self) -> str:
        try:
            backend = self._keyring()
        except KeychainUnavailableError:
            return "no keychain"
        return str(getattr(backend, "name", type(backend).__name__))

    def _call(self, what: str, fn_name: str, *args: str) -> Any:
        from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

        backend = self._keyring()
        try:
            return getattr(backend, fn_name)(SERVICE, ACCOUNT, *args)
        except PasswordDeleteError:
            return None
        except NoKeyringError:
            raise KeychainUnavailableError(NO_KEYCHAIN) from None
        except (KeyringError, Exception) as exc:  # D-Bus errors may escape keyring's wrappers
            # Only the exception's type is reported: its text is the backend's and is not ours to trust.
            log.warning("keychain %s failed: %s", what, type(exc).__name__)
            raise SecretStoreError(f"The keychain refused to {what} the API key ({type(exc).__name__}). "
                                   "Is it locked?") from None

    def get_api_key(self) -> str | None:
        value = self._call("read", "get_password")
        return value if isinstance(value, str) and value else None

    def set_api_key(self, key: str) -> None:
        self._call("store", "set_password", key)

    def delete_api_key(self) -> None:
        self._call("remove", "delete_password")
