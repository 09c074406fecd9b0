from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.qt.transcript.feed import ViewFactory, make_view_factory


@pytest.fixture
def make_view(qtbot: QtBot) -> ViewFactory:
    return make_view_factory(qtbot)
