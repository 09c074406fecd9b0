"""`studio serve` runs the local server standalone, prints its URLs, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from tests.conftest import REPO


def test_serve_prints_urls_answers_and_stops() -> None:
    key = "serve-test-key-0123456789"
    proc = subprocess.Popen([sys.executable, "-m", "studio", "serve", "--port", "0", "--api-key", key],
                            cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    try:
        lines = {}
        for line in proc.stdout:
            if line.startswith("Press Ctrl+C"):
                break
            name, _, value = line.strip().partition(": ")
            lines[name.strip()] = value.strip()
        assert lines["realtime"].startswith("ws://127.0.0.1:") and lines["realtime"].endswith("/v2")
        assert lines["auth"] == "API key required"
        assert lines["engine"].startswith("Whisper (Whisper tiny.en) and eSpeak NG")
        keys_url = lines["keys"]
        refused = httpx.post(keys_url, params={"type": "rt"}, json={"ttl": 60})
        assert refused.status_code == 403
        made = httpx.post(keys_url, params={"type": "rt"}, json={"ttl": 60},
                          headers={"Authorization": f"Bearer {key}"})
        assert made.status_code == 201 and made.json()["key_value"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
