"""Guards against Qt binding releases with bugs the studio cannot live with."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_signals_can_be_emitted_many_times_from_any_thread() -> None:
    # PySide6 6.12.0 returned True from Signal.emit() without a reference, so the interpreter aborted
    # ("bool_dealloc") after a few hundred emits. A child process, so that an abort fails only this test.
    script = textwrap.dedent("""
        import threading
        from PySide6.QtCore import QCoreApplication, QObject, Signal

        class Source(QObject):
            fired = Signal(object)

        app = QCoreApplication([])
        source = Source()
        source.fired.connect(lambda value: None)

        def emit_many():
            for i in range(5000):
                source.fired.emit(i)

        emit_many()
        worker = threading.Thread(target=emit_many)
        worker.start()
        worker.join()
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
