from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot
from shiboken6 import isValid

from studio.qt.bridge import AsyncBridge


@pytest.fixture
def bridge(qtbot: QtBot) -> Iterator[AsyncBridge]:
    b = AsyncBridge()
    yield b
    b.shutdown()


def test_result_arrives_on_the_gui_thread(qtbot: QtBot, bridge: AsyncBridge) -> None:
    seen: list[tuple[int, bool]] = []
    loop_thread: list[str] = []

    async def work() -> int:
        loop_thread.append(threading.current_thread().name)
        await asyncio.sleep(0)
        return 42

    bridge.submit(work(), on_result=lambda v: seen.append((v, threading.current_thread() is
                                                           threading.main_thread())))
    qtbot.waitUntil(lambda: bool(seen), timeout=2000)
    assert seen == [(42, True)]
    assert loop_thread == ["studio-asyncio"]


def test_exception_arrives_on_the_gui_thread(qtbot: QtBot, bridge: AsyncBridge) -> None:
    errors: list[BaseException] = []

    async def work() -> None:
        raise ValueError("bad input")

    bridge.submit(work(), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=2000)
    assert isinstance(errors[0], ValueError) and str(errors[0]) == "bad input"


def test_unhandled_error_is_announced(qtbot: QtBot, bridge: AsyncBridge) -> None:
    async def work() -> None:
        raise RuntimeError("disk full")

    with qtbot.waitSignal(bridge.unhandled_error, timeout=2000) as blocker:
        bridge.submit(work())
    assert blocker.args == ["disk full"]


def test_cancel_reaches_the_coroutine(qtbot: QtBot, bridge: AsyncBridge) -> None:
    started = threading.Event()
    cancelled_inside = threading.Event()
    reported: list[str] = []

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled_inside.set()
            raise

    handle = bridge.submit(work(), on_cancelled=lambda: reported.append("cancelled"))
    assert started.wait(2)
    handle.cancel()
    qtbot.waitUntil(lambda: reported == ["cancelled"], timeout=2000)
    assert cancelled_inside.is_set()
    assert handle.done


def test_progress_via_to_gui_keeps_order(qtbot: QtBot, bridge: AsyncBridge) -> None:
    progress: list[tuple[int, bool]] = []
    report = bridge.to_gui(lambda n: progress.append((n, threading.current_thread() is
                                                      threading.main_thread())))

    async def work() -> None:
        for n in range(50):
            report(n)
            if n % 10 == 0:
                await asyncio.sleep(0)

    bridge.submit(work())
    qtbot.waitUntil(lambda: len(progress) == 50, timeout=2000)
    assert [n for n, _ in progress] == list(range(50))
    assert all(on_gui for _, on_gui in progress)


def test_results_for_a_destroyed_owner_are_dropped(qtbot: QtBot, bridge: AsyncBridge) -> None:
    owner = QObject()
    gate = threading.Event()
    seen: list[int] = []

    async def work() -> int:
        await asyncio.to_thread(gate.wait, 2)
        return 1

    handle = bridge.submit(work(), on_result=seen.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not isValid(owner), timeout=2000)
    gate.set()
    qtbot.waitUntil(lambda: handle.done, timeout=2000)
    # Deliveries are in order: once a later task's result is in, the first one's was considered.
    later: list[str] = []
    bridge.submit(asyncio.sleep(0), on_result=lambda _v: later.append("later"))
    qtbot.waitUntil(lambda: later == ["later"], timeout=2000)
    assert seen == []


def test_shutdown_cancels_running_work_and_joins_the_thread(qtbot: QtBot) -> None:
    bridge = AsyncBridge()
    unwound = threading.Event()
    started = threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            unwound.set()

    bridge.submit(forever())
    assert started.wait(2)
    assert bridge.shutdown(timeout=1.0)
    assert unwound.is_set()
    assert not any(t.name == "studio-asyncio" for t in threading.enumerate())
    with pytest.raises(RuntimeError, match="shut down"):
        bridge.submit(asyncio.sleep(0))


def test_shutdown_awaits_clean_up_first_and_survives_its_failure(qtbot: QtBot) -> None:
    bridge = AsyncBridge()
    order: list[str] = []
    started = threading.Event()

    async def worker() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            order.append("worker cancelled")

    async def stop_server() -> None:
        await asyncio.sleep(0)
        order.append("server stopped")

    async def broken() -> None:
        raise OSError("socket already gone")

    bridge.submit(worker())
    assert started.wait(2)
    assert bridge.shutdown(timeout=1.0, cleanup=[broken, stop_server])
    assert order == ["server stopped", "worker cancelled"]


def test_shutdown_logs_each_clean_up_problem_by_name_and_kind(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    """A step that overruns its share of the timeout is named with the time it had (wait_for's TimeoutError has
    no message); an exception with an empty message is named by its type; a step ended by a cancellation is
    not an error; the steps after them still run."""
    bridge = AsyncBridge()
    order: list[str] = []

    async def never_finishes() -> None:
        await asyncio.Event().wait()

    async def fails_silently() -> None:
        raise ValueError()

    async def awaits_a_cancelled_task() -> None:
        task = asyncio.get_running_loop().create_task(asyncio.Event().wait())
        await asyncio.sleep(0)
        task.cancel()
        await task

    async def last() -> None:
        order.append("last step ran")

    with caplog.at_level("DEBUG", logger="studio.qt.bridge"):
        assert bridge.shutdown(timeout=0.5, cleanup=[never_finishes, fails_silently, awaits_a_cancelled_task, last])
    assert order == ["last step ran"]
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if "clean-up at shutdown" in r.getMessage()]
    prefix = "test_shutdown_logs_each_clean_up_problem_by_name_and_kind.<locals>."
    assert lines == [
        ("WARNING", f"clean-up at shutdown: {prefix}never_finishes did not finish within 0.25 s; going on without it"),
        ("WARNING", f"clean-up at shutdown failed: {prefix}fails_silently: ValueError"),
        ("DEBUG", f"clean-up at shutdown: {prefix}awaits_a_cancelled_task ended by a cancellation"),
    ]
    assert not any(message.endswith("failed: ") for _level, message in lines)


def test_a_step_given_its_own_limit_may_take_longer_than_the_others(qtbot: QtBot) -> None:
    """A live session delivering its last finals at quit gets its own limit; a plain step keeps the short one."""
    bridge = AsyncBridge()
    order: list[str] = []

    async def slow(name: str) -> None:
        await asyncio.sleep(0.6)  # the step's own work taking this long (no test waits on it)
        order.append(name)

    async def given_time() -> None:
        await slow("the step with its own limit finished")

    async def plain() -> None:
        await slow("the plain step finished")

    assert bridge.shutdown(timeout=0.5, cleanup=[(given_time, 5.0), plain])
    assert order == ["the step with its own limit finished"]  # the plain one was cut at 0.25 s
