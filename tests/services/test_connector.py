from __future__ import annotations

import pytest

from studio.api.endpoints import Endpoints
from studio.api.errors import ConfigurationError
from studio.core.redaction import Redactor
from studio.core.settings import EngineChoice, Settings
from studio.local.availability import LocalEngineInfo
from studio.services.builtin import BuiltinEngineService
from studio.services.capabilities import SPEECHMATICS, capabilities
from studio.services.connector import Connector, EngineRequest
from studio.services.credentials import Credentials
from studio.services.engine import ActiveEngine, EngineKind, KeySource, KeyStatus, resolve_engine
from tests.fakes.secrets import MemorySecretStore

CLOUD = Endpoints("wss://eu.rt.speechmatics.com/v2", "https://eu1.asr.api.speechmatics.com/v2",
                  "https://preview.tts.speechmatics.com", "https://mp.speechmatics.com")
KEY = "connector-test-key-0123456789"


class FakeBuiltin(BuiltinEngineService):
    def __init__(self) -> None:
        super().__init__(None)
        self.asked: list[str] = []

    async def ensure_started(self, model_setting: str = "") -> Endpoints:
        self.asked.append(model_setting)
        return Endpoints("ws://127.0.0.1:1/v2", "http://127.0.0.1:1/v2", "http://127.0.0.1:1", "http://127.0.0.1:1")


def connector(store: MemorySecretStore, builtin: FakeBuiltin, started: list[Endpoints]) -> Connector:
    credentials = Credentials(store, {}, Redactor())
    return Connector(lambda: credentials, lambda: builtin, started.append)


async def test_the_built_in_engine_is_started_on_first_use_and_reported() -> None:
    builtin, started = FakeBuiltin(), list[Endpoints]()
    engine = ActiveEngine(EngineKind.LOCAL, "Built-in engine", None, True)
    connection = await connector(MemorySecretStore(), builtin, started).connect(EngineRequest(engine, "small"))
    assert builtin.asked == ["small"] and started == [connection.endpoints] and connection.api_key is None


async def test_speechmatics_takes_the_key_from_the_keychain() -> None:
    engine = ActiveEngine(EngineKind.SPEECHMATICS, "Speechmatics EU", CLOUD, True)
    connection = await connector(MemorySecretStore(KEY), FakeBuiltin(), []).connect(
        EngineRequest(engine, temporary_keys=True))
    assert connection.api_key == KEY and connection.temporary_keys and connection.endpoints == CLOUD


@pytest.mark.parametrize(("engine", "store", "says"), [
    (ActiveEngine(EngineKind.SPEECHMATICS, "Speechmatics EU", CLOUD, False), MemorySecretStore(), "No API key"),
    (ActiveEngine(EngineKind.SPEECHMATICS, "Speechmatics EU", CLOUD, True), MemorySecretStore(unavailable=True),
     "could not be read"),
    (ActiveEngine(EngineKind.LOCAL, "Built-in engine", None, False, "not installed"), MemorySecretStore(),
     "cannot run: not installed"),
])
async def test_problems_are_one_sentence_before_anything_is_sent(engine: ActiveEngine, store: MemorySecretStore,
                                                                  says: str) -> None:
    builtin = FakeBuiltin()
    with pytest.raises(ConfigurationError, match=says):
        await connector(store, builtin, []).connect(EngineRequest(engine))
    assert builtin.asked == []


def test_capabilities_say_what_the_built_in_engine_cannot_do() -> None:
    local = resolve_engine(Settings(engine=EngineChoice.LOCAL), KeyStatus(KeySource.NONE),
                           LocalEngineInfo(True, "Whisper tiny.en"), {})
    caps = capabilities(local, english_only=True)
    problems = caps.problems(language="de", diarization="speaker", translation=["fr"],
                             intelligence=["summary", "chapters"], audio_events=True, operating_point="enhanced")
    assert len(problems) == 6
    assert "English only" in problems[0] and "speakers apart" in problems[1] and "translate" in problems[2]
    assert "summary or chapters" in problems[3] and "they will be marked" in problems[3]
    assert caps.problems(language="en", diarization="channel") == []
    assert capabilities(local, english_only=False).problems(language="auto") == []
    assert SPEECHMATICS.problems(language="auto", diarization="channel_and_speaker", translation=["de"],
                                 intelligence=["summary"], audio_events=True, operating_point="enhanced") == []


def test_speechmatics_can_do_everything() -> None:
    assert capabilities(ActiveEngine(EngineKind.SPEECHMATICS, "x", CLOUD, True)) is SPEECHMATICS
