"""The parts on their own: the list model under Qt's model tester, the row geometry, the speaker colours."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QtMsgType
from PySide6.QtGui import QColor
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from studio.core.transcript import Transcript
from studio.local.scripted import synthetic_script
from studio.qt.theme import DARK, LIGHT, Colors
from studio.qt.transcript import speaker_color
from studio.qt.transcript.geometry import RowGeometry
from studio.qt.transcript.model import ParagraphModel, Roles
from studio.qt.transcript.style import clock
from tests.qt.transcript.feed import conversation, turn


def test_the_model_keeps_qts_item_model_rules_through_a_live_session(qtbot: QtBot, qtlog: object) -> None:
    t = Transcript()
    model = ParagraphModel(t)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    pending = []
    model.pending.connect(lambda: pending.append(1))
    script = synthetic_script(diarization=True)
    for _ in range(400):  # partials, finals, empty finals; synced every few messages as frames would
        entry = next(script)
        t.apply(entry.payload)
        if len(pending) and entry.audio_ts % 1 < 0.4:
            model.sync()
            pending.clear()
    t.speakers.rename("S1", "Ada")
    t.add_bookmark(12.0, "here")
    model.sync()
    assert model.rows == model.paragraph_index.rows and model.rowCount() == len(model.rows)
    failures = [r.message for r in qtlog.records if r.type == QtMsgType.QtWarningMsg and "FAIL" in r.message]  # type: ignore[attr-defined]
    assert failures == []
    del tester
    names = {model.data(model.index(r, 0), Roles.SPEAKER_NAME) for r in range(model.rowCount())}
    assert "Ada" in names and "Speaker 2" in names


def test_rows_say_what_they_show(qtbot: QtBot) -> None:
    t = Transcript()
    conversation(t)
    t.add_bookmark(30.0)
    model = ParagraphModel(t)
    first = model.index(0, 0)
    assert model.data(first, Roles.TEXT) == "Good morning everyone, thanks for joining."
    assert model.data(first, Roles.SPEAKER) == "S1" and model.data(first, Roles.COLOR_INDEX) == 0
    assert model.data(first, Roles.START) == 0.5 and model.data(first, Roles.CHANNEL) is None
    assert model.data(model.index(3, 0)) == "Bookmark at 00:30"
    assert model.data(model.index(9, 0)) is None


def test_the_model_stops_observing_when_it_goes(qtbot: QtBot) -> None:
    t = Transcript()
    model = ParagraphModel(t)
    assert len(t.changes) == 1
    model.deleteLater()
    qtbot.waitUntil(lambda: len(t.changes) == 0, timeout=3000)
    turn(t, "Nobody is listening.", 0.0, "S1")  # and nothing breaks


def test_geometry_updates_only_what_changed() -> None:
    geometry = RowGeometry()
    geometry.reset([10, 20, 30])
    assert [geometry.top(i) for i in range(3)] == [0, 10, 30] and geometry.total == 60
    geometry.insert(3, 5)
    geometry.set(1, 25, True)
    assert geometry.total == 70 and geometry.top(2) == 35 and geometry.top(3) == 65
    assert geometry.row_at(0) == 0 and geometry.row_at(34) == 1 and geometry.row_at(35) == 2
    assert geometry.row_at(10_000) == 3 and list(geometry.span(30, 66)) == [1, 2, 3]
    geometry.remove(0)
    assert geometry.total == 60 and geometry.top(1) == 25
    assert geometry.is_exact(0) and not geometry.is_exact(1)
    geometry.invalidate_all()
    assert not geometry.is_exact(0)


def contrast(a: QColor, b: QColor) -> float:
    def luminance(c: QColor) -> float:
        channels = [c.redF(), c.greenF(), c.blueF()]
        linear = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_eight_speaker_colours_readable_on_the_theme(colors: Colors) -> None:
    shades = [speaker_color(i, colors) for i in range(8)]
    assert len({c.name() for c in shades}) == 8
    for shade in shades:
        assert contrast(shade, QColor(colors.base)) >= 4.5, shade.name()
        assert contrast(shade, QColor(colors.alt_base)) >= 4.5, shade.name()
    assert speaker_color(8, colors) == shades[0]  # wraps around like Speaker.colour
    assert speaker_color(0, LIGHT) != speaker_color(0, DARK)


def test_clock() -> None:
    assert clock(0.4) == "00:00" and clock(75.2) == "01:15" and clock(3725) == "1:02:05"
    assert clock(5, hours=True) == "0:00:05"
