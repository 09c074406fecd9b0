"""Shared fixtures. Qt runs offscreen; tests never touch the real config, keychain entries or $HOME."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from studio.local.server import Limits, LocalServer, ServerConfig
from studio.storage.paths import Paths, default_paths
from tests.fakes.server import SERVER_KEY, Sleeps

REPO = Path(__file__).resolve().parents[1]
# The team's real speech recordings, beside the checkout (``../shared/audio``); a clone elsewhere names them with
# STUDIO_SHARED_AUDIO.
SHARED_AUDIO = Path(os.environ.get("STUDIO_SHARED_AUDIO") or REPO.parent / "shared" / "audio")


@pytest.fixture
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    home = tmp_path / "studio-home"
    monkeypatch.setenv("STUDIO_HOME", str(home))
    return default_paths({"STUDIO_HOME": str(home)})


@pytest.fixture
def desktop() -> None:
    """The real desktop services of scripts/with-services.sh: a test that needs them fails without them."""
    if os.environ.get("STUDIO_TEST_SERVICES") != "1":
        pytest.fail("this test uses the real keychain, audio device and screen that scripts/test.sh "
                    "starts; run it through scripts/test.sh (or scripts/with-services.sh pytest ...)")


@pytest.fixture
def keychain(desktop: None) -> Iterator[None]:
    """The real Secret Service, with the studio's entry removed before and after the test."""
    from studio.storage.secrets import KeyringSecretStore

    store = KeyringSecretStore()
    store.delete_api_key()
    yield
    store.delete_api_key()


@pytest.fixture
def shared_audio() -> Path:
    assert SHARED_AUDIO.is_dir(), f"the shared recordings are expected at {SHARED_AUDIO}"
    return SHARED_AUDIO


@pytest.fixture
def limits() -> Limits:
    """The realtime limits of the ``server`` fixture; a test overrides this fixture to shrink them."""
    return Limits()


@pytest.fixture
async def server(limits: Limits) -> AsyncIterator[LocalServer]:
    """A real local server on a loopback port that accepts ``SERVER_KEY``."""
    async with LocalServer(config=ServerConfig(api_keys=frozenset({SERVER_KEY}), limits=limits)) as running:
        yield running


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
