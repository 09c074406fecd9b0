from __future__ import annotations

import pytest

from studio.api.endpoints import (
    ENV_BATCH_URL,
    ENV_RT_URL,
    PRESETS,
    TTS_URL,
    resolve_endpoints,
    url_problem,
)
from studio.core.settings import Region, Settings


@pytest.mark.parametrize(("region", "realtime", "batch"), [
    (Region.EU, "wss://eu.rt.speechmatics.com/v2", "https://eu1.asr.api.speechmatics.com/v2"),
    (Region.US, "wss://us.rt.speechmatics.com/v2", "https://us1.asr.api.speechmatics.com/v2"),
    (Region.GLOBAL, "wss://global.rt.speechmatics.com/v2", "https://eu1.asr.api.speechmatics.com/v2"),
])
def test_presets_use_the_documented_hosts(region: Region, realtime: str, batch: str) -> None:
    resolved = resolve_endpoints(Settings(region=region), {})
    assert resolved.endpoints.realtime == realtime
    assert resolved.endpoints.batch == batch
    assert resolved.endpoints.tts == "https://preview.tts.speechmatics.com"
    assert resolved.endpoints.management == "https://mp.speechmatics.com"
    assert resolved.from_environment == ()


def test_custom_urls_name_their_host() -> None:
    settings = Settings(region=Region.CUSTOM, custom_realtime_url="ws://box.lan:9000/v2",
                        custom_batch_url="http://box.lan:18000/v2")
    resolved = resolve_endpoints(settings, {})
    assert resolved.endpoints.realtime == "ws://box.lan:9000/v2"
    assert resolved.endpoints.tts == TTS_URL
    assert resolved.label == "Custom server (box.lan:9000)"


def test_environment_overrides_each_url_separately() -> None:
    env = {ENV_RT_URL: "ws://127.0.0.1:9000/v2", ENV_BATCH_URL: " "}
    resolved = resolve_endpoints(Settings(region=Region.US), env)
    assert resolved.endpoints.realtime == "ws://127.0.0.1:9000/v2"
    assert resolved.endpoints.batch == PRESETS[Region.US].batch  # blank variables are ignored
    assert resolved.from_environment == (ENV_RT_URL,)
    assert "environment" in resolved.label


@pytest.mark.parametrize(("service", "url", "expected"), [
    ("realtime", "wss://eu.rt.speechmatics.com/v2", None),
    ("realtime", "ws://localhost:9000/v2", None),
    ("realtime", "https://eu.rt.speechmatics.com/v2", "must start with ws:// or wss://"),
    ("batch", "ws://box/v2", "must start with http:// or https://"),
    ("batch", "", "Enter a batch URL"),
    ("batch", "http://:80/v2", "no host name"),
    ("tts", "http://box:port/x", "invalid port"),
])
def test_url_problems_are_explained(service: str, url: str, expected: str | None) -> None:
    problem = url_problem(service, url)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem
