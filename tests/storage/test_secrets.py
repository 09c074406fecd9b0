"""The API key in a real OS keychain (gnome-keyring's Secret Service on the test run's private D-Bus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from studio.storage.secrets import ACCOUNT, SERVICE, KeychainUnavailableError, KeyringSecretStore

KEY_1 = "test-key-aaaaaaaaaaaaaaaaaaaaaaaa"
KEY_2 = "test-key-bbbbbbbbbbbbbbbbbbbbbbbb"


@pytest.mark.usefixtures("keychain")
def test_store_read_replace_remove_in_the_real_keychain() -> None:
    store = KeyringSecretStore()
    assert "SecretService" in type(store._keyring()).__module__
    assert store.get_api_key() is None
    store.set_api_key(KEY_1)
    assert store.get_api_key() == KEY_1
    # An independent reader sees it in the keychain itself.
    import keyring

    assert keyring.get_password(SERVICE, ACCOUNT) == KEY_1
    store.set_api_key(KEY_2)
    assert KeyringSecretStore().get_api_key() == KEY_2
    store.delete_api_key()
    assert store.get_api_key() is None
    store.delete_api_key()  # removing twice is not an error


class PlaintextKeyring:
    """Stands in for keyrings.alt's plain-text file backend. (Not a KeyringBackend subclass: keyring
    would discover it and offer it to every other test.)"""

    def __init__(self) -> None:
        self.written: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.written.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.written[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.written.pop((service, username), None)


@pytest.mark.parametrize("backend", [fail.Keyring(), PlaintextKeyring()])
def test_no_secure_keychain_refuses_and_writes_nothing(backend: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = KeyringSecretStore(backend)
    with pytest.raises(KeychainUnavailableError, match="No system keychain is available"):
        store.set_api_key(KEY_1)
    with pytest.raises(KeychainUnavailableError):
        store.get_api_key()
    assert store.describe() == "no keychain"
    assert getattr(backend, "written", {}) == {}
    assert list(tmp_path.iterdir()) == []
