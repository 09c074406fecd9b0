from __future__ import annotations

from studio.api.endpoints import ENV_RT_URL
from studio.core.settings import EngineChoice, Region, Settings
from studio.local.availability import LocalEngineInfo, probe
from studio.services.engine import EngineKind, KeySource, KeyStatus, resolve_engine

NO_KEY = KeyStatus(KeySource.NONE)
KEY = KeyStatus(KeySource.KEYCHAIN)
LOCAL_MISSING = LocalEngineInfo(False, "Whisper tiny.en", "not installed yet")
LOCAL_READY = LocalEngineInfo(True, "Whisper tiny.en")


def test_no_key_selects_the_built_in_engine() -> None:
    engine = resolve_engine(Settings(), NO_KEY, LOCAL_READY, {})
    assert engine.kind is EngineKind.LOCAL and engine.ready
    assert engine.label == "Built-in engine (offline, Whisper tiny.en)"
    assert engine.endpoints is None


def test_built_in_engine_not_installed_says_so() -> None:
    engine = resolve_engine(Settings(), NO_KEY, LOCAL_MISSING, {})
    assert engine.kind is EngineKind.LOCAL and not engine.ready
    assert engine.detail == "not installed yet"


def test_a_key_switches_automatic_mode_to_speechmatics() -> None:
    engine = resolve_engine(Settings(region=Region.US), KEY, LOCAL_READY, {})
    assert engine.kind is EngineKind.SPEECHMATICS and engine.ready
    assert engine.label == "Speechmatics US"
    assert engine.endpoints is not None
    assert engine.endpoints.realtime == "wss://us.rt.speechmatics.com/v2"


def test_the_user_can_pin_the_built_in_engine_with_a_key_set() -> None:
    engine = resolve_engine(Settings(engine=EngineChoice.LOCAL), KEY, LOCAL_READY, {})
    assert engine.kind is EngineKind.LOCAL


def test_speechmatics_without_a_key_is_not_ready() -> None:
    engine = resolve_engine(Settings(engine=EngineChoice.SPEECHMATICS), NO_KEY, LOCAL_READY, {})
    assert engine.kind is EngineKind.SPEECHMATICS and not engine.ready
    assert "API key" in engine.detail


def test_environment_url_shows_in_the_label() -> None:
    env = {ENV_RT_URL: "ws://127.0.0.1:9000/v2"}
    engine = resolve_engine(Settings(), KeyStatus(KeySource.ENVIRONMENT), LOCAL_READY, env)
    assert engine.label == "Speechmatics via environment (127.0.0.1:9000)"


def test_probe_reports_the_engine_missing_until_it_ships() -> None:
    info = probe()
    assert not info.installed
    assert "studio.local.engine" in info.missing
