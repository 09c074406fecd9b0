from __future__ import annotations

import asyncio

import pytest

from studio.api.endpoints import ENV_API_KEY
from studio.core.redaction import MASK, Redactor
from studio.services.credentials import Credentials, InvalidKeyError
from studio.services.engine import KeySource
from studio.storage.secrets import KeychainUnavailableError, KeyringSecretStore, SecretStoreError
from tests.fakes.secrets import MemorySecretStore

KEY = "cred-test-key-0123456789abcdef"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_environment_key_wins_and_skips_the_keychain() -> None:
    store = MemorySecretStore("stored-key-0123456789")
    redactor = Redactor()
    creds = Credentials(store, {ENV_API_KEY: f" {KEY} "}, redactor)
    assert run(creds.api_key()) == KEY
    assert run(creds.status()).source is KeySource.ENVIRONMENT
    assert store.calls == []
    assert redactor.redact(KEY) == MASK


def test_keychain_key_is_used_and_registered_for_redaction() -> None:
    redactor = Redactor()
    creds = Credentials(MemorySecretStore(KEY), {}, redactor)
    assert run(creds.status()).source is KeySource.KEYCHAIN
    assert redactor.redact(f"x {KEY} y") == f"x {MASK} y"


@pytest.mark.parametrize(("text", "message"), [
    ("", "Paste an API key"), ("   ", "Paste an API key"), ("abc def ghi jkl mno", "no spaces"),
    ("short", "too short"),
])
def test_invalid_keys_are_refused_before_the_keychain(text: str, message: str) -> None:
    store = MemorySecretStore()
    with pytest.raises(InvalidKeyError, match=message):
        run(Credentials(store, {}, Redactor()).save(text))
    assert store.calls == []


def test_unavailable_keychain_is_a_status_not_a_crash() -> None:
    status = run(Credentials(MemorySecretStore(unavailable=True), {}, Redactor()).status())
    assert status.source is KeySource.NONE
    assert "No system keychain" in status.problem
    with pytest.raises(KeychainUnavailableError):
        run(Credentials(MemorySecretStore(unavailable=True), {}, Redactor()).save(KEY))


def test_refused_write_raises_a_message_without_the_key() -> None:
    with pytest.raises(SecretStoreError) as caught:
        run(Credentials(MemorySecretStore(fail_writes=True), {}, Redactor()).save(KEY))
    assert KEY not in str(caught.value)


@pytest.mark.usefixtures("keychain")
def test_save_replace_remove_through_the_real_keychain() -> None:
    creds = Credentials(KeyringSecretStore(), {}, Redactor())
    assert run(creds.status()).source is KeySource.NONE
    assert run(creds.save(f"  {KEY}\n")).source is KeySource.KEYCHAIN
    assert run(creds.api_key()) == KEY
    run(creds.save(KEY + "2"))
    assert run(creds.api_key()) == KEY + "2"
    assert run(creds.remove()).source is KeySource.NONE
    assert run(creds.api_key()) is None
