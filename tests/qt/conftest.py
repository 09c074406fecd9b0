from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.app import Studio
from studio.services.engine import KeySource
from studio.storage.paths import Paths
from studio.storage.secrets import SecretStore
from tests.fakes.secrets import MemorySecretStore

StudioFactory = Callable[..., Studio]


@pytest.fixture
def make_studio(qapp: QApplication, qtbot: QtBot, studio_home: Paths) -> Iterator[StudioFactory]:
    built: list[Studio] = []

    def make(env: dict[str, str] | None = None, secrets: SecretStore | None = None) -> Studio:
        studio = Studio(qapp, env or {}, studio_home,
                        secrets=secrets if secrets is not None else MemorySecretStore())
        qtbot.addWidget(studio.window)
        built.append(studio)
        studio.start()
        # The key lookup runs on the bridge; most tests want it settled first.
        qtbot.waitUntil(lambda: studio.state.key.source is not KeySource.UNKNOWN, timeout=3000)
        return studio

    yield make
    for studio in built:
        if studio.window.isVisible():
            studio.window.close()
        else:
            studio.shutdown()
